"""Events of the inventory service: sources of assistance and what they reserve for requests.

`SourceChanged` carries the whole source as it is after the change, with what each funding window
still has available, so matching keeps its read model of capacity from these events alone.

The project events (`ProjectEvent` and its kinds) follow a funded request carried out as a
project: started, a progress report filed, a report overdue, a disbursement late against its
schedule, completed; `ProjectCompleted.request_complete` tells the requests service that the
request is done.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import ClassVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.eligibility import Eligibility
from shared.events.base import EventPayload


class SourceKind(StrEnum):
    DONOR_STATE = "donor-state"
    BILATERAL_AGENCY = "bilateral-agency"
    INTERGOVERNMENTAL = "intergovernmental-organisation"
    DEVELOPMENT_BANK = "development-bank"
    GLOBAL_FUND = "global-fund"
    NGO = "ngo"
    PRIVATE_SECTOR = "private-sector"


class SourceStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    CLOSED = "closed"


class Support(BaseModel):
    """A convention a source supports, and which of its areas (all of them when empty)."""

    model_config = ConfigDict(frozen=True)

    convention: str
    areas: list[str] = Field(default_factory=list)


class WindowKind(StrEnum):
    """What a window offers: money in a currency, or help in kind counted in a unit."""

    MONEY = "money"
    IN_KIND = "in-kind"


class WindowState(BaseModel):
    """A window: when it is open, what it offers, its capacity and what is still available, in
    its currency (money) or its unit (help in kind); the two are never added together."""

    model_config = ConfigDict(frozen=True)

    window_id: UUID
    opens: date
    closes: date
    kind: WindowKind = WindowKind.MONEY
    currency: str | None = Field(
        None, pattern=r"^[A-Z]{3}$", description="ISO 4217, for money; None for help in kind."
    )
    unit: str | None = Field(
        None, description="An in-kind unit of the shared taxonomy; None for money."
    )
    capacity: Decimal
    available: Decimal = Field(description="Capacity less commitments and reservations.")

    @model_validator(mode="after")
    def _one_measure(self) -> WindowState:
        money = self.kind is WindowKind.MONEY
        if money != (self.currency is not None) or money == (self.unit is not None):
            raise ValueError("a money window has a currency and no unit; in kind, the reverse")
        return self

    @property
    def measure(self) -> str:
        """What its capacity is counted in: its currency or its unit."""
        return self.currency or self.unit or ""


class SourceDetails(BaseModel):
    model_config = ConfigDict(frozen=True)

    source_id: UUID
    version: int
    kind: SourceKind
    name: str
    donor: str | None = Field(description="The donor principal that manages it, if any.")
    home_country: str | None
    status: SourceStatus
    supports: list[Support]
    assistance_types: list[str]
    eligibility: Eligibility
    regional_focus: list[str] = Field(description="Regional centre ids; empty: worldwide.")
    windows: list[WindowState]
    min_grant: Decimal | None
    max_grant: Decimal | None


class SourceChanged(EventPayload):
    """A source was registered, edited, paused, closed, or its windows' availability moved."""

    event_type: ClassVar[str] = "source.changed"

    source: SourceDetails
    change: str = Field(description="registered, updated, paused, resumed, closed, ledger")
    actor: str


class FundsReserved(EventPayload):
    """A source's window reserved an amount for a request (the inventory side of a match)."""

    event_type: ClassVar[str] = "funds.reserved"

    reservation_id: UUID
    match_id: UUID
    request_id: UUID
    source_id: UUID
    amount: Decimal = Field(gt=0, description="Money in `currency`, or a quantity of `unit`.")
    currency: str | None = Field(description="Money: ISO 4217; None for help in kind.")
    unit: str | None = Field(None, description="Help in kind: the taxonomy unit; None for money.")


class ReservationFailure(StrEnum):
    WINDOW_CLOSED = "window-closed"
    CAPACITY_GONE = "capacity-gone"
    NOT_ELIGIBLE = "not-eligible"
    SOURCE_INACTIVE = "source-inactive"
    UNKNOWN_SOURCE = "unknown-source"
    CURRENCY_MISMATCH = "currency-mismatch"
    INVALID_AMOUNT = "invalid-amount"  # zero, finer than a cent, or outside the grant limits
    ABOVE_MAXIMUM_GRANT = "above-maximum-grant"  # with what the request holds from the source


