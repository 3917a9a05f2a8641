"""A proposal (a match) and its life: proposed, then answered by its donor, then reserved or not.
No I/O: methods check the rules, change state and record domain events; the unit of work stores
the match and publishes the events.

    proposed ──accept──▶ accepted ──funds reserved──▶ reserved
       │                    └──reservation failed──▶ failed
       ├──decline──▶ declined
       ├──withdraw──▶ withdrawn   (re-allocation moved the capacity, or the request closed)
       └──expire───▶ expired      (nobody answered in time)

Accepted and reserved matches are commitments: they count towards the request's coverage and are
never moved by re-allocation. Declined and failed pairs of request and window are not proposed
again.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid4

from shared.errors import Conflict
from shared.events.requests import RequestDetails


class MatchStatus(StrEnum):
    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    RESERVED = "reserved"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"
    FAILED = "failed"


COMMITTED = frozenset({MatchStatus.ACCEPTED, MatchStatus.RESERVED})
"""Donors said yes and the inventory has not said no: these count as coverage."""
REFUSED = frozenset({MatchStatus.DECLINED, MatchStatus.FAILED})
"""Pairs of request and window that are not proposed again."""
MATCHABLE_REQUESTS = frozenset({"published", "partly_matched", "matched"})
ZERO = Decimal(0)


class ProposalRefused(Conflict):
    """An answer the proposal's state does not allow; `rule` names the rule for the caller."""

    kind = "proposal-state"


@dataclass(frozen=True)
class OpenRequest:
    """One need of a published request as allocation sees it: its money (`unit` None) or its
    help in kind of one unit, and what is still missing of it. A request asking for money and
    help in kind is allocated as one open request per need."""

    details: RequestDetails
    published_at: datetime
    remaining: Decimal
    unit: str | None = None

    @property
    def request_id(self) -> UUID:
        return self.details.request_id

    @property
    def key(self) -> tuple[UUID, str | None]:
        """The need among all others: its request, and its unit (None: money)."""
        return self.request_id, self.unit

    @property
    def measure(self) -> str | None:
        """What the need counts: the currency of its money, or its unit; None: no money asked."""
        if self.unit is not None:
            return self.unit
        return self.details.amount.currency if self.details.amount else None

    @property
    def asked(self) -> Decimal:
        """The whole need: the money asked, or the quantity of its unit."""
        if self.unit is not None:
            return next((n.quantity for n in self.details.in_kind if n.unit == self.unit), ZERO)
        return self.details.amount.value if self.details.amount else ZERO


def open_needs(
    details: RequestDetails, published_at: datetime, committed: Mapping[str | None, Decimal]
) -> list[OpenRequest]:
    """The request's needs with what is still missing of each, given what is committed by unit
    (None: money): its money, if it asks any, then each need in kind."""
    needs = [OpenRequest(details, published_at, ZERO)] if details.amount else []
    needs += [OpenRequest(details, published_at, ZERO, n.unit) for n in details.in_kind]
    return [
        replace(need, remaining=max(need.asked - committed.get(need.unit, ZERO), ZERO))
        for need in needs
    ]


@dataclass(frozen=True)
class Changed:
    """Domain event: a match moved from one status to another."""

    match_id: UUID
    action: str
    from_status: MatchStatus | None
    to_status: MatchStatus
    actor: str
    reason: str | None = None


