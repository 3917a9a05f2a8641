"""Steady proposals: a standing proposal stays as it is unless the change is material, and every
withdrawal says why. Pure, no I/O.

**The rule.** A re-allocation that wants a standing proposal's window again for an amount that
differs by less than `max(share * the request's remaining need, amount)` (2 % and 100 currency
units by default; for help in kind, given in whole units, the amount is one unit) keeps the
proposal as it stands: same match, same amount, nothing told to the donor. Keeping it never
breaks a hard limit: the old amount must still fit the window's capacity,
the request's remaining need, the source's maximum grant for the request (less what it has
committed) and the source's minimum grant, together with everything else the run proposes; when it
would not, the change is real and the window is proposed anew.

**Why a proposal is withdrawn**, a small fixed vocabulary (`REASONS`), each phrase followed by
`: <detail>` where a detail helps:

- `request <status>`: the request left the matchable statuses (withdrawn, expired, funded...);
- `covered by commitments`: what donors accepted now covers the request's need;
- `source unavailable`: the source is paused or closed, has nobody to answer for it, or the
  window is gone;
- `no longer eligible: <rule> (<what it found>)`: the pair now breaks a hard rule, e.g. the window
  closed;
- `amount changed: <old> to <new> <currency>`: the same window, for a materially different
  amount, is proposed anew;
- `grant limit: ...`: the source's maximum grant for the request is taken by its commitments, or
  the need left is below its minimum grant;
- `capacity taken by other requests`: what the window has left no longer holds the proposal;
- `re-allocated to other windows`: the window has room, but the allocation now serves the
  request from other windows (better-scoring ones, the roomier window of a capped source, or
  the fairness floor of other requests).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from functools import cached_property
from uuid import UUID

from services.matching.domain import rules
from services.matching.domain.candidates import WindowRef
from services.matching.domain.model import Match, OpenRequest
from shared.events.matching import AMOUNT_CHANGED
from shared.geography import RegionalNetwork

CENT = Decimal("0.01")
Pair = tuple[UUID, UUID]
"""A request's id and a window's id."""

COVERED = "covered by commitments"
SOURCE_UNAVAILABLE = "source unavailable"
NO_LONGER_ELIGIBLE = "no longer eligible"
GRANT_LIMIT = "grant limit"
CAPACITY_TAKEN = "capacity taken by other requests"
MOVED = "re-allocated to other windows"
REASONS = (
    "request <status>",
    COVERED,
    SOURCE_UNAVAILABLE,
    NO_LONGER_ELIGIBLE,
    AMOUNT_CHANGED,
    GRANT_LIMIT,
    CAPACITY_TAKEN,
    MOVED,
)
"""What a withdrawal's reason starts with (the docstring says when each applies)."""


def request_closed(status: str) -> str:
    """The reason of a proposal withdrawn because its request left the matchable statuses."""
    return f"request {status}"


@dataclass(frozen=True)
class Steadiness:
    """What is not a change: less than `share` of the request's remaining need, or less than
    `amount`, whichever is larger."""

    share: Decimal = Decimal("0.02")
    amount: Decimal = Decimal(100)

    def immaterial(self, old: Decimal, new: Decimal, need: Decimal) -> bool:
        return old == new or abs(old - new) < max(need * self.share, self.amount)

    def in_whole_units(self) -> Steadiness:
        """The rule for help in kind, given in whole units: the same share, and a change of
        less than one unit (none, in whole units) is no change."""
        return replace(self, amount=Decimal(1))


@dataclass(frozen=True)
class Wanted:
    """A proposal the allocation wants: request, window, amount, and why."""

    request: OpenRequest
    window: WindowRef
    amount: Decimal
    allocation: dict[str, float] | None

    @property
    def pair(self) -> Pair:
        return self.request.request_id, self.window.window.window_id


@dataclass(frozen=True)
class Limits:
    """The hard limits of a run: what each window may still give (available, less accepted
    amounts not yet reserved and the proposals the run holds), and what each source has
    committed to each request already (its maximum grant is per request)."""

    room: Mapping[UUID, Decimal]
    granted: Mapping[tuple[UUID, UUID], Decimal]

    def grant_room(self, want: Wanted) -> Decimal | None:
        source = want.window.source
        if source.max_grant is None:
            return None
        committed = self.granted.get((want.request.request_id, source.source_id), Decimal(0))
        return source.max_grant - committed


