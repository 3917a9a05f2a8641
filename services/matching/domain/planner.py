"""From the read model to proposals: which to make, which to withdraw. Pure, no I/O.

A full run re-allocates every open request. An incremental run re-allocates the requests an event
touched, together with every *hungry* request (one whose standing proposals leave part of its need
uncovered) that capacity freed since the last run could give something: room on the windows
those requests let go, or on windows of sources an event freed. The proposals of all other
requests stay as they are and hold their capacity. Accepted and reserved matches are
commitments: they are never moved, and they reduce both the request's remaining need and the
window's capacity. A standing proposal the run wants again stays as it is unless its change is
material, and every withdrawal says why (`steadiness`).

Each kind of help is allocated on its own: money (in every currency at once, a request's money
being proposed only from windows in its currency), and help in kind unit by unit, each need from
windows of its unit. A request asking for money and expert-days is two open requests, one in each
allocation; capacity is never proposed in another kind or unit, and quantities in kind are never
added to money. Help in kind is proposed in whole units, and the grant limits, which are money,
do not bind it.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import numpy as np

from services.matching.domain import allocation, rules, scoring, steadiness
from services.matching.domain.candidates import (
    WindowRef,
    WindowTable,
    candidate_pairs,
    could_be_given,
)
from services.matching.domain.coalitions import Coalition
from services.matching.domain.model import COMMITTED, Match, MatchStatus, OpenRequest
from services.matching.domain.problem import Problem
from services.matching.domain.steadiness import Limits, Outcome, Pair, Wanted
from shared.events.inventory import SourceDetails
from shared.geography import RegionalNetwork


@dataclass(frozen=True)
class Snapshot:
    """Everything allocation reads: open requests (one per need: money, and each unit in
    kind), sources, and the live matches of both."""

    requests: list[OpenRequest]
    sources: list[SourceDetails]
    matches: list[Match]
    refused: frozenset[tuple[UUID, UUID]]
    coalitions: Mapping[str, Sequence[Coalition]] = field(default_factory=dict)
    """The standing country coalitions, by state: their members are preferred."""

    def units(self) -> list[str]:
        """The units of help in kind that open needs or live matches count in."""
        units = {r.unit for r in self.requests} | {m.unit for m in self.matches}
        return sorted(unit for unit in units if unit is not None)

    def of_kind(self, unit: str | None) -> Snapshot:
        """The part of the snapshot in one kind: money (`unit` None), or help in kind of one
        unit, whose windows the grant limits (money) do not bind."""
        sources = [_source_of_kind(s, unit) for s in self.sources]
        return Snapshot(
            requests=[r for r in self.requests if r.unit == unit and r.measure is not None],
            sources=[s for s in sources if s.windows],
            matches=[m for m in self.matches if m.unit == unit],
            refused=self.refused,
            coalitions=self.coalitions,
        )


def _source_of_kind(source: SourceDetails, unit: str | None) -> SourceDetails:
    """The source with its windows of one kind alone; in kind, without the grant limits."""
    windows = [w for w in source.windows if w.unit == unit]
    if unit is None and len(windows) == len(source.windows):
        return source  # money alone: nothing to take away
    limits = {} if unit is None else {"min_grant": None, "max_grant": None}
    return source.model_copy(update={"windows": windows, **limits})


@dataclass(frozen=True)
class Options:
    network: RegionalNetwork
    weights: scoring.Weights
    per_request: int
    proposal_ttl: timedelta
    time_limit: float
    steady: steadiness.Steadiness = field(default_factory=steadiness.Steadiness)
    """What is not a change to a standing proposal (`steadiness`)."""
    whole_units: bool = False
    """Propose whole units only (help in kind), rather than cents."""


@dataclass
class Plan:
    proposals: list[Match] = field(default_factory=list)
    withdrawals: list[Match] = field(default_factory=list)
    requests: int = 0
    pairs: int = 0
    covered: Decimal = Decimal(0)
    """The money the run's proposals give (in their currencies)."""
    floor: float = 0.0
    """The money allocation's fairness floor."""
    covered_in_kind: dict[str, Decimal] = field(default_factory=dict)
    """What the proposals give in kind, per unit."""

    def summary(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "candidate_pairs": self.pairs,
            "proposed": len(self.proposals),
            "withdrawn": len(self.withdrawals),
            "covered": str(self.covered),
            "covered_in_kind": {unit: str(q) for unit, q in self.covered_in_kind.items()},
            "fairness_floor": round(self.floor, 6),
        }

    def add_in_kind(self, unit: str, part: Plan) -> None:
        """Take in the plan of the help in kind of one unit."""
        self.proposals += part.proposals
        self.withdrawals += part.withdrawals
        self.requests += part.requests
        self.pairs += part.pairs
        if part.covered:
            self.covered_in_kind[unit] = part.covered


def covered_shares(requests: list[OpenRequest]) -> dict[str, list[float]]:
    """Each state's open needs, as the share of each already covered by commitments."""
    shares: dict[str, list[float]] = defaultdict(list)
    for r in requests:
        if (asked := r.asked) > 0:
            shares[r.details.state].append(float((asked - r.remaining) / asked))
    return shares


def plan(
    snapshot: Snapshot,
    scope: frozenset[UUID] | None,
    options: Options,
    now: datetime,
    freed: frozenset[UUID] = frozenset(),
) -> Plan:
    """Proposals to make and to withdraw; `scope` None re-allocates everything. In an
    incremental run, `freed` are the ids of the sources and windows that may have room the last
    run did not see (a source changed, a proposal on the window ended). Money first, then each
    unit of help in kind, each allocated apart."""
    result = _plan_kind(snapshot.of_kind(None), scope, freed, options, now)
    in_kind = replace(options, steady=options.steady.in_whole_units(), whole_units=True)
    for unit in snapshot.units():
        part = _plan_kind(snapshot.of_kind(unit), scope, freed, in_kind, now)
        result.add_in_kind(unit, part)
    mark_leads(result, snapshot.matches)
    return result


def _plan_kind(
    snapshot: Snapshot,
    scope: frozenset[UUID] | None,
    freed: frozenset[UUID],
    options: Options,
    now: datetime,
) -> Plan:
    """The plan of one kind of help: money, or help in kind of one unit."""
    standing = [m for m in snapshot.matches if m.status is MatchStatus.PROPOSED]
    context = scoring.Context(
        now.date(),
        now,
        options.weights,
        scoring.neglect_by_state(covered_shares(snapshot.requests)),
        snapshot.coalitions,
    )
    chosen = _variable_requests(snapshot, standing, scope, freed, context.today, options.network)
    held = [m for m in standing if m.request_id not in chosen]
    room = _room(snapshot, held)
    windows = _windows(snapshot, room)
    variable = [r for r in snapshot.requests if r.request_id in chosen and r.remaining > 0]
    table = WindowTable(windows, options.network)
    limits = Limits(room, granted_by_source(snapshot.matches))
    reallocated = {(m.request_id, m.window_id): m for m in standing if m.request_id in chosen}
    wanted, result = _wanted(
        variable, table, context, snapshot.refused, limits, reallocated, options
    )
    outcome = Outcome(
        requests={r.request_id: r for r in snapshot.requests if r.request_id in chosen},
        windows={ref.window.window_id: ref for ref in windows},
        amounts=steadiness.settle(reallocated, wanted, limits, options.steady),
        limits=limits,
        today=context.today,
        network=options.network,
    )
    _diff(result, reallocated, wanted, outcome, context, options)
    result.covered = sum(outcome.amounts.values(), Decimal(0))
    return result


def _variable_requests(
    snapshot: Snapshot,
    standing: list[Match],
    scope: frozenset[UUID] | None,
    freed: frozenset[UUID],
    today: date,
    network: RegionalNetwork,
) -> set[UUID]:
    """Every request in a full run. In an incremental one, the requests in `scope`, and every
    hungry request that a window with room could give something, of the windows the requests
    in scope let go and those `freed` (by their own id or their source's): the only capacity
    that can have come free since the last run."""
    every = {r.request_id for r in snapshot.requests}
    if scope is None:
        return every
    scoped = set(scope) & every
    opened = freed | {m.window_id for m in standing if m.request_id in scoped}
    if not opened:
        return scoped
    room = _room(snapshot, [m for m in standing if m.request_id not in scoped])
    free = [
        ref
        for ref in _windows(snapshot, room)
        if ref.capacity > 0 and not {ref.window.window_id, ref.source.source_id}.isdisjoint(opened)
    ]
    hungry = _hungry(snapshot.requests, standing, scoped)
    if not (free and hungry):
        return scoped
    given = could_be_given(hungry, WindowTable(free, network), today, snapshot.refused)
    return scoped | {hungry[i].request_id for i in given}


def _hungry(
    requests: list[OpenRequest], standing: list[Match], besides: set[UUID]
) -> list[OpenRequest]:
    """The requests, other than those `besides`, whose standing proposals leave part of their
    need uncovered."""
    proposed: dict[UUID, Decimal] = defaultdict(Decimal)
    for m in standing:
        proposed[m.request_id] += m.amount
    return [
        r for r in requests if r.request_id not in besides and r.remaining > proposed[r.request_id]
    ]


def _windows(snapshot: Snapshot, room: Mapping[UUID, Decimal]) -> list[WindowRef]:
    """Every window of the snapshot's sources, with the room allocation may give from it."""
    return [
        WindowRef(source, window, float(room[window.window_id]))
        for source in snapshot.sources
        for window in source.windows
    ]


def _room(snapshot: Snapshot, held: list[Match]) -> dict[UUID, Decimal]:
    """What allocation may still give from each window: available, less accepted amounts the
    inventory has not reserved yet, less what the held proposals keep."""
    taken: dict[UUID, Decimal] = defaultdict(Decimal)
    for m in snapshot.matches:
        if m.status is MatchStatus.ACCEPTED:
            taken[m.window_id] += m.amount
    for m in held:
        taken[m.window_id] += m.amount
    return {
        window.window_id: max(window.available - taken[window.window_id], Decimal(0))
        for source in snapshot.sources
        for window in source.windows
    }


def one_window_per_capped_source(pairs: Any, table: WindowTable) -> Any:
    """A source's maximum grant binds what all its windows give one request together, while
    the allocation bounds each pair alone: so a request is offered only the roomiest window of
    each source that has a maximum grant (the first of them when several are as roomy)."""
    pair_request, pair_window, pair_score = pairs
    capped = np.flatnonzero(table.capped[pair_window])
    group = pair_request[capped] * len(table.source_number) + table.source[pair_window[capped]]
    order = np.lexsort((capped, -table.capacity[pair_window[capped]], group))
    first = np.ones(len(order), dtype=bool)
    first[1:] = group[order][1:] != group[order][:-1]
    keep = ~table.capped[pair_window]
    keep[capped[order[first]]] = True
    return pair_request[keep], pair_window[keep], pair_score[keep]


def granted_by_source(matches: list[Match]) -> dict[tuple[UUID, UUID], Decimal]:
    """What each source has already committed to each request (accepted or reserved)."""
    granted: dict[tuple[UUID, UUID], Decimal] = defaultdict(Decimal)
    for m in matches:
        if m.status in COMMITTED:
            granted[(m.request_id, m.source_id)] += m.amount
    return granted


def problem_of(
    requests: list[OpenRequest],
    table: WindowTable,
    pairs: Any,
    granted: Mapping[tuple[UUID, UUID], Decimal] | None = None,
    standing: Collection[Pair] = (),
) -> Problem:
    """The allocation problem of the candidate pairs. A source's maximum grant is per request,
    so what the source has committed to the request already comes off the pair's upper bound
    (and a pair left less room than the minimum grant gets nothing, `Problem.upper_bounds`).
    The pairs of `standing` proposals are the incumbents, which break ties in their favour."""
    pair_request, pair_window, pair_score = pairs
    upper = np.maximum(table.maximum[pair_window], 0.0)
    codes, rooms = _grant_rooms(requests, table, granted or {})
    if len(codes):
        code = pair_request * len(table.source_number) + table.source[pair_window]
        at = np.minimum(np.searchsorted(codes, code), len(codes) - 1)
        committed = codes[at] == code
        upper[committed] = rooms[at[committed]]
    return Problem(
        need=np.array([float(r.remaining) for r in requests]),
        capacity=table.capacity,
        pair_request=pair_request,
        pair_window=pair_window,
        pair_upper=upper,
        pair_lower=table.minimum[pair_window],
        pair_score=pair_score,
        pair_incumbent=_incumbent(requests, table, pairs, standing),
    )


def _incumbent(
    requests: list[OpenRequest], table: WindowTable, pairs: Any, standing: Collection[Pair]
) -> Any:
    """Which candidate pairs are those of standing proposals."""
    pair_request, pair_window, _ = pairs
    request_index = {r.request_id: i for i, r in enumerate(requests)} if standing else {}
    window_index = {ref.window.window_id: j for j, ref in enumerate(table.windows)}
    width = len(table.windows)
    codes = [
        request_index[r] * width + window_index[w]
        for r, w in standing
        if r in request_index and w in window_index
    ]
    return np.isin(pair_request * width + pair_window, np.array(codes, dtype=np.int64))


def _grant_rooms(
    requests: list[OpenRequest],
    table: WindowTable,
    granted: Mapping[tuple[UUID, UUID], Decimal],
) -> tuple[Any, Any]:
    """What a capped source's maximum grant still leaves each request it has committed to, by
    the pair's code (request index * sources + source number), codes in order."""
    index = {r.request_id: i for i, r in enumerate(requests)} if granted else {}
    maximum = {ref.source.source_id: ref.source.max_grant for ref in table.windows}
    sources = len(table.source_number)
    rooms = sorted(
        (index[r] * sources + table.source_number[s], float(max(limit - amount, Decimal(0))))
        for (r, s), amount in granted.items()
        if r in index and (limit := maximum.get(s))
    )
    return (
        np.array([code for code, _ in rooms], dtype=np.int64),
        np.array([room for _, room in rooms], dtype=np.float64),
    )


def _wanted(
    requests: list[OpenRequest],
    table: WindowTable,
    context: scoring.Context,
    refused: frozenset[tuple[UUID, UUID]],
    limits: Limits,
    standing: Collection[Pair],
    options: Options,
) -> tuple[list[Wanted], Plan]:
    """What the allocation wants proposed, and the run's figures."""
    pairs = candidate_pairs(requests, table, context, options.per_request, refused).arrays()
    pairs = one_window_per_capped_source(pairs, table)
    problem = problem_of(requests, table, pairs, limits.granted, standing)
    result = allocation.allocate_fairly(problem, options.time_limit)
    wanted = [
        Wanted(
            requests[i],
            table.windows[w],
            amount,
            {
                "remaining_need": float(requests[i].remaining),
                "reach": round(float(result.reach[i]), 6),
                "fairness_floor": round(result.floor, 6),
                "guaranteed": round(
                    result.floor * float(result.reach[i]) * float(problem.need[i]), 2
                ),
            },
        )
        for i, w, amount in zip(
            problem.pair_request.tolist(),
            problem.pair_window.tolist(),
            [_given(a, options.whole_units) for a in result.amounts.tolist()],
            strict=True,
        )
        if amount > 0
    ]
    figures = Plan(requests=len(requests), pairs=problem.pairs, floor=result.floor)
    return wanted, figures


def _given(amount: float, whole_units: bool) -> Decimal:
    """What the allocation gives a pair: cents of money, or whole units in kind (rounded down,
    so the window's capacity and the need are never passed)."""
    return Decimal(math.floor(amount + 1e-6)) if whole_units else Decimal(str(amount))


def _diff(
    result: Plan,
    standing: Mapping[Pair, Match],
    wanted: list[Wanted],
    outcome: Outcome,
    context: scoring.Context,
    options: Options,
) -> None:
    """Keep the standing proposals the run settled on as they are (`steadiness.settle`);
    withdraw the rest, each with its reason; propose the new."""
    current = dict(standing)
    for want in wanted:
        amount = outcome.amounts[want.pair]
        kept = current.get(want.pair)
        if kept is not None and kept.amount == amount:
            del current[want.pair]
            continue
        result.proposals.append(_propose(want, amount, context, options))
    for match in current.values():
        match.withdraw(steadiness.withdrawal_reason(match, outcome), context.now)
        result.withdrawals.append(match)


def _propose(want: Wanted, amount: Decimal, context: scoring.Context, options: Options) -> Match:
    """A new proposal with its explanation: the rules it passed, what each criterion scored,
    and what the fair allocation guaranteed the request."""
    d = want.request.details
    pair = rules.Pair(d, want.window.source, want.window.window, context.today, options.network)
    score, criteria = scoring.explain(want.request, want.window.source, context)
    explanation: dict[str, Any] = {
        "rules": [
            {"rule": r.rule, "passed": r.passed, "detail": r.detail} for r in rules.check(pair)
        ],
        "criteria": criteria,
    }
    if want.allocation is not None:
        explanation["allocation"] = want.allocation
    if context.coalition_member(d, want.window.source):
        explanation["coalition"] = {
            "member": want.window.source.donor,
            "bonus": options.weights.coalition_bonus,
        }
    return Match.propose(
        context.now,
        request_id=d.request_id,
        state=d.state,
        regional_centre=d.regional_centre,
        source_id=want.window.source.source_id,
        window_id=want.window.window.window_id,
        donor=want.window.source.donor,
        amount=amount,
        currency=want.window.window.currency,
        unit=want.window.window.unit,
        score=round(score, 6),
        explanation=explanation,
        expires_at=context.now + options.proposal_ttl,
    )


def mark_leads(plan: Plan, matches: list[Match]) -> None:
    """The lead donor of each request with new proposals: the one giving the most, counting
    commitments and the proposals that stand after this plan."""
    proposed = {p.request_id for p in plan.proposals}
    withdrawn = {m.id for m in plan.withdrawals}
    live = [
        m
        for m in matches
        if m.request_id in proposed
        and m.id not in withdrawn
        and (m.status is MatchStatus.PROPOSED or m.status in COMMITTED)
    ]
    by_request: dict[UUID, list[Match]] = defaultdict(list)
    for m in [*live, *plan.proposals]:
        by_request[m.request_id].append(m)
    for proposal in plan.proposals:
        group = by_request[proposal.request_id]
        proposal.lead = max(group, key=_weight) is proposal


def _weight(match: Match) -> tuple[bool, Decimal, float]:
    """What makes a lead donor: money before help in kind, then the amount, then the score."""
    return match.unit is None, match.amount, match.score