class FundsReservationFailed(EventPayload):
    """A source could not reserve what a donor accepted; matching re-opens the need."""

    event_type: ClassVar[str] = "funds.reservation-failed"

    match_id: UUID
    request_id: UUID
    source_id: UUID
    amount: Decimal
    currency: str | None
    unit: str | None = None
    reason: ReservationFailure
    detail: str


class LedgerEntryRecorded(EventPayload):
    """A pledge, commitment or disbursement entered in a source's ledger, or a correction of one.

    Entries are never changed: a correction is an entry of its own that names the entry it
    corrects and carries the difference (negative to reduce it).
    """

    event_type: ClassVar[str] = "funds.ledger-entry-recorded"

    entry_id: UUID
    source_id: UUID
    window_id: UUID
    request_id: UUID | None
    kind: str = Field(description="pledged, committed or disbursed")
    amount: Decimal = Field(description="Money in `currency`, or a quantity of `unit`.")
    currency: str | None = Field(description="Money: ISO 4217; None for help in kind.")
    unit: str | None = Field(None, description="Help in kind: the taxonomy unit; None for money.")
    date: date
    actor: str
    corrects: UUID | None = None
    reservation_id: UUID | None = Field(None, description="The reservation it converts.")


class BudgetShare(BaseModel):
    """What one funder puts into a project, in one currency."""

    model_config = ConfigDict(frozen=True)

    funder: str = Field(description="The funder's party (the donor of its sources).")
    amount: Decimal = Field(gt=0)
    currency: str = Field(pattern=r"^[A-Z]{3}$")


class IndicatorValue(BaseModel):
    """A value reported for one results indicator, in the indicator's unit."""

    model_config = ConfigDict(frozen=True)

    indicator: str
    value: Decimal
    unit: str


class ProjectEvent(EventPayload):
    """What every project event says of its project: the request it carries out, whose it is,
    who funds and who implements it."""

    project_id: UUID
    request_id: UUID
    state: str
    regional_centre: str | None
    convention: str
    title: str
    implementing_partner: str
    funders: list[str]


class ProjectStarted(ProjectEvent):
    """A funded (or partly funded) request became a project."""

    event_type: ClassVar[str] = "project.started"

    starts: date
    ends: date
    budget: list[BudgetShare]
    indicators: list[str]
    actor: str


class ProjectReportFiled(ProjectEvent):
    """The state or the implementing partner reported progress; a final report completes the
    project (`project.completed` follows)."""

    event_type: ClassVar[str] = "project.report-filed"

    report_id: UUID
    period_start: date
    period_end: date
    final: bool
    values: list[IndicatorValue]
    filed_by: str


class ProjectReportOverdue(ProjectEvent):
    """No progress report came within the reporting interval: one event per missed due date."""

    event_type: ClassVar[str] = "project.report-overdue"

    due: date
    interval_days: int


class ProjectDisbursementLate(ProjectEvent):
    """A scheduled disbursement has no ledger disbursement covering it by its date and the grace
    days: what the funder planned to have disbursed by then, and what it had."""

    event_type: ClassVar[str] = "project.disbursement-late"

    funder: str
    planned_on: date
    planned: Decimal = Field(description="Planned by this date, this instalment included.")
    disbursed: Decimal = Field(description="What the ledger shows disbursed by the grace date.")
    currency: str
    grace_days: int


class ProjectCompleted(ProjectEvent):
    """The final report was filed. `request_complete`: every project of the request is complete
    now, so the request is done (the requests service completes it)."""

    event_type: ClassVar[str] = "project.completed"

    completed_by: str
    request_complete: bool


PROJECT_PAYLOADS: tuple[type[ProjectEvent], ...] = (
    ProjectStarted,
    ProjectReportFiled,
    ProjectReportOverdue,
    ProjectDisbursementLate,
    ProjectCompleted,
)

PAYLOADS: tuple[type[EventPayload], ...] = (
    SourceChanged,
    FundsReserved,
    FundsReservationFailed,
    LedgerEntryRecorded,
    *PROJECT_PAYLOADS,
)
