"""Eligible pairs of request and window, scored, the best few per request. Pure, no I/O.

The hard rules of `rules.py` and the criteria of `scoring.py`, applied to arrays: a need is
checked against all windows of its convention and currency (or in-kind unit) in a handful of
numpy operations, so 50,000 requests against 5,000 windows take seconds rather than hours. Only
the `per_request` best-scoring eligible windows of each need become variables of the allocation.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
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
        self._rule_model = {_rule_key(w.source.eligibility): w.source.eligibility for w in windows}
        self._eligible: dict[str, Array] = {}
        self.donor = np.array([w.source.donor or "" for w in windows], dtype=object)
        """Each window's source's donor party ("": none), so that no state funds itself."""
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
        verdicts: Array = self._eligible[state][self._rule_of[rows]] & (
            self.donor[rows] != (party_of_state(state) or "")
        )
        return verdicts

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
    """The best `per_request` eligible windows of each request, with their scores."""
    pairs = Pairs()
    area_cache: dict[tuple[str, str], Array] = {}
    refused_windows: dict[UUID, set[UUID]] = {}
    for request_id, window_id in refused:
        refused_windows.setdefault(request_id, set()).add(window_id)
    for index, request in enumerate(requests):
        rows, scores = _score_request(request, table, context, area_cache)
        if request.request_id in refused_windows:
            gone = refused_windows[request.request_id]
            keep = np.array([table.windows[i].window.window_id not in gone for i in rows], bool)
            rows, scores = rows[keep], scores[keep]
        if len(rows) > per_request:
            best = np.argpartition(-scores, per_request - 1)[:per_request]
            rows, scores = rows[best], scores[best]
        pairs.request.append(np.full(len(rows), index, dtype=np.int64))
        pairs.window.append(rows)
        pairs.score.append(scores)
    return pairs


def _score_request(
    request: OpenRequest,
    table: WindowTable,
    context: scoring.Context,
    area_cache: dict[tuple[str, str], Array],
) -> tuple[Array, Array]:
    """The request's eligible windows and the score of each."""
    d, measure = request.details, request.measure
    if measure is None:  # nothing asked: no proposal (`assistance-kind`)
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    rows = np.array(sorted(set(table.by_key.get((d.convention, measure), []))), dtype=np.int64)
    if len(rows) == 0:
        return rows, np.zeros(0)
    cache_key = (d.convention, measure)
    if cache_key not in area_cache:
        area_cache[cache_key] = table.area_masks(d.convention, rows)
    shared = np.bitwise_count(area_cache[cache_key] & _bits(d.areas, table.area_bit[d.convention]))
    deadline = d.deadline.toordinal()
    asked = float(request.asked)
    ok = (
        (shared > 0)
        & ((table.types[rows] & _bits(d.assistance_types, table.type_bit)) > 0)
        & (table.opens[rows] <= deadline)
        & (table.closes[rows] >= context.today.toordinal())
        & (table.minimum[rows] <= asked)
        & (table.capacity[rows] > 0)
        & (table.capacity[rows] >= table.minimum[rows])
    )
    rows, shared = rows[ok], shared[ok]
    eligible = table.eligible(rows, d.state)
    rows, shared = rows[eligible], shared[eligible]
    return rows, _scores(request, table, context, rows, shared)


def _scores(
    request: OpenRequest, table: WindowTable, context: scoring.Context, rows: Array, shared: Array
) -> Array:
    d = request.details
    weights = context.weights
    days_left = float((d.deadline - context.today).days)
    waited = (context.now - request.published_at).total_seconds() / 86400
    criteria: dict[str, Any] = {
        "thematic_fit": scoring.thematic_fit(shared.astype(float), float(len(set(d.areas)))),
        "regional_focus": scoring.regional_focus(
            table.focus(rows, d.regional_centre), table.worldwide[rows]
        ),
        "urgency": scoring.urgency(
            days_left, scoring.URGENCY_LEVEL.get(d.urgency, 0.0), weights.urgency_horizon_days
        ),
        "waiting": scoring.waiting(waited, weights.waiting_horizon_days),
        "neglect": context.neglect.get(d.state, 1.0),
    }
    combined: Array = np.broadcast_to(scoring.combine(criteria, weights), rows.shape)
    return combined.astype(np.float64)
