"""The hard rules, one by one, and the reasons an unmatched request is given."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from services.matching.domain.rules import RULE_NAMES, Pair, check, first_failure, why_unmatched
from shared.eligibility import Eligibility, EligibilityRule
from shared.events.inventory import SourceDetails, SourceStatus, Support
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
        ({}, {"min_grant": Decimal("2000000")}, "minimum-grant"),
        (
            {"amount": Amount(value=Decimal("3000000"), currency="USD")},
            {"min_grant": Decimal("2000000")},
            "capacity-at-least-min-grant",
        ),
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


def test_an_unmatched_request_is_told_the_rule_its_nearest_windows_break() -> None:
    details = request_details(areas=["victim-assistance"])
    sources = [source(window(), window()), source(window(currency="EUR"), donor="sweden")]

    why = why_unmatched(details, sources, TODAY, NETWORK)

    assert why.reason == "thematic-area"
    assert why.stopped == {"thematic-area": 3}
    assert why.nearest[0].detail == "supports none of victim-assistance (CCM)"


def test_an_eligible_request_without_a_proposal_is_told_capacity_went_elsewhere() -> None:
    why = why_unmatched(request_details(), [source()], TODAY, NETWORK)

    assert (why.reason, why.stopped) == (
        "eligible-but-capacity-taken",
        {"eligible-but-capacity-taken": 1},
    )


def other_conventions(count: int) -> list[SourceDetails]:
    apmbc = [Support(convention="APMBC", areas=[])]
    return [source(supports=apmbc, donor=f"donor{i}") for i in range(count)]


def test_a_euro_request_is_told_currency_however_many_windows_other_conventions_have() -> None:
    euros = request_details(amount=Amount(value=Decimal("250000.00"), currency="EUR"))
    dollars = source(donor="japan")

    why = why_unmatched(euros, [dollars, *other_conventions(5)], TODAY, NETWORK)

    assert why.reason == "currency"
    assert why.stopped == {"convention": 5, "currency": 1}
    assert [(m.source_id, m.detail) for m in why.nearest] == [
        (dollars.source_id, "window in USD, request in EUR")
    ]


def test_a_request_whose_only_fitting_window_closed_is_told_when_it_closed() -> None:
    closed = window(closes=TODAY - timedelta(days=10))

    why = why_unmatched(request_details(), [source(closed), *other_conventions(3)], TODAY, NETWORK)

    assert why.reason == "window-open-before-deadline"
    assert why.nearest[0].detail == f"window closed on {closed.closes}"


def test_a_request_below_the_only_sources_minimum_grant_is_told_the_minimum() -> None:
    small = request_details(amount=Amount(value=Decimal("250000.00"), currency="USD"))
    large = source(window("5000000.00"), min_grant=Decimal("1000000"))

    why = why_unmatched(small, [large, *other_conventions(3)], TODAY, NETWORK)

    assert why.reason == "minimum-grant"
    assert why.nearest[0].detail == "minimum grant 1,000,000 USD, asked 250,000.00"


def test_a_request_for_an_area_no_source_supports_is_told_so() -> None:
    details = request_details(areas=["stockpile-destruction"])

    why = why_unmatched(details, [source(), *other_conventions(4)], TODAY, NETWORK)

    assert why.reason == "thematic-area"
    assert why.nearest[0].detail == "supports none of stockpile-destruction (CCM)"


def test_no_window_at_all_is_no_sources() -> None:
    assert why_unmatched(request_details(), [], TODAY, NETWORK).reason == "no-sources"