@dataclass
class Match:
    """Who proposes how much to whom, with the reasons, and what became of it."""

    request_id: UUID
    state: str
    regional_centre: str | None
    source_id: UUID
    window_id: UUID
    donor: str | None
    amount: Decimal
    currency: str | None
    score: float
    explanation: dict[str, Any]
    created_at: datetime
    expires_at: datetime
    unit: str | None = None
    """Help in kind: the taxonomy unit `amount` counts; None for money in `currency`."""
    lead: bool = False
    id: UUID = field(default_factory=uuid4)
    status: MatchStatus = MatchStatus.PROPOSED
    updated_at: datetime | None = None
    decided_by: str | None = None
    reason: str | None = None
    events: list[Changed] = field(default_factory=list)

    @classmethod
    def propose(cls, now: datetime, **values: Any) -> Match:
        match = cls(created_at=now, updated_at=now, **values)
        match.events.append(Changed(match.id, "propose", None, MatchStatus.PROPOSED, "matching"))
        return match

    def accept(self, actor: str, now: datetime) -> None:
        self._require_open(now, "accepted")
        self._move("accept", MatchStatus.ACCEPTED, actor, now)
        self.decided_by = actor

    def decline(self, actor: str, now: datetime, reason: str | None) -> None:
        self._require_open(now, "declined")
        self._move("decline", MatchStatus.DECLINED, actor, now, reason)
        self.decided_by = actor

    def withdraw(self, reason: str, now: datetime) -> None:
        """Re-allocation took the proposal back; only an unanswered proposal can be."""
        if self.status is MatchStatus.PROPOSED:
            self._move("withdraw", MatchStatus.WITHDRAWN, "matching", now, reason)

    def expire_if_due(self, now: datetime) -> bool:
        if self.status is not MatchStatus.PROPOSED or now < self.expires_at:
            return False
        self._move("expire", MatchStatus.EXPIRED, "matching", now, "nobody answered in time")
        return True

    def funds_reserved(self, amount: Decimal, now: datetime) -> bool:
        """The inventory reserved the amount: the saga is complete. A repeat changes nothing."""
        if self.status is not MatchStatus.ACCEPTED:
            return False
        self.amount = amount
        self._move("reserve", MatchStatus.RESERVED, "inventory", now)
        return True

    def reservation_failed(self, reason: str, now: datetime) -> bool:
        """The inventory could not reserve: the need is open again."""
        if self.status is not MatchStatus.ACCEPTED:
            return False
        self._move("fail", MatchStatus.FAILED, "inventory", now, reason)
        return True

    def _require_open(self, now: datetime, answer: str) -> None:
        if self.status is MatchStatus.PROPOSED and now >= self.expires_at:
            raise ProposalRefused(
                f"the proposal expired at {self.expires_at}", rule="proposal-expired"
            )
        if self.status is not MatchStatus.PROPOSED:
            raise ProposalRefused(
                f"a {self.status.value} proposal cannot be {answer}",
                rule=f"proposal-{self.status.value}",
            )

    def _move(
        self, action: str, to: MatchStatus, actor: str, now: datetime, reason: str | None = None
    ) -> None:
        self.events.append(Changed(self.id, action, self.status, to, actor, reason))
        self.status = to
        self.updated_at = now
        if reason is not None:
            self.reason = reason


@dataclass(frozen=True)
class Coverage:
    """How much of a request the committed matches cover: a numbered snapshot."""

    request_id: UUID
    sequence: int
    matched_amount: Decimal
    currency: str | None
    fully_matched: bool
    in_kind: tuple[tuple[str, Decimal], ...] = ()
    """What is covered of each in-kind need: (unit, quantity), in the request's order."""


@dataclass
class CoverageReport:
    """A new coverage snapshot of a request, to be told to the requests service and the
    request's centre: it records itself as the event the unit of work publishes."""

    coverage: Coverage
    regional_centre: str | None
    events: list[Coverage] = field(default_factory=list)

    @classmethod
    def of(cls, coverage: Coverage, regional_centre: str | None) -> CoverageReport:
        return cls(coverage, regional_centre, [coverage])


def committed_by_unit(matches: Iterable[Match]) -> dict[str | None, Decimal]:
    """What the committed matches give, by unit (None: money); never added across units."""
    committed: dict[str | None, Decimal] = defaultdict(Decimal)
    for m in matches:
        if m.status in COMMITTED:
            committed[m.unit] += m.amount
    return committed


def next_coverage(
    previous: Coverage | None, request: RequestDetails, matches: list[Match]
) -> Coverage | None:
    """The request's new coverage snapshot, or None when nothing it reports has changed. It is
    fully matched when commitments cover every need: the money asked and each unit in kind."""
    committed = committed_by_unit(matches)
    amount = committed.get(None, ZERO)
    in_kind = tuple((n.unit, committed.get(n.unit, ZERO)) for n in request.in_kind)
    fully = (
        bool(committed)
        and (request.amount is None or amount >= request.amount.value)
        and all(committed.get(n.unit, ZERO) >= n.quantity for n in request.in_kind)
    )
    if previous is not None and (
        previous.matched_amount,
        previous.in_kind,
        previous.fully_matched,
    ) == (amount, in_kind, fully):
        return None
    currency = request.amount.currency if request.amount else None
    sequence = previous.sequence + 1 if previous else 1
    return Coverage(request.request_id, sequence, amount, currency, fully, in_kind)
