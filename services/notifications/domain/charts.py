"""The figures of the operators' charts, from the service's copies of requests, the ledger facts
and the times the request events it keeps tell. No I/O: records in, figures out.

- Need against pledged, committed and disbursed, by region and by convention: what the requests
  put to the system ask (neither drafts nor withdrawn nor expired), and the ledger entries for
  them in each request's own currency; currencies are never added together.
- Time from publication to the first proposal and to funding: the median and how many requests
  took how long, and how many published requests still wait.
- Unmatched requests (nothing proposed, no donor accepted: `model.Counts.unmatched`) by what
  happened to them last, as the feed tells it; the matching service's `GET /v1/unmatched` says
  which of its rules no source passed.
- The states waiting longest: `model.waiting_states`.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

from services.notifications.domain.indicators import LedgerRecord
from services.notifications.domain.model import (
    GLOBAL_TIER,
    UNMATCHED,
    RequestView,
    waiting_states,
)
from shared.events import inventory as inv
from shared.events import matching as mat
from shared.events import requests as req

NOT_ASKING = frozenset({"draft", "withdrawn", "expired"})
LEDGER_KINDS = ("pledged", "committed", "disbursed")
WAITING_STATES_SHOWN = 10

PROPOSED = mat.MatchProposed.cloudevent_type()
FUNDED = req.RequestFunded.cloudevent_type()


@dataclass
class Money:
    """What the requests of one group ask in one currency, and what the ledger holds for them."""

    key: str
    currency: str
    need: Decimal = Decimal(0)
    pledged: Decimal = Decimal(0)
    committed: Decimal = Decimal(0)
    disbursed: Decimal = Decimal(0)

    def add(self, kind: str, amount: Decimal) -> None:
        setattr(self, kind, getattr(self, kind) + amount)


def region_of(request: RequestView) -> str:
    return request.region or GLOBAL_TIER


def convention_of(request: RequestView) -> str:
    return request.convention


def money_by(
    requests: Iterable[RequestView],
    ledger: Iterable[LedgerRecord],
    group: Callable[[RequestView], str],
) -> list[Money]:
    """Need and the ledger's pledged, committed and disbursed, by group and currency, in key
    order; requests asking no money, and entries in another currency than their request's, are
    left out."""
    asking = {
        r.request_id: r
        for r in requests
        if r.status not in NOT_ASKING and r.amount is not None and r.currency is not None
    }
    sums: dict[tuple[str, str], Money] = {}

    def of(request: RequestView) -> Money:
        key = (group(request), request.currency or "")
        return sums.setdefault(key, Money(*key))

    for request in asking.values():
        of(request).add("need", request.amount or Decimal(0))
    for entry in ledger:
        for_request = asking.get(entry.request_id) if entry.request_id else None
        if for_request and entry.currency == for_request.currency and entry.kind in LEDGER_KINDS:
            of(for_request).add(entry.kind, entry.amount)
    return [sums[key] for key in sorted(sums)]


@dataclass(frozen=True)
class History:
    """When events of each type (`MILESTONES`) first and last happened to a request."""

    first: Mapping[str, datetime] = field(default_factory=dict)
    last: Mapping[str, datetime] = field(default_factory=dict)


SPANS: tuple[tuple[str, float | None], ...] = (
    ("a day or less", 1),
    ("up to a week", 7),
    ("up to a month", 30),
    ("up to a quarter", 91),
    ("longer", None),
)
"""How the waits are counted: each wait in the first span it fits, by its days."""


@dataclass(frozen=True)
class Waits:
    """How many days each published request took to reach a milestone, and how many still
    wait for it."""

    days: tuple[float, ...]
    waiting: int

    @property
    def median(self) -> float | None:
        return statistics.median(self.days) if self.days else None

    def spans(self) -> dict[str, int]:
        counts = dict.fromkeys((label for label, _ in SPANS), 0)
        for days in self.days:
            label = next(label for label, most in SPANS if most is None or days <= most)
            counts[label] += 1
        return counts


def waits(
    requests: Iterable[RequestView], histories: Mapping[UUID, History], milestone: str
) -> Waits:
    """From each request's (latest) publication to the first `milestone` event after it."""
    days, waiting = [], 0
    for request in requests:
        if request.published_at is None:
            continue
        reached = histories.get(request.request_id, History()).first.get(milestone)
        if reached is None or reached < request.published_at:
            waiting += request.status not in NOT_ASKING
            continue
        days.append((reached - request.published_at).total_seconds() / 86400)
    return Waits(tuple(sorted(days)), waiting)


class Reason(StrEnum):
    """What last happened to an unmatched request."""

    IN_REVIEW = "in-review"
    RETURNED = "returned"
    NEVER_PROPOSED = "never-proposed"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"
    RESERVATION_FAILED = "reservation-failed"

    @property
    def label(self) -> str:
        return REASON_LABELS[self]


REASON_LABELS = {
    Reason.IN_REVIEW: "not yet published (in review)",
    Reason.RETURNED: "returned to its state",
    Reason.NEVER_PROPOSED: "published, nothing proposed yet",
    Reason.DECLINED: "its proposals were declined",
    Reason.WITHDRAWN: "its proposals were withdrawn",
    Reason.RESERVATION_FAILED: "a reservation of funds failed",
}
SETBACK_REASONS = {
    mat.MatchDeclined.cloudevent_type(): Reason.DECLINED,
    mat.MatchWithdrawn.cloudevent_type(): Reason.WITHDRAWN,
    inv.FundsReservationFailed.cloudevent_type(): Reason.RESERVATION_FAILED,
}


def reason(request: RequestView, history: History) -> Reason:
    if request.status == "returned":
        return Reason.RETURNED
    if request.status != "published":
        return Reason.IN_REVIEW
    setbacks = [(at, kind) for kind, at in history.last.items() if kind in SETBACK_REASONS]
    return SETBACK_REASONS[max(setbacks)[1]] if setbacks else Reason.NEVER_PROPOSED


def unmatched_reasons(
    requests: Iterable[RequestView], histories: Mapping[UUID, History]
) -> dict[Reason, int]:
    """The unmatched requests counted by reason, every reason listed."""
    counts = dict.fromkeys(Reason, 0)
    for request in requests:
        if request.status in UNMATCHED and request.proposals == 0:
            counts[reason(request, histories.get(request.request_id, History()))] += 1
    return counts


MILESTONES = (PROPOSED, FUNDED, *SETBACK_REASONS)
"""The CloudEvents types (as the events table keeps them) whose times the charts read."""


@dataclass(frozen=True)
class Charts:
    by_region: list[Money]
    by_convention: list[Money]
    to_proposal: Waits
    to_funding: Waits
    unmatched: dict[Reason, int]
    waiting: list[tuple[str, int]]
    """The states whose oldest open request waited longest: (state, days), longest first."""


def charts(
    requests: list[RequestView],
    ledger: list[LedgerRecord],
    histories: Mapping[UUID, History],
    now: datetime,
) -> Charts:
    return Charts(
        by_region=money_by(requests, ledger, region_of),
        by_convention=money_by(requests, ledger, convention_of),
        to_proposal=waits(requests, histories, PROPOSED),
        to_funding=waits(requests, histories, FUNDED),
        unmatched=unmatched_reasons(requests, histories),
        waiting=waiting_states(requests, now, 0, WAITING_STATES_SHOWN),
    )
