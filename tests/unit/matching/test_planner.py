"""From requests and sources to proposals: no proposal breaks a hard rule, the array form of the
rules agrees with the rules one pair at a time, and commitments are never moved."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from services.matching.domain import planner, rules
from services.matching.domain.candidates import (
    WindowRef,
    WindowTable,
    candidate_pairs,
    could_be_given,
)
from services.matching.domain.model import MatchStatus, OpenRequest, open_needs
from services.matching.domain.scoring import Context, Weights
from shared.eligibility import Eligibility, EligibilityRule
from shared.events.inventory import SourceDetails, SourceStatus, Support, WindowKind
from shared.events.requests import Amount, InKindNeed, RequestDetails
from shared.geography import load_network
from tests.factories import NOW
from tests.matching_factories import TODAY, open_request, request_details, source, window
from tests.system import TEST_CENTRES

NETWORK = load_network(TEST_CENTRES)
OPTIONS = planner.Options(NETWORK, Weights(), 5, timedelta(days=30), 30.0)
CONTEXT = Context(TODAY, NOW, Weights(), {})
AREAS = ["survey-and-clearance", "victim-assistance", "stockpile-destruction"]
EXPERTS = "expert-days"


def _details(
    state: str,
    areas: list[str],
    kinds: list[str],
    currency: str,
    value: int,
    days: int,
    experts: int,
) -> RequestDetails:
    """A request asking money (`value` 0: none), expert-days in kind (`experts` 0: none), or
    both."""
    need = InKindNeed(unit=EXPERTS, quantity=Decimal(max(experts, 1)), description="Experts")
    return request_details(
        state=state,
        regional_centre=NETWORK.centre_of(state).id if NETWORK.centre_of(state) else None,
        areas=areas,
        assistance_types=kinds,
        amount=Amount(value=Decimal(value), currency=currency) if value else None,
        in_kind=[need] if experts else [],
        deadline=TODAY + timedelta(days=days),
    )


details_strategy = st.builds(
    _details,
    st.sampled_from(["LAO", "KHM", "BIH", "PER", "TCD"]),
    st.lists(st.sampled_from(AREAS), min_size=1, max_size=2, unique=True),
    st.lists(st.sampled_from(["financial", "technical"]), min_size=1, unique=True),
    st.sampled_from(["USD", "EUR"]),
    st.sampled_from([0, 5_000, 200_000, 1_500_000]),
    st.integers(10, 900),
    st.sampled_from([0, 0, 20, 150]),
)


def needs_strategy(max_size: int) -> st.SearchStrategy[list[OpenRequest]]:
    """Up to `max_size` requests, as the open needs allocation sees: one per request's money,
    one per need in kind."""
    published = NOW - timedelta(days=20)
    return st.lists(details_strategy, min_size=1, max_size=max_size).map(
        lambda requests: [need for d in requests for need in open_needs(d, published, {})]
    )


@st.composite
def sources_strategy(draw: st.DrawFn) -> SourceDetails:
    windows = []
    for _ in range(draw(st.integers(1, 2))):
        dates = {
            "opens": TODAY + timedelta(days=draw(st.integers(-300, 400))),
            "closes": TODAY + timedelta(days=draw(st.integers(-10, 900))),
        }
        if draw(st.integers(0, 3)) == 0:  # a window of expert-days in kind
            days = str(draw(st.sampled_from([0, 50, 400])))
            windows.append(window(days, None, kind=WindowKind.IN_KIND, unit=EXPERTS, **dates))
        else:
            amount = str(draw(st.sampled_from([0, 10_000, 300_000, 2_000_000])))
            windows.append(window(amount, draw(st.sampled_from(["USD", "EUR"])), **dates))
    eligibility = draw(
        st.sampled_from(
            [
                Eligibility(),
                Eligibility(rule=EligibilityRule.DEVELOPING),
                Eligibility(rule=EligibilityRule.REGIONS, regions=["south-eastern-asia"]),
                Eligibility(rule=EligibilityRule.STATES, states=["BIH", "TCD"]),
            ]
        )
    )
    return source(
        *windows,
        donor=draw(st.sampled_from(["norway", "sweden", "japan"])),
        status=draw(st.sampled_from([SourceStatus.ACTIVE] * 4 + [SourceStatus.PAUSED])),
        supports=[
            Support(convention="CCM", areas=draw(st.lists(st.sampled_from(AREAS), unique=True)))
        ],
        assistance_types=draw(st.lists(st.sampled_from(["financial", "technical"]), min_size=1)),
        eligibility=eligibility,
        regional_focus=draw(st.sampled_from([[], ["south-eastern-asia"], ["western-balkans"]])),
        min_grant=draw(st.sampled_from([None, Decimal(50_000)])),
        max_grant=draw(st.sampled_from([None, Decimal(400_000)])),
    )


def refs(sources: list[SourceDetails]) -> list[WindowRef]:
    return [WindowRef(s, w, float(w.available)) for s in sources for w in s.windows]


def on_random_problems(test: Callable[..., None]) -> Callable[..., None]:
    """Runs `test` on 60 random problems: up to six open requests and up to five sources."""
    problems = given(
        needs_strategy(6),
        st.lists(sources_strategy(), max_size=5),
    )
    return settings(max_examples=60, deadline=None)(problems(test))


@on_random_problems
def test_the_array_rules_agree_with_the_rules_pair_by_pair(
    requests: list[Any], sources: list[SourceDetails]
) -> None:
    table = WindowTable(refs(sources), NETWORK)
    found, windows, _ = candidate_pairs(requests, table, CONTEXT, per_request=100).arrays()

    expected = {
        (i, k)
        for i, r in enumerate(requests)
        for k, ref in enumerate(table.windows)
        if rules.first_failure(rules.Pair(r.details, ref.source, ref.window, TODAY, NETWORK))
        is None
        and ref.window.measure == r.measure  # a need is served in its own currency or unit
    }
    assert set(zip(found.tolist(), windows.tolist(), strict=True)) == expected


@on_random_problems
def test_the_requests_some_window_could_give_are_those_with_a_candidate(
    requests: list[Any], sources: list[SourceDetails]
) -> None:
    table = WindowTable(refs(sources), NETWORK)
    found, _, _ = candidate_pairs(requests, table, CONTEXT, per_request=1).arrays()

    assert could_be_given(requests, table, TODAY) == sorted(set(found.tolist()))


@on_random_problems
def test_no_proposal_breaks_a_hard_rule_or_a_grant_limit(
    requests: list[Any], sources: list[SourceDetails]
) -> None:
    snapshot = planner.Snapshot(requests, sources, [], frozenset())

    plan = planner.plan(snapshot, None, OPTIONS, NOW)

    by_window = {w.window_id: (s, w) for s in sources for w in s.windows}
    by_request = {r.request_id: r for r in requests}
    for proposal in plan.proposals:
        s, w = by_window[proposal.window_id]
        pair = rules.Pair(by_request[proposal.request_id].details, s, w, TODAY, NETWORK)
        assert all(result.passed for result in rules.check(pair))
        assert all(r["passed"] for r in proposal.explanation["rules"])
        assert (proposal.currency, proposal.unit) == (w.currency, w.unit)
        if proposal.unit is not None:  # help in kind: whole units, and no grant limits
            assert proposal.amount == proposal.amount.to_integral_value() > 0
        elif proposal.amount > 0:
            assert proposal.amount >= (s.min_grant or 0)
            assert proposal.amount <= (s.max_grant or proposal.amount)
    for s in sources:
        for w in s.windows:
            given_out = sum(p.amount for p in plan.proposals if p.window_id == w.window_id)
            assert given_out <= w.available
    for need in requests:
        given = [p.amount for p in plan.proposals if (p.request_id, p.unit) == need.key]
        assert sum(given) <= need.asked, "a need given more than it asked"


def test_a_full_run_keeps_standing_proposals_it_still_wants_and_leads_with_the_largest() -> None:
    request = open_request(amount=Amount(value=Decimal(900_000), currency="USD"))
    big, small = source(window("600000.00")), source(window("300000.00"), donor="sweden")
    first = planner.plan(
        planner.Snapshot([request], [big, small], [], frozenset()), None, OPTIONS, NOW
    )
    for match in first.proposals:
        match.events.clear()

    again = planner.plan(
        planner.Snapshot([request], [big, small], first.proposals, frozenset()), None, OPTIONS, NOW
    )

    assert sorted(p.amount for p in first.proposals) == [300_000, 600_000]
    assert [p.donor for p in first.proposals if p.lead] == ["norway"]
    assert (again.proposals, again.withdrawals) == ([], [])


def test_accepted_amounts_hold_their_capacity_and_an_incremental_run_moves_no_one_else() -> None:
    lao = open_request(amount=Amount(value=Decimal(500_000), currency="USD"))
    khm = open_request(state="KHM", amount=Amount(value=Decimal(500_000), currency="USD"))
    fund = source(window("600000.00"))
    first = planner.plan(planner.Snapshot([lao], [fund], [], frozenset()), None, OPTIONS, NOW)
    accepted = first.proposals[0]
    accepted.accept("donor:norway", NOW)
    committed = open_request(
        remaining=Decimal(0),
        **lao.details.model_dump(exclude={"amount"}),
        amount=lao.details.amount,
    )

    second = planner.plan(
        planner.Snapshot([committed, khm], [fund], [accepted], frozenset()),
        frozenset({khm.request_id}),
        OPTIONS,
        NOW,
    )

    assert accepted.status is MatchStatus.ACCEPTED
    assert [(p.request_id, p.amount) for p in second.proposals] == [(khm.request_id, 100_000)]
    assert second.withdrawals == []


def _usd(value: int) -> Amount:
    return Amount(value=Decimal(value), currency="USD")


def test_an_incremental_run_for_a_new_request_leaves_the_hungry_ones_as_they_are() -> None:
    lao = open_request(amount=_usd(500_000))
    fund = source(window("300000.00"))
    first = planner.plan(planner.Snapshot([lao], [fund], [], frozenset()), None, OPTIONS, NOW)
    khm = open_request(state="KHM", amount=_usd(500_000))

    second = planner.plan(
        planner.Snapshot([lao, khm], [fund], first.proposals, frozenset()),
        frozenset({khm.request_id}),
        OPTIONS,
        NOW,
    )

    assert [(p.request_id, p.amount) for p in first.proposals] == [(lao.request_id, 300_000)]
    assert (second.requests, second.proposals, second.withdrawals) == (1, [], [])


def test_a_freed_source_gives_its_room_to_the_hungry_requests() -> None:
    lao = open_request(amount=_usd(500_000))
    fund = source(window("300000.00"))
    first = planner.plan(planner.Snapshot([lao], [fund], [], frozenset()), None, OPTIONS, NOW)
    opened = source(window("400000.00"), donor="japan")
    after = planner.Snapshot([lao], [fund, opened], first.proposals, frozenset())

    unseen = planner.plan(after, frozenset(), OPTIONS, NOW)
    seen = planner.plan(after, frozenset(), OPTIONS, NOW, freed=frozenset({opened.source_id}))

    assert (unseen.requests, unseen.proposals) == (0, [])
    assert sorted((p.donor, p.amount) for p in seen.proposals) == [("japan", 200_000)]
    assert seen.withdrawals == []


def test_a_declined_proposal_frees_its_window_for_the_hungry_requests() -> None:
    lao = open_request(amount=_usd(500_000))
    khm = open_request(state="KHM", amount=_usd(500_000))
    fund = source(window("600000.00"))
    first = planner.plan(planner.Snapshot([lao, khm], [fund], [], frozenset()), None, OPTIONS, NOW)
    [declined] = [p for p in first.proposals if p.request_id == khm.request_id]
    declined.decline("donor:norway", NOW, None)
    refused = frozenset({(khm.request_id, declined.window_id)})

    second = planner.plan(
        planner.Snapshot([lao, khm], [fund], first.proposals, refused),
        frozenset({khm.request_id}),
        OPTIONS,
        NOW,
        freed=frozenset({declined.window_id}),
    )

    assert sorted(p.amount for p in first.proposals) == [300_000, 300_000]
    assert [(p.request_id, p.amount) for p in second.proposals] == [(lao.request_id, 500_000)]
    assert [m.request_id for m in second.withdrawals] == [lao.request_id]


def test_a_declined_window_is_not_proposed_again() -> None:
    request = open_request()
    fund = source()
    refused = frozenset({(request.request_id, fund.windows[0].window_id)})

    plan = planner.plan(planner.Snapshot([request], [fund], [], refused), None, OPTIONS, NOW)

    assert plan.proposals == []
