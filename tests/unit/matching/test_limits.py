"""Limits that hold whatever the order of events: over random sequences of donors' accepts and
declines, the inventory's reservations and refusals, and full or incremental re-allocations, no
window is over its capacity, no request over what it asked, no source over its maximum grant for
one request, and no proposal breaks a hard rule; money and help in kind (expert-days) are held
apart throughout. Proposals are steady: re-allocating a picture
that has not changed changes nothing, and proposals whose amounts drifted by cents are kept."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from decimal import Decimal
from uuid import UUID

from hypothesis import given, settings
from hypothesis import strategies as st

from services.matching.domain import planner, rules
from services.matching.domain.model import COMMITTED, Match, MatchStatus, OpenRequest
from shared.events.inventory import SourceDetails
from tests.factories import NOW
from tests.matching_factories import TODAY, open_request, source, window
from tests.unit.matching.test_planner import NETWORK, OPTIONS, needs_strategy, sources_strategy

ANSWERS = ("accept", "decline", "reserve", "fail", "reallocate")


@dataclass
class Market:
    """Requests, sources and every match made, moved as the services would move them."""

    requests: list[OpenRequest]
    sources: list[SourceDetails]
    matches: list[Match] = field(default_factory=list)

    def allocate(self, full: bool) -> planner.Plan:
        live = [
            m for m in self.matches if m.status is MatchStatus.PROPOSED or m.status in COMMITTED
        ]
        refused = frozenset(
            (m.request_id, m.window_id)
            for m in self.matches
            if m.status in (MatchStatus.DECLINED, MatchStatus.FAILED)
        )
        snapshot = planner.Snapshot(self.open_requests(), self.sources, live, refused)
        scope = None if full else frozenset(r.request_id for r in self.requests)
        plan = planner.plan(snapshot, scope, OPTIONS, NOW)
        self.matches += plan.proposals
        return plan

    def open_requests(self) -> list[OpenRequest]:
        committed: dict[tuple[UUID, str | None], Decimal] = defaultdict(Decimal)
        for m in self.matches:
            if m.status in COMMITTED:
                committed[(m.request_id, m.unit)] += m.amount
        return [replace(r, remaining=r.asked - committed[r.key]) for r in self.requests]

    def answer(self, answer: str, pick: int) -> None:
        wanted = MatchStatus.PROPOSED if answer in ("accept", "decline") else MatchStatus.ACCEPTED
        candidates = [m for m in self.matches if m.status is wanted]
        if answer == "reallocate" or not candidates:
            return
        match = candidates[pick % len(candidates)]
        if answer == "accept":
            match.accept("donor", NOW)
        elif answer == "decline":
            match.decline("donor", NOW, None)
        elif answer == "fail":
            match.reservation_failed("capacity-gone", NOW)
        else:
            match.funds_reserved(match.amount, NOW)
            self._take_from_window(match)

    def _take_from_window(self, match: Match) -> None:
        """The inventory holds a reservation: the window's availability goes down by it."""
        self.sources = [
            s.model_copy(
                update={
                    "windows": [
                        w.model_copy(update={"available": w.available - match.amount})
                        if w.window_id == match.window_id
                        else w
                        for w in s.windows
                    ]
                }
            )
            for s in self.sources
        ]


