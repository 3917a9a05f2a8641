"""What the ledger holds: entries, per-request balances and reservations. Values only, no I/O.

An entry records one act (a pledge, a commitment or a disbursement) on one window of a source,
for one request or for none, dated the day of the act and attributed to whoever recorded it.
Entries are never changed: a correction is a new entry of the same kind that names the entry it
corrects and carries the difference.

A reservation is the inventory's side of a match a donor accepted: an amount held on a window
until it is converted into a commitment or released. A match the source cannot serve is answered
with a failed reservation, so that every match has exactly one answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from uuid import UUID, uuid4

from shared.events.inventory import ReservationFailure
from shared.values import Money, Quantity

# The inventory's adapters import these from here.

ZERO = Decimal("0.00")


class EntryKind(StrEnum):
    PLEDGED = "pledged"
    COMMITTED = "committed"
    DISBURSED = "disbursed"


@dataclass(frozen=True)
class Act:
    """What a donor or the secretariat records: an act on one window, for a request or none."""

    kind: EntryKind
    window_id: UUID
    request_id: UUID | None
    amount: Money | Quantity
    """Money in the window's currency, or a quantity of its unit for help in kind."""
    date: date
    note: str | None = None
    reference: str | None = None
    """The act's identity in another system (an imported IATI transaction): recorded once."""


@dataclass(frozen=True)
class LedgerEntry:
    kind: EntryKind
    source_id: UUID
    window_id: UUID
    request_id: UUID | None
    amount: Decimal
    currency: str | None  # money; None for help in kind, counted in `unit`
    date: date
    actor: str
    recorded_at: datetime
    unit: str | None = None
    note: str | None = None
    corrects: UUID | None = None
    reservation_id: UUID | None = None
    reference: str | None = None  # unique: an imported transaction is recorded once
    id: UUID = field(default_factory=uuid4)


@dataclass(frozen=True)
class Balance:
    """What one window holds for one request (or for no request in particular)."""

    pledged: Decimal = ZERO
    committed: Decimal = ZERO
    disbursed: Decimal = ZERO


@dataclass(frozen=True)
class Correction:
    """The difference to make to an entry (negative to reduce it), when, and why."""

    delta: Money | Quantity
    date: date
    reason: str


@dataclass(frozen=True)
class Original:
    """An entry about to be corrected, with what its corrections and its request's hold now."""

    entry: LedgerEntry
    standing: Decimal  # the entry's amount plus every correction of it so far
    balance: Balance  # the window's balance for the entry's request


@dataclass(frozen=True)
class Acceptance:
    """A donor's acceptance of a match: reserve `amount` for `request_id` of `state`, money in
    `currency` or help in kind counted in `unit`."""

    match_id: UUID
    request_id: UUID
    state: str
    source_id: UUID
    window_id: UUID | None
    amount: Decimal
    currency: str | None
    accepted_by: str
    unit: str | None = None

    @property
    def measure(self) -> tuple[str | None, str | None]:
        """What the amount counts: its currency and unit (one of the two is None)."""
        return self.currency, self.unit


class ReservationStatus(StrEnum):
    HELD = "held"
    FAILED = "failed"
    CONVERTED = "converted"
    RELEASED = "released"


@dataclass
class Reservation:
    """The one answer to one accepted match."""

    match_id: UUID
    request_id: UUID
    state: str
    source_id: UUID
    window_id: UUID | None
    amount: Decimal
    currency: str | None
    status: ReservationStatus
    accepted_by: str
    created_at: datetime
    updated_at: datetime
    reason: ReservationFailure | None = None
    detail: str | None = None
    unit: str | None = None
    id: UUID = field(default_factory=uuid4)

    @classmethod
    def answer(
        cls,
        acceptance: Acceptance,
        now: datetime,
        *,
        window_id: UUID | None,
        refusal: Refusal | None,
    ) -> Reservation:
        """Held on `window_id`, or failed for the reason `refusal` gives."""
        return cls(
            match_id=acceptance.match_id,
            request_id=acceptance.request_id,
            state=acceptance.state,
            source_id=acceptance.source_id,
            window_id=window_id,
            amount=acceptance.amount,
            currency=acceptance.currency,
            unit=acceptance.unit,
            status=ReservationStatus.FAILED if refusal else ReservationStatus.HELD,
            accepted_by=acceptance.accepted_by,
            created_at=now,
            updated_at=now,
            reason=refusal.reason if refusal else None,
            detail=refusal.detail if refusal else None,
        )


class Refusal(Exception):
    """Why a source cannot reserve what a match asks; becomes a failed reservation."""

    def __init__(self, reason: ReservationFailure, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail
