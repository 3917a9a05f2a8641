"""Eligible pairs of request and window, scored, the best few per request. Pure, no I/O.

The hard rules of `rules.py` and the criteria of `scoring.py`, applied to arrays: the needs of one
convention and currency (or in-kind unit) are checked against all the windows of that kind at
once, a block of needs by the windows in a handful of numpy operations, so 50,000 requests
against 5,000 windows take about a second. Only the `per_request` best-scoring eligible windows of
each need become variables of the allocation; of equal scores, the windows first in the table.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

import numpy as np

from services.matching.domain import scoring
from services.matching.domain.model import OpenRequest
from services.matching.domain.rules import grant_minimum, supported_areas
from shared.eligibility import Eligibility, is_eligible
from shared.events.inventory import SourceDetails, SourceStatus, WindowKind, WindowState
from shared.geography import RegionalNetwork, party_of_state
from shared.taxonomy import taxonomy

Array = np.ndarray[Any, Any]


@dataclass(frozen=True)
class WindowRef:
    source: SourceDetails
    window: WindowState
    capacity: float
    """What allocation may still give from it: available less what donors accepted."""


@dataclass
class Pairs:
    """The candidate pairs: parallel arrays of request index, window index and score."""

    request: list[Array] = field(default_factory=list)
    window: list[Array] = field(default_factory=list)
    score: list[Array] = field(default_factory=list)

    def arrays(self) -> tuple[Array, Array, Array]:
        if not self.request:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, np.zeros(0)
        return (
            np.concatenate(self.request),
            np.concatenate(self.window),
            np.concatenate(self.score),
        )


def _bits(names: Sequence[str], index: dict[str, int]) -> int:
    return sum(1 << index[name] for name in set(names) if name in index)


class WindowTable:
    """Every window as columns of numbers, indexed by convention and what it counts in: its
    currency, or its unit in kind."""

    def __init__(self, windows: Sequence[WindowRef], network: RegionalNetwork) -> None:
        self.windows = windows
        self.network = network
        tax = taxonomy()
        self.area_bit = {
            code: {area: i for i, area in enumerate(c.areas)} for code, c in tax.conventions.items()
        }
        self.type_bit = {name: i for i, name in enumerate(tax.assistance_types)}
        self.opens = np.array([w.window.opens.toordinal() for w in windows], dtype=np.int64)
        self.closes = np.array([w.window.closes.toordinal() for w in windows], dtype=np.int64)
        self.capacity = np.array([w.capacity for w in windows], dtype=np.float64)
        self.minimum = np.array([float(grant_minimum(w.source, w.window)) for w in windows])
        self.capped = np.array(
            [w.source.max_grant is not None and w.window.kind is WindowKind.MONEY for w in windows],
            dtype=bool,
        )
        """Whether a window's source has a maximum grant that binds it: the grant limits are
        money, so help in kind has none."""
        grants = np.array([float(w.source.max_grant or 0) for w in windows], dtype=np.float64)
        self.maximum = np.where(self.capped, grants, np.inf)
        """Each window's source's maximum grant per request (infinite: none)."""
        self.source_number = {
            source_id: i
            for i, source_id in enumerate(dict.fromkeys(w.source.source_id for w in windows))
        }
        self.source = np.array(
            [self.source_number[w.source.source_id] for w in windows], dtype=np.int64
        )
        """Each window's source, as its number in `source_number`."""
        self.types = np.array([_bits(w.source.assistance_types, self.type_bit) for w in windows])
        self.worldwide = np.array([not w.source.regional_focus for w in windows])
        self.by_key: dict[tuple[str, str], list[int]] = defaultdict(list)
        self.areas: dict[str, Array] = {}
        for i, ref in enumerate(windows):
            if ref.source.status is SourceStatus.ACTIVE:
                # by currency for money, by unit in kind: never proposed in another
                for support in ref.source.supports:
                    self.by_key[(support.convention, ref.window.measure)].append(i)
        rules = [_rule_key(w.source.eligibility) for w in windows]
        self._rules = list(dict.fromkeys(rules))
        position = {rule: i for i, rule in enumerate(self._rules)}
        self._rule_of = np.array([position[r] for r in rules], dtype=np.int64)
        self._rule_model = dict(zip(rules, (w.source.eligibility for w in windows), strict=True))
        self._eligible: dict[str, Array] = {}
        donors = [w.source.donor or "" for w in windows]
        self._donor_number = {d: i for i, d in enumerate(dict.fromkeys(donors))}
        self.donor = np.array([self._donor_number[d] for d in donors], dtype=np.int64)
        """Each window's source's donor party, as its number in `_donor_number` (of "" when it
        has none), so that no state funds itself."""
        self._focus: dict[str | None, Array] = {}

    def area_masks(self, convention: str, rows: Array) -> Array:
        bits = self.area_bit.get(convention, {})
        everything = (1 << len(bits)) - 1
        masks = []
        for i in rows:
            areas = supported_areas(self.windows[i].source, convention) or frozenset()
            masks.append(_bits(list(areas), bits) if areas else everything)
        return np.array(masks, dtype=np.int64)

    def eligible(self, rows: Array, state: str) -> Array:
        """Recipient eligibility of `state` for each window's source: one check per distinct
        rule and state, then a lookup; and the source is not the state's own."""
        if state not in self._eligible:
            self._eligible[state] = np.array(
                [is_eligible(self._rule_model[r], state, self.network) for r in self._rules],
                dtype=bool,
            )
        own = self._donor_number.get(party_of_state(state) or "", -1)
        verdicts: Array = self._eligible[state][self._rule_of[rows]] & (self.donor[rows] != own)
        return verdicts

    def given_by(self, rows: Array, parties: Iterable[str]) -> Array:
        """Whether each window's source is one of `parties`' own."""
        numbers = [self._donor_number[p] for p in parties if p in self._donor_number]
        given: Array = np.isin(self.donor[rows], numbers)
        return given

    def focus(self, rows: Array, centre: str | None) -> Array:
        """Whether each window's source focuses on `centre`."""
        if centre not in self._focus:
            self._focus[centre] = np.array(
                [centre is not None and centre in w.source.regional_focus for w in self.windows],
                dtype=bool,
            )
        in_focus: Array = self._focus[centre][rows]
        return in_focus


