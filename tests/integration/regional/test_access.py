"""A regional centre reads its own region's topics with its own credentials, and nothing else."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import (
    GroupAuthorizationFailedError,
    KafkaConnectionError,
    TopicAuthorizationFailedError,
)

from deploy.local import regional_access
from deploy.local.regional_access import Credentials
from shared.events import decode
from shared.settings import CommonSettings
from shared.topics import Stream, Topics
from tests.integration.regional.conftest import CENTRE, OTHER_CENTRE, read_as_centre
from tests.integration.requests.conftest import LAO
from tests.integration.requests.flows import act, create
from tests.service_api import Api


def own_group(credentials: Credentials) -> str:
    return f"{credentials.access.group_prefix}dashboard"


async def submitted(live_api: Api) -> str:
    """A Lao request submitted: the requests service routes it to South-eastern Asia's topic."""
    request = await create(live_api, LAO)
    await act(live_api, request["id"], "submit", LAO)
    return str(request["id"])


async def test_a_centre_reads_the_events_routed_to_its_region(
    live_api: Api, credentials: Credentials
) -> None:
    request_id = await submitted(live_api)
    topic = live_api.resources.topics.regional(CENTRE, Stream.REQUESTS)

    [record] = await read_as_centre(credentials, topic, own_group(credentials))

    event = decode(record.value, record.key)
    assert (event.type, event.key) == ("org.clearinghouse.request.submitted.v1", request_id)


@pytest.mark.parametrize(
    "topic_of",
    [
        lambda topics: topics.regional(OTHER_CENTRE, Stream.REQUESTS),
        lambda topics: topics.national(Stream.REQUESTS),
        lambda topics: topics.global_(Stream.REQUESTS),
        lambda topics: topics.global_(Stream.ACCESS),
        lambda topics: topics.deadletter("requests"),
    ],
    ids=["another-region", "national", "global", "api-keys", "deadletter"],
)
async def test_a_centre_is_refused_every_other_tier_and_region(
    live_api: Api, credentials: Credentials, topic_of: Callable[[Topics], str]
) -> None:
    await submitted(live_api)  # the national and global topics are not empty

    with pytest.raises(TopicAuthorizationFailedError):
        await read_as_centre(credentials, topic_of(live_api.resources.topics), None)


async def test_a_centre_whose_id_extends_another_s_gets_none_of_its_topics(
    live_api: Api, credentials: Credentials
) -> None:
    """The granted prefix ends with a dot: `south-eastern-asia.` does not cover the topics of a
    centre called `south-eastern-asia-pacific`."""
    topics = live_api.resources.topics
    longer = topics.regional(f"{CENTRE}-pacific", Stream.REQUESTS)
    admin = AIOKafkaAdminClient(
        bootstrap_servers=live_api.resources.settings.kafka_bootstrap_servers
    )
    await admin.start()
    try:
        await admin.create_topics([NewTopic(longer, 1, 1)])
    finally:
        await admin.close()
    assert longer.startswith(topics.regional_prefix(CENTRE).rstrip("."))

    with pytest.raises(TopicAuthorizationFailedError):
        await read_as_centre(credentials, longer, None)


async def test_a_centre_may_use_only_consumer_groups_named_for_it(
    live_api: Api, credentials: Credentials
) -> None:
    await submitted(live_api)
    topic = live_api.resources.topics.regional(CENTRE, Stream.REQUESTS)
    others = live_api.resources.topics.regional_prefix(OTHER_CENTRE)

    with pytest.raises(GroupAuthorizationFailedError):
        await read_as_centre(credentials, topic, f"{others}dashboard")


async def test_a_revoked_centre_can_no_longer_log_in(
    live_api: Api, credentials: Credentials, settings: CommonSettings
) -> None:
    await submitted(live_api)
    topic = live_api.resources.topics.regional(CENTRE, Stream.REQUESTS)
    assert await read_as_centre(credentials, topic, own_group(credentials))

    regional_access.revoke(settings, CENTRE)

    with pytest.raises(KafkaConnectionError):
        await read_as_centre(credentials, topic, own_group(credentials))


async def test_creating_access_again_replaces_the_password(
    live_api: Api, credentials: Credentials, settings: CommonSettings
) -> None:
    await submitted(live_api)
    topic = live_api.resources.topics.regional(CENTRE, Stream.REQUESTS)

    rotated = regional_access.create(settings, CENTRE, credentials.bootstrap_servers)

    assert await read_as_centre(rotated, topic, own_group(rotated))
    with pytest.raises(KafkaConnectionError):
        await read_as_centre(credentials, topic, own_group(credentials))


def test_an_unknown_centre_gets_nothing(settings: CommonSettings) -> None:
    with pytest.raises(ValueError, match="unknown regional centre 'atlantis'"):
        regional_access.create(settings, "atlantis", "127.0.0.1:9")
