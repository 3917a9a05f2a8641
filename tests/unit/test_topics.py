import re

import pytest

from services import SERVICES
from shared.topics import Stream, Topics

topics = Topics("clearinghouse")


def test_names_follow_the_tiers() -> None:
    assert topics.national(Stream.REQUESTS) == "clearinghouse.national.requests"
    assert topics.regional("south-eastern-asia", Stream.REQUESTS) == (
        "clearinghouse.regional.south-eastern-asia.requests"
    )
    assert topics.global_(Stream.MATCHES) == "clearinghouse.global.matches"
    assert topics.deadletter("matching") == "clearinghouse.deadletter.matching"


def test_a_centres_topics_share_a_prefix_no_other_centre_has() -> None:
    prefix = topics.regional_prefix("caribbean")

    assert topics.regional("caribbean", Stream.SOURCES).startswith(prefix)
    assert not topics.regional("caribbean-east", Stream.SOURCES).startswith(prefix)
    assert not topics.global_(Stream.SOURCES).startswith(prefix)


def test_the_regional_pattern_matches_every_centre_and_nothing_else() -> None:
    pattern = re.compile(topics.regional_pattern(Stream.REQUESTS))

    assert pattern.match(topics.regional("western-africa", Stream.REQUESTS))
    assert not pattern.match(topics.regional("western-africa", Stream.SOURCES))
    assert not pattern.match(topics.national(Stream.REQUESTS))
    assert not pattern.match("other.regional.western-africa.requests")


@pytest.mark.parametrize("centre", ["", "Upper", "with space", "../x", "a" * 64])
def test_invalid_centre_ids_are_refused(centre: str) -> None:
    with pytest.raises(ValueError, match="invalid regional centre"):
        topics.regional(centre, Stream.REQUESTS)


def test_all_specs_cover_every_tier_and_service() -> None:
    specs = topics.all_specs(
        ["a", "b"],
        SERVICES,
        partitions=3,
        replication_factor=1,
        retention_ms=-1,
        deadletter_retention_ms=9,
    )
    names = {spec.name for spec in specs}

    assert len(specs) == len(names) == len(Stream) + (len(Stream) - 1) * 3 + len(SERVICES)
    assert topics.global_(Stream.ACCESS) in names
    assert topics.regional("a", Stream.ACCESS) not in names
    assert topics.regional("b", Stream.FUNDS) in names
    assert all(spec.retention_ms == 9 for spec in specs if ".deadletter." in spec.name)