def _rule_key(rule: Eligibility) -> str:
    return rule.model_dump_json()


def candidate_pairs(
    requests: Sequence[OpenRequest],
    table: WindowTable,
    context: scoring.Context,
    per_request: int,
    refused: frozenset[tuple[UUID, UUID]] = frozenset(),
) -> Pairs:
    """The best `per_request` eligible windows of each request, with their scores: the pairs
    in the order of the requests, each request's windows in the table's order."""
    refused_windows = _by_request(refused)
    found: list[tuple[Array, Array, Array]] = []
    for numbers, block, rows, areas in _blocks(requests, table):
        ok, shared = _allowed(block, table, context.today, rows, areas, refused_windows)
        scores = _scores(block, table, context, rows, shared)
        chosen, window = _best(ok, scores, per_request, _spread(block, rows))
        found.append((numbers[chosen[0]], rows[window], scores[chosen[0], chosen[1]]))
    return _in_request_order(found)


def could_be_given(
    requests: Sequence[OpenRequest],
    table: WindowTable,
    today: date,
    refused: frozenset[tuple[UUID, UUID]] = frozenset(),
) -> list[int]:
    """The requests (their indices, in order) some window of the table may be proposed to: the
    hard rules of `candidate_pairs` alone, nothing scored."""
    refused_windows = _by_request(refused)
    found: list[int] = []
    for numbers, block, rows, areas in _blocks(requests, table):
        ok, _ = _allowed(block, table, today, rows, areas, refused_windows)
        found += numbers[ok.any(axis=1)].tolist()
    return sorted(found)


def _by_request(refused: frozenset[tuple[UUID, UUID]]) -> dict[UUID, set[UUID]]:
    """The windows each request was refused."""
    windows: dict[UUID, set[UUID]] = defaultdict(set)
    for request_id, window_id in refused:
        windows[request_id].add(window_id)
    return windows