def check_limits(market: Market) -> None:
    windows = {w.window_id: (s, w) for s in market.sources for w in s.windows}
    needs = {r.key: r for r in market.requests}
    held = [m for m in market.matches if m.status is MatchStatus.PROPOSED or m.status in COMMITTED]
    on_window: dict[UUID, Decimal] = defaultdict(Decimal)
    on_need: dict[tuple[UUID, str | None], Decimal] = defaultdict(Decimal)
    from_source: dict[tuple[UUID, UUID], Decimal] = defaultdict(Decimal)
    for m in held:
        if m.status is not MatchStatus.RESERVED:  # a reservation is already out of `available`
            on_window[m.window_id] += m.amount
        on_need[(m.request_id, m.unit)] += m.amount
        s, w = windows[m.window_id]
        assert (m.currency, m.unit) == (w.currency, w.unit), "given in another kind or unit"
        if m.unit is None:  # the grant limits are money
            from_source[(m.request_id, m.source_id)] += m.amount
        if m.status is MatchStatus.PROPOSED:
            pair = rules.Pair(needs[(m.request_id, m.unit)].details, s, w, TODAY, NETWORK)
            assert all(result.passed for result in rules.check(pair)), rules.check(pair)
            assert m.unit is not None or m.amount == 0 or m.amount >= (s.min_grant or 0)
    for window_id, amount in on_window.items():
        assert amount <= windows[window_id][1].available, "a window over its capacity"
    for key, amount in on_need.items():
        assert amount <= needs[key].asked, "a need given more than it asked"
    sources = {s.source_id: s for s in market.sources}
    for (_, source_id), amount in from_source.items():
        limit = sources[source_id].max_grant
        assert limit is None or amount <= limit, "a source over its maximum grant for a request"


markets = (
    needs_strategy(5),
    st.lists(sources_strategy(), min_size=1, max_size=4),
    st.lists(st.tuples(st.sampled_from(ANSWERS), st.integers(0, 20), st.booleans()), max_size=14),
)


@settings(max_examples=200, deadline=None)
@given(*markets)
def test_limits_hold_across_any_sequence_of_answers_and_reallocations(
    requests: list[OpenRequest],
    sources: list[SourceDetails],
    steps: list[tuple[str, int, bool]],
) -> None:
    """And proposals are steady: re-allocating right after a run, with nothing changed,
    proposes and withdraws nothing."""
    market = Market(requests, sources)
    market.allocate(full=True)
    check_limits(market)
    for answer, pick, full in steps:
        market.answer(answer, pick)
        market.allocate(full)
        check_limits(market)

        again = market.allocate(full)

        assert (again.proposals, again.withdrawals) == ([], [])


def test_the_maximum_grant_holds_across_accept_then_reallocate_then_accept() -> None:
    """The case a donor met: a window's maximum grant accepted, then a re-allocation after the
    co-donor withdrew must not propose the same source again."""
    capped = source(window("2000000.00"), max_grant=Decimal("400000"))
    co_donor = source(window("200000.00"), donor="sweden")
    request = open_request(amount={"value": "600000.00", "currency": "USD"})
    market = Market([request], [capped, co_donor])
    market.allocate(full=True)
    first = next(m for m in market.matches if m.source_id == capped.source_id)
    assert first.amount == Decimal("400000.00")
    first.accept("donor:norway", NOW)
    declined = next(m for m in market.matches if m.source_id == co_donor.source_id)
    declined.decline("donor:sweden", NOW, None)

    market.allocate(full=True)

    proposed = [m for m in market.matches if m.status is MatchStatus.PROPOSED]
    assert [m for m in proposed if m.source_id == capped.source_id] == []
    check_limits(market)


@settings(max_examples=80, deadline=None)
@given(*markets[:2], st.integers(1, 99))
def test_proposals_whose_amounts_drifted_by_cents_are_kept_as_they_are(
    requests: list[OpenRequest], sources: list[SourceDetails], cents: int
) -> None:
    """The observed churn: amounts a few cents apart (119,999.68, then 119,999.60) withdrew and
    re-proposed the same window, telling its donor each time."""
    market = Market(requests, sources)
    minimum = {s.source_id: s.min_grant or Decimal(0) for s in sources}
    drift = Decimal(cents) / 100
    for m in market.allocate(full=True).proposals:
        if m.amount - drift >= minimum[m.source_id] and m.amount > drift:
            m.amount -= drift

    again = market.allocate(full=True)

    assert (again.proposals, again.withdrawals) == ([], [])
    check_limits(market)