def settle(
    standing: Mapping[Pair, Match], wanted: Sequence[Wanted], limits: Limits, rule: Steadiness
) -> dict[Pair, Decimal]:
    """Each wanted pair's amount once steady proposals keep theirs: a standing proposal whose
    change is immaterial keeps its amount when every limit still holds with it, the rest take
    what the allocation gave. Changes that free capacity are kept first."""
    amounts = {want.pair: want.amount.quantize(CENT) for want in wanted}
    on_window: dict[UUID, Decimal] = defaultdict(Decimal)
    on_request: dict[UUID, Decimal] = defaultdict(Decimal)
    from_source: dict[tuple[UUID, UUID], Decimal] = defaultdict(Decimal)
    for want in wanted:
        amount = amounts[want.pair]
        on_window[want.window.window.window_id] += amount
        on_request[want.request.request_id] += amount
        from_source[(want.request.request_id, want.window.source.source_id)] += amount
    steady = [
        (standing[want.pair].amount - amounts[want.pair], want)
        for want in wanted
        if want.pair in standing
        and rule.immaterial(standing[want.pair].amount, amounts[want.pair], want.request.remaining)
    ]
    for more, want in sorted(steady, key=lambda kept: kept[0]):
        request_id, window_id = want.pair
        by_source = (request_id, want.window.source.source_id)
        grant_room = limits.grant_room(want)
        fits = more <= 0 or (
            on_window[window_id] + more <= limits.room.get(window_id, Decimal(0))
            and on_request[request_id] + more <= want.request.remaining
            and (grant_room is None or from_source[by_source] + more <= grant_room)
        )
        if fits and standing[want.pair].amount >= (want.window.source.min_grant or 0):
            amounts[want.pair] += more
            on_window[window_id] += more
            on_request[request_id] += more
            from_source[by_source] += more
    return amounts


@dataclass(frozen=True)
class Outcome:
    """What a run decided, as the reasons of its withdrawals read it: the requests it
    re-allocated, the windows it could propose, the amounts it settled on and its limits."""

    requests: Mapping[UUID, OpenRequest]
    windows: Mapping[UUID, WindowRef]
    amounts: Mapping[Pair, Decimal]
    limits: Limits
    today: date
    network: RegionalNetwork

    @cached_property
    def given(self) -> Mapping[UUID, Decimal]:
        """What the settled amounts take from each window."""
        given: dict[UUID, Decimal] = defaultdict(Decimal)
        for (_, window_id), amount in self.amounts.items():
            given[window_id] += amount
        return given


def withdrawal_reason(match: Match, outcome: Outcome) -> str:
    """Why a standing proposal the run does not keep is withdrawn, in `REASONS`' words."""
    request = outcome.requests.get(match.request_id)
    if request is None or request.remaining <= 0:
        return COVERED
    ref = outcome.windows.get(match.window_id)
    if ref is None or ref.source.source_id != match.source_id:
        return SOURCE_UNAVAILABLE
    pair = rules.Pair(request.details, ref.source, ref.window, outcome.today, outcome.network)
    broken = rules.first_broken(pair)
    if broken is not None:
        return f"{NO_LONGER_ELIGIBLE}: {broken.rule} ({broken.detail})"
    new = outcome.amounts.get((match.request_id, match.window_id))
    if new is not None:
        return f"{AMOUNT_CHANGED}: {match.amount:,} to {new:,} {match.currency or ''}".rstrip()
    return _why_not_wanted(match, request, ref, outcome)


def _why_not_wanted(match: Match, request: OpenRequest, ref: WindowRef, outcome: Outcome) -> str:
    """An eligible pair the allocation no longer wants: a grant limit, capacity, or other
    windows."""
    source = ref.source
    minimum = source.min_grant or CENT
    if request.remaining < minimum:
        need = request.remaining
        return f"{GRANT_LIMIT}: the need left, {need:,}, is below the minimum grant {minimum:,}"
    committed = outcome.limits.granted.get((match.request_id, source.source_id), Decimal(0))
    if source.max_grant is not None and source.max_grant - committed < minimum:
        return (
            f"{GRANT_LIMIT}: the source has committed {committed:,} of its maximum grant "
            f"{source.max_grant:,} to the request"
        )
    room = outcome.limits.room.get(match.window_id, Decimal(0))
    left = room - outcome.given.get(match.window_id, Decimal(0))
    return CAPACITY_TAKEN if left < minimum else MOVED