def _blocks(
    requests: Sequence[OpenRequest], table: WindowTable
) -> Iterator[tuple[Array, list[OpenRequest], Array, Array]]:
    """The requests of each kind in blocks of `BLOCK`: each block's indices and requests, with
    the rows of the windows of its kind and their area masks."""
    for (convention, measure), members in _by_kind(requests).items():
        rows = np.array(sorted(set(table.by_key.get((convention, measure), []))), dtype=np.int64)
        if len(rows) == 0:
            continue
        areas = table.area_masks(convention, rows)
        for start in range(0, len(members), BLOCK):
            numbers = np.array(members[start : start + BLOCK], dtype=np.int64)
            yield numbers, [requests[i] for i in numbers], rows, areas


BLOCK = 500
"""Requests scored together against their windows: a block's arrays are a block by windows."""


def _by_kind(requests: Sequence[OpenRequest]) -> dict[tuple[str, str], list[int]]:
    """The index of each request that asks something, by its convention and what it counts
    in (its currency, or unit in kind). A need of nothing gets no proposal (`assistance-kind`)."""
    kinds: dict[tuple[str, str], list[int]] = defaultdict(list)
    for index, request in enumerate(requests):
        if request.measure is not None:
            kinds[(request.details.convention, request.measure)].append(index)
    return kinds


def _allowed(
    block: list[OpenRequest],
    table: WindowTable,
    today: date,
    rows: Array,
    areas: Array,
    refused: dict[UUID, set[UUID]],
) -> tuple[Array, Array]:
    """Which of `rows` each request of the block may be proposed (the hard rules), and how
    many areas each pair shares: arrays of the block's requests by the rows."""
    details = [r.details for r in block]
    convention_bits = table.area_bit[details[0].convention]
    asked = _column([_bits(d.areas, convention_bits) for d in details], np.int64)
    shared = np.bitwise_count(areas[None, :] & asked)
    types = _column([_bits(d.assistance_types, table.type_bit) for d in details], np.int64)
    deadline = _column([d.deadline.toordinal() for d in details], np.int64)
    amount = _column([float(r.asked) for r in block], np.float64)
    open_now = (table.closes[rows] >= today.toordinal()) & (table.capacity[rows] > 0)
    open_now &= table.capacity[rows] >= table.minimum[rows]
    ok = (
        (shared > 0)
        & ((table.types[rows][None, :] & types) > 0)
        & (table.opens[rows][None, :] <= deadline)
        & (table.minimum[rows][None, :] <= amount)
        & open_now[None, :]
        & _per_request(details, lambda d: table.eligible(rows, d.state), lambda d: d.state)
    )
    _refuse(ok, block, table, rows, refused)
    return ok, shared


def _column(values: list[Any], dtype: Any) -> Array:
    return np.array(values, dtype=dtype)[:, None]


def _per_request(details: list[Any], row_of: Any, key: Any) -> Array:
    """A row per request, computed once per distinct `key` (a state, a regional centre)."""
    computed: dict[Any, Array] = {}
    for d in details:
        if key(d) not in computed:
            computed[key(d)] = row_of(d)
    return np.stack([computed[key(d)] for d in details])


def _refuse(
    ok: Array, block: list[OpenRequest], table: WindowTable, rows: Array, refused: Any
) -> None:
    """Pairs a donor declined are never proposed again."""
    for i, request in enumerate(block):
        gone = refused.get(request.request_id)
        if gone:
            ok[i] &= np.array([table.windows[w].window.window_id not in gone for w in rows])


