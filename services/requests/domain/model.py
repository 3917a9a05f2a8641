"""The assistance request and its lifecycle. No I/O: methods check the rules, change state and
record domain events; the unit of work stores the request and publishes the events.

    draft ──submit──▶ submitted ──endorse──▶ endorsed ──publish──▶ published
      ▲                  │                      │                    │ coverage
      └──amend── returned ◀──return─────────────┘                    ▼
                     └──submit (resubmission)           partly matched ⇄ matched ──▶ funded
                                                                                      │
    any open status ──withdraw──▶ withdrawn                               completed ◀─┘
    any open status past its deadline ──expire──▶ expired

    submitted, unreviewed in time ──escalate──▶ submitted (the secretariat is told)
    published, nothing proposed in time ──escalate-to-donors──▶ published (donors are told)
    any status but closed ──extend-deadline──▶ the same status (a treaty deadline extended)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid4

from services.requests.domain.lifecycle import Lifecycle, Transition
from shared.errors import Conflict, Invalid
from shared.values import Contact, Money


class Status(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    ENDORSED = "endorsed"
    PUBLISHED = "published"
    PARTLY_MATCHED = "partly_matched"
    MATCHED = "matched"
    FUNDED = "funded"
    COMPLETED = "completed"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"


CLOSED = frozenset({Status.COMPLETED, Status.WITHDRAWN, Status.EXPIRED})
EDITABLE = frozenset({Status.DRAFT, Status.RETURNED})
REVIEWABLE = frozenset({Status.SUBMITTED})
MATCHABLE = frozenset({Status.PUBLISHED, Status.PARTLY_MATCHED, Status.MATCHED})
ON_GLOBAL_TIER = frozenset(
    {
        Status.ENDORSED,
        Status.PUBLISHED,
        Status.PARTLY_MATCHED,
        Status.MATCHED,
        Status.FUNDED,
        Status.COMPLETED,
    }
)


class Urgency(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class LifecycleRefused(Conflict):
    """A change the lifecycle does not allow now; `rule` names the rule for the caller."""

    kind = "lifecycle"


@dataclass(frozen=True)
class Evidence:
    """A needs assessment or report the request rests on."""

    kind: str
    description: str
    reference: str | None = None
    date: date | None = None


class NeedRefused(Invalid):
    """What the request asks breaks a rule about the asking itself; `field` names the input."""


@dataclass(frozen=True)
class InKind:
    """Help asked in kind: a quantity of one of the taxonomy's units (expert-days, training
    places, equipment items, service units) and what exactly is needed."""

    unit: str
    quantity: Decimal
    description: str


@dataclass(frozen=True)
class Need:
    """What is asked: everything a state may amend while its request is a draft or returned.

    Money (`amount`), help in kind (`in_kind`, at most one need per unit), or both; a draft may
    ask for neither yet, but it cannot be submitted so."""

    convention: str
    areas: tuple[str, ...]
    assistance_types: tuple[str, ...]
    title: str
    description: str
    evidence: tuple[Evidence, ...]
    amount: Money | None
    deadline: date
    deadline_reason: str | None
    urgency: Urgency
    contact: Contact
    in_kind: tuple[InKind, ...] = ()

    def __post_init__(self) -> None:
        units = [need.unit for need in self.in_kind]
        twice = sorted({unit for unit in units if units.count(unit) > 1})
        if twice:
            raise NeedRefused(
                f"one need per unit: {', '.join(twice)} is asked more than once; add the "
                "quantities up and describe them together",
                rule="one-need-per-unit",
                field="in_kind",
            )

    @property
    def asks_anything(self) -> bool:
        return self.amount is not None or bool(self.in_kind)


@dataclass(frozen=True)
class Changed:
    """Domain event: the request changed status (or was amended); carries the transition."""

    request_id: UUID
    transition: Transition[Status]


@dataclass
class AssistanceRequest(Lifecycle[Status]):
    state: str
    need: Need
    regional_centre: str | None
    id: UUID = field(default_factory=uuid4)
    status: Status = Status.DRAFT
    version: int = 1
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    updated_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    matched_amount: Decimal = Decimal(0)
    reserved_amount: Decimal = Decimal(0)
    matched_in_kind: dict[str, Decimal] = field(default_factory=dict)
    """What accepted proposals cover of each in-kind need, by unit."""
    reserved_in_kind: dict[str, Decimal] = field(default_factory=dict)
    """What the inventory holds for each in-kind need, by unit."""
    coverage_sequence: int = 0
    history: list[Transition[Status]] = field(default_factory=list)
    events: list[Changed] = field(default_factory=list)
    refused = LifecycleRefused

    @classmethod
    def draft(
        cls, state: str, need: Need, regional_centre: str | None, actor: str, now: datetime
    ) -> AssistanceRequest:
        request = cls(
            state=state, need=need, regional_centre=regional_centre, created_at=now, updated_at=now
        )
        request._record("create", None, Status.DRAFT, actor, now)
        return request

    @property
    def on_global_tier(self) -> bool:
        """Whether the secretariat's tier sees it: endorsed or further, or no centre reviews it."""
        return self.regional_centre is None or self.status in ON_GLOBAL_TIER

    def amend(self, need: Need, actor: str, now: datetime) -> None:
        self._require(
            self.status in EDITABLE, "not-editable", f"a {self.status} request cannot be amended"
        )
        self.need = need
        self._record("amend", self.status, self.status, actor, now)

    def submit(self, actor: str, now: datetime) -> None:
        self._require(
            self.status in EDITABLE,
            "not-submittable",
            f"a {self.status} request cannot be submitted",
        )
        self._require_future_deadline(now)
        if not self.need.asks_anything:
            raise NeedRefused(
                "the request asks for no money and no help in kind: give an amount or an "
                "in-kind need before submitting it",
                rule="nothing-asked",
            )
        self._record("submit", self.status, Status.SUBMITTED, actor, now)

    def escalate(self, now: datetime, reason: str) -> None:
        """Hand a submitted request its centre has not reviewed in time to the secretariat's
        attention; it stays submitted, and the secretariat may review it."""
        self._require(
            self.status in REVIEWABLE and self.regional_centre is not None,
            "not-escalatable",
            f"a {self.status} request waits on no centre's review",
        )
        self._record("escalate", self.status, self.status, "system", now, reason)

    def escalate_to_donors(self, now: datetime, reason: str) -> None:
        """Bring a published request nothing has been proposed for in time to the attention of
        those who could help (its state's coalition, or the donors of its convention and areas);
        it stays published."""
        self._require(
            self.status == Status.PUBLISHED,
            "not-escalatable",
            f"a {self.status} request is not waiting for a first proposal",
        )
        self._record("escalate-to-donors", self.status, self.status, "system", now, reason)

    def endorse(self, actor: str, now: datetime, reason: str | None = None) -> None:
        self._require(
            self.status in REVIEWABLE,
            "not-reviewable",
            f"a {self.status} request cannot be endorsed",
        )
        self._record("endorse", self.status, Status.ENDORSED, actor, now, reason)

    def return_for_amendment(self, actor: str, now: datetime, reason: str) -> None:
        self._require(
            self.status in REVIEWABLE | {Status.ENDORSED},
            "not-reviewable",
            f"a {self.status} request cannot be returned",
        )
        self._require(bool(reason.strip()), "reason-required", "say why the request is returned")
        self._record("return", self.status, Status.RETURNED, actor, now, reason)

    def publish(self, actor: str, now: datetime) -> None:
        self._require(
            self.status is Status.ENDORSED,
            "not-publishable",
            f"a {self.status} request cannot be published; endorse it first",
        )
        self._require_future_deadline(now)
        self._record("publish", self.status, Status.PUBLISHED, actor, now)

    def withdraw(self, actor: str, now: datetime, reason: str | None = None) -> None:
        self._require(
            self.status not in CLOSED | {Status.FUNDED},
            "not-withdrawable",
            f"a {self.status} request cannot be withdrawn",
        )
        self._record("withdraw", self.status, Status.WITHDRAWN, actor, now, reason)

    def complete(self, actor: str, now: datetime, reason: str | None = None) -> None:
        self._require(
            self.status is Status.FUNDED,
            "not-completable",
            f"a {self.status} request cannot be completed; it must be funded",
        )
        self._record("complete", self.status, Status.COMPLETED, actor, now, reason)

    def expire_if_due(self, today: date, now: datetime) -> bool:
        """Expire an open request whose deadline has passed; True when it did."""
        if self.status in CLOSED | {Status.FUNDED} or self.need.deadline >= today:
            return False
        self._record(
            "expire",
            self.status,
            Status.EXPIRED,
            "system",
            now,
            f"deadline {self.need.deadline.isoformat()} passed",
        )
        return True

    def extend_deadline(self, deadline: date, actor: str, now: datetime, reason: str) -> None:
        """Move the deadline to the one a granted extension of the treaty deadline set, in any
        status but closed (a draft or returned request is amended instead)."""
        self._require(
            self.status not in CLOSED,
            "not-extendable",
            f"a {self.status} request's deadline cannot be extended",
        )
        self.need = replace(self.need, deadline=deadline, deadline_reason=reason)
        self._record("extend-deadline", self.status, self.status, actor, now, reason)

    def record_coverage(
        self,
        sequence: int,
        matched: Decimal,
        fully_matched: bool,
        actor: str,
        now: datetime,
        in_kind: Mapping[str, Decimal] | None = None,
    ) -> bool:
        """Matching's latest view of how much is covered, money and each unit in kind; older
        views are ignored."""
        if sequence <= self.coverage_sequence or self.status not in MATCHABLE:
            return False
        self.coverage_sequence = sequence
        self.matched_amount = matched
        self.matched_in_kind = dict(in_kind or {})
        anything = matched > 0 or any(q > 0 for q in self.matched_in_kind.values())
        target = (
            Status.MATCHED
            if fully_matched
            else (Status.PARTLY_MATCHED if anything else Status.PUBLISHED)
        )
        if target is not self.status:
            self._record("coverage", self.status, target, actor, now)
        return True

    def record_reservation(
        self, amount: Decimal, actor: str, now: datetime, unit: str | None = None
    ) -> None:
        """Money (`unit` None) or help in kind reserved for this request; it is funded once the
        reservations cover every need: the money asked and each in-kind need in its unit."""
        if unit is None:
            self.reserved_amount += amount
        else:
            self.reserved_in_kind[unit] = self.reserved_in_kind.get(unit, Decimal(0)) + amount
        if self.status in MATCHABLE and self._reserved_covers_need():
            self._record("fund", self.status, Status.FUNDED, actor, now)

    def _reserved_covers_need(self) -> bool:
        money = self.need.amount is None or self.reserved_amount >= self.need.amount.value
        return money and all(
            self.reserved_in_kind.get(n.unit, Decimal(0)) >= n.quantity for n in self.need.in_kind
        )

    def plain_fields(self) -> dict[str, Any]:
        """Its own and its need's simple fields, enums as their values and tuples as lists: what
        its row, its events and the API's answer carry alike."""
        need = self.need
        return {
            "state": self.state,
            "regional_centre": self.regional_centre,
            "status": self.status.value,
            "version": self.version,
            "convention": need.convention,
            "areas": list(need.areas),
            "assistance_types": list(need.assistance_types),
            "title": need.title,
            "description": need.description,
            "deadline": need.deadline,
            "deadline_reason": need.deadline_reason,
            "urgency": need.urgency.value,
            "created_at": self.created_at,
        }

    def _require_future_deadline(self, now: datetime) -> None:
        self._require(
            self.need.deadline > now.date(),
            "deadline-passed",
            f"the deadline {self.need.deadline.isoformat()} has passed",
        )

    def _changed(self, transition: Transition[Status]) -> Changed:
        return Changed(self.id, transition)
