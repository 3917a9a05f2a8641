"""The hard rules, one by one, and the reasons an unmatched request is given."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from services.matching.domain.rules import RULE_NAMES, Pair, check, first_failure, why_unmatched
from shared.eligibility import Eligibility, EligibilityRule
from shared.events.inventory import SourceStatus, Support
from shared.events.requests import Amount
from shared.geography import load_network
from tests.matching_factories import TODAY, request_details, source, window
from tests.system import TEST_CENTRES

NETWORK = load_network(TEST_CENTRES)


def pair(request_changes: dict[str, object] | None = None, **source_changes: object) -> Pair:
    built = source(**source_changes)  # type: ignore[arg-type]
    details = request_details(**(request_changes or {}))
    return Pair(details, built, built.windows[0], TODAY, NETWORK)


def test_a_fitting_pair_passes_every_rule_in_order() -> None:
    results = check(pair())

    assert [r.rule for r in results] == list(RULE_NAMES)
    assert all(r.passed for r in results)
    assert first_failure(pair()) is None


@pytest.mark.parametrize(
    ("request_changes", "source_changes", "broken"),
    [
        ({}, {"status": SourceStatus.PAUSED}, "source-active"),
        ({"convention": "APMBC", "areas": ["mine-clearance"]}, {}, "convention"),
        ({"areas": ["victim-assistance"]}, {}, "thematic-area"),
        ({"assistance_types": ["technical"]}, {}, "assistance-type"),
        (
            {},
            {"eligibility": Eligibility(rule=EligibilityRule.STATES, states=["KHM"])},
            "recipient-eligible",
        ),
        ({"deadline": date(2025, 12, 31)}, {}, "window-open-before-deadline"),
        ({"amount": Amount(value=Decimal(100), currency="EUR")}, {}, "currency"),
        ({}, {"min_grant": Decimal("2000000")}, "capacity-at-least-min-grant"),
    ],
)
def test_each_rule_stops_the_pair_it_should(
    request_changes: dict[str, object], source_changes: dict[str, object], broken: str
) -> None:
    assert first_failure(pair(request_changes, **source_changes)) == broken


def test_a_source_supporting_every_area_of_the_convention_fits_any_area() -> None:
    everything = [Support(convention="CCM", areas=[])]

    assert first_failure(pair({"areas": ["victim-assistance"]}, supports=everything)) is None


def test_a_closed_window_fails_even_before_the_deadline() -> None:
    closed = window(closes=TODAY - timedelta(days=1))
    built = source(closed)

    assert first_failure(Pair(request_details(), built, closed, TODAY, NETWORK)) == (
        "window-open-before-deadline"
    )


def test_an_unmatched_request_is_told_the_rule_that_stopped_most_windows() -> None:
    details = request_details(areas=["victim-assistance"])
    sources = [source(window(), window()), source(window(currency="EUR"), donor="sweden")]

    reason, stopped = why_unmatched(details, sources, TODAY, NETWORK)

    assert reason == "thematic-area"
    assert stopped == {"thematic-area": 3}


def test_an_eligible_request_without_a_proposal_is_told_capacity_went_elsewhere() -> None:
    reason, stopped = why_unmatched(request_details(), [source()], TODAY, NETWORK)

    assert (reason, stopped) == ("eligible-but-capacity-taken", {"eligible-but-capacity-taken": 1})