def _best(
    ok: Array, scores: Array, per_request: int, spread: Array
) -> tuple[tuple[Array, Array], Array]:
    """The eligible pairs of the `per_request` best scores of each request, as (request, row)
    positions in the block, each request's rows in order; and their column (row) numbers.

    Equal scores are common (windows of one kind often score alike for a request), and taking
    the same first few of them for every request would crowd the requests onto a few windows
    and leave others idle; so ties go by `spread`, a fixed pseudo-random rank of each pair."""
    ranked = np.where(ok, scores, -np.inf)
    chosen = ok if ranked.shape[1] <= per_request else ok & top_of_rows(ranked, per_request, spread)
    request_of, columns = np.nonzero(chosen)
    return (request_of, columns), columns


def top_of_rows(ranked: Array, count: int, spread: Array) -> Array:
    """Each row's `count` best: every score above the row's `count`-th best, then of those
    equal to it the ones of the lowest `spread`. Partitions rather than sorts, so it is linear
    in the row's length."""
    threshold = -np.partition(-ranked, count - 1, axis=1)[:, count - 1 : count]
    above, tied = ranked > threshold, ranked == threshold
    wanted = count - above.sum(axis=1, keepdims=True)
    tie_rank = np.where(tied, spread, np.iinfo(np.uint64).max)
    most = int(wanted.max())
    nearest = np.argpartition(tie_rank, most - 1, axis=1)[:, :most]
    nearest = np.take_along_axis(
        nearest, np.argsort(np.take_along_axis(tie_rank, nearest, axis=1), axis=1), axis=1
    )
    taken = np.zeros_like(tied)
    np.put_along_axis(taken, nearest, np.arange(most)[None, :] < wanted, axis=1)
    best: Array = above | (taken & tied)
    return best


def _spread(block: list[OpenRequest], rows: Array) -> Array:
    """A pseudo-random rank of each pair of the block's requests and the rows, the same in
    every run: the request's id and the window's row, mixed by MurmurHash3's finalizer."""
    ids = np.array([r.request_id.int & MASK_64 for r in block], dtype=np.uint64)[:, None]
    mixed = ids ^ (rows[None, :].astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15))
    mixed ^= mixed >> np.uint64(33)
    mixed *= np.uint64(0xFF51AFD7ED558CCD)
    mixed ^= mixed >> np.uint64(33)
    return mixed


MASK_64 = (1 << 64) - 1


def _in_request_order(found: list[tuple[Array, Array, Array]]) -> Pairs:
    if not found:
        return Pairs()
    request, window, score = (np.concatenate(part) for part in zip(*found, strict=True))
    order = np.lexsort((window, request))
    return Pairs([request[order]], [window[order]], [score[order]])


def _scores(
    block: list[OpenRequest],
    table: WindowTable,
    context: scoring.Context,
    rows: Array,
    shared: Array,
) -> Array:
    """The score of each pair of the block's requests and the rows (`scoring.combine`)."""
    weights = context.weights
    details = [r.details for r in block]
    days_left = _column([float((d.deadline - context.today).days) for d in details], np.float64)
    stated = _column([scoring.URGENCY_LEVEL.get(d.urgency, 0.0) for d in details], np.float64)
    waited = _column(
        [(context.now - r.published_at).total_seconds() / 86400 for r in block], np.float64
    )
    asked_areas = _column([float(len(set(d.areas))) for d in details], np.float64)
    focus = _per_request(
        details, lambda d: table.focus(rows, d.regional_centre), lambda d: d.regional_centre
    )
    criteria: dict[str, Any] = {
        "thematic_fit": scoring.thematic_fit(shared.astype(float), asked_areas),
        "regional_focus": scoring.regional_focus(focus, table.worldwide[rows][None, :]),
        "urgency": scoring.urgency(days_left, stated, weights.urgency_horizon_days),
        "waiting": scoring.waiting(waited, weights.waiting_horizon_days),
        "neglect": _column([context.neglect.get(d.state, 1.0) for d in details], np.float64),
    }
    member = _per_request(
        details,
        lambda d: table.given_by(rows, context.partners(d)),
        lambda d: (d.state, d.convention, tuple(d.areas)),
    )
    combined: Array = np.broadcast_to(
        scoring.with_coalition(scoring.combine(criteria, weights), member, weights.coalition_bonus),
        shared.shape,
    )
    return combined.astype(np.float64)
