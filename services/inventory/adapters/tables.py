"""The inventory schema's tables. The repositories beside this module are the only code that
queries them.

The ledger's invariants hold in the database itself, whatever the code above it does: a window's
running totals change only by increments (`committed = committed + x`) under CHECK constraints
(committed and reserved within capacity, nothing negative), each request's balance on a window
keeps its disbursements within its commitments, and ledger entries refuse UPDATE and DELETE
(a trigger in the migration).
"""

from __future__ import annotations

from datetime import date, datetime
from datetime import date as day_type
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlmodel import Field, SQLModel

from services.inventory.domain.ledger import ZERO
from shared.bulk import bulk_uploads_table
from shared.db import schema_registry
from shared.tables import KernelTables

SCHEMA = "inventory"
_registry = schema_registry(SCHEMA)
metadata = _registry.metadata
MONEY = Numeric(20, 2)


class Table(SQLModel, registry=_registry):
    """Base of the tables of this schema."""


def _strings(length: int) -> Any:
    return Field(sa_column=Column(ARRAY(String(length)), nullable=False))


def _money(*, nullable: bool = False) -> Any:
    return Field(default=None if nullable else ZERO, sa_column=Column(MONEY, nullable=nullable))


def _total() -> Any:
    """A running total: zero until something is recorded."""
    return Field(default=ZERO, sa_column=Column(MONEY, nullable=False, server_default="0"))


def _moment() -> Any:
    return Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class SourceRow(Table, table=True):
    __tablename__ = "sources"
    __table_args__ = (
        Index("ix_sources_conventions", "conventions", postgresql_using="gin"),
        Index("ix_sources_area_keys", "area_keys", postgresql_using="gin"),
        Index("ix_sources_regional_focus", "regional_focus", postgresql_using="gin"),
        Index("ix_sources_created_at_id", "created_at", "id"),
    )

    id: UUID = Field(primary_key=True)
    version: int
    kind: str = Field(max_length=40)
    name: str = Field(max_length=300)
    description: str = Field(sa_column=Column(Text, nullable=False))
    donor: str | None = Field(default=None, max_length=100, index=True)
    home_country: str | None = Field(default=None, max_length=3)
    status: str = Field(max_length=20, index=True)
    supports: list[dict[str, Any]] = Field(sa_column=Column(JSONB, nullable=False))
    conventions: list[str] = _strings(40)
    area_keys: list[str] = _strings(130)  # "CCM/victim-assistance"; "CCM/*" for every area
    assistance_types: list[str] = _strings(40)
    eligibility_rule: str = Field(max_length=20)
    eligible_states: list[str] = _strings(3)
    eligible_regions: list[str] = _strings(63)
    eligible_income_groups: list[str] = _strings(20)
    regional_focus: list[str] = _strings(63)
    min_grant: Decimal | None = _money(nullable=True)
    max_grant: Decimal | None = _money(nullable=True)
    cofinancing_percent: Decimal | None = Field(default=None, sa_column=Column(Numeric(5, 2)))
    proposal_languages: list[str] = _strings(3)
    documents: list[str] = _strings(300)
    requirement_notes: str | None = Field(default=None, sa_column=Column(Text))
    contact: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    created_at: datetime = _moment()
    updated_at: datetime = _moment()


class WindowRow(Table, table=True):
    __tablename__ = "windows"
    __table_args__ = (
        CheckConstraint("closes >= opens", name="dates"),
        CheckConstraint("capacity > 0", name="capacity"),
        CheckConstraint("least(pledged, committed, reserved, disbursed) >= 0", name="not_negative"),
        CheckConstraint("committed + reserved <= capacity", name="within_capacity"),
        CheckConstraint("disbursed <= committed", name="disbursed_within_committed"),
        CheckConstraint("num_nonnulls(currency, unit) = 1", name="money_or_in_kind"),
    )

    id: UUID = Field(primary_key=True)
    source_id: UUID = Field(
        sa_column=Column(ForeignKey(f"{SCHEMA}.sources.id"), nullable=False, index=True)
    )
    position: int
    opens: date = Field(sa_column=Column(Date, nullable=False))
    closes: date = Field(sa_column=Column(Date, nullable=False))
    currency: str | None = Field(default=None, max_length=3, description="money: ISO 4217")
    unit: str | None = Field(default=None, max_length=40, description="in kind: a taxonomy unit")
    capacity: Decimal = _money()
    pledged: Decimal = _total()
    committed: Decimal = _total()
    reserved: Decimal = _total()
    disbursed: Decimal = _total()


class BalanceRow(Table, table=True):
    """What one window holds for one request, or for none (request_id NULL)."""

    __tablename__ = "balances"
    __table_args__ = (
        UniqueConstraint("window_id", "request_id", postgresql_nulls_not_distinct=True),
        CheckConstraint("least(pledged, committed, disbursed) >= 0", name="not_negative"),
        CheckConstraint("disbursed <= committed", name="disbursed_within_committed"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True))
    window_id: UUID = Field(sa_column=Column(ForeignKey(f"{SCHEMA}.windows.id"), nullable=False))
    request_id: UUID | None = Field(default=None, index=True)
    pledged: Decimal = _total()
    committed: Decimal = _total()
    disbursed: Decimal = _total()


class ReservationRow(Table, table=True):
    """One answer per accepted match; the unique match_id makes it exactly one."""

    __tablename__ = "reservations"
    __table_args__ = (
        CheckConstraint("status = 'failed' OR (amount > 0 AND window_id IS NOT NULL)", name="held"),
    )

    id: UUID = Field(primary_key=True)
    match_id: UUID = Field(unique=True)
    request_id: UUID = Field(index=True)
    state: str = Field(max_length=3)
    source_id: UUID = Field(index=True)  # no foreign key: unknown sources get an answer too
    window_id: UUID | None = Field(
        default=None, sa_column=Column(ForeignKey(f"{SCHEMA}.windows.id"), index=True)
    )
    amount: Decimal = Field(sa_column=Column(Numeric, nullable=False))  # as the match said
    currency: str | None = Field(default=None, max_length=3)
    unit: str | None = Field(default=None, max_length=40, description="in kind: a taxonomy unit")
    status: str = Field(max_length=20)
    reason: str | None = Field(default=None, max_length=40)
    detail: str | None = Field(default=None, sa_column=Column(Text))
    accepted_by: str = Field(max_length=120)
    created_at: datetime = _moment()
    updated_at: datetime = _moment()


class EntryRow(Table, table=True):
    """A ledger entry; `created_at` is when it was recorded, `date` the day of the act."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        CheckConstraint("amount <> 0", name="not_zero"),
        CheckConstraint("corrects IS NOT NULL OR amount > 0", name="positive_unless_correction"),
        CheckConstraint("num_nonnulls(currency, unit) = 1", name="money_or_in_kind"),
        Index("ix_ledger_entries_created_at_id", "created_at", "id"),
    )

    id: UUID = Field(primary_key=True)
    source_id: UUID = Field(
        sa_column=Column(ForeignKey(f"{SCHEMA}.sources.id"), nullable=False, index=True)
    )
    window_id: UUID = Field(
        sa_column=Column(ForeignKey(f"{SCHEMA}.windows.id"), nullable=False, index=True)
    )
    request_id: UUID | None = Field(default=None, index=True)
    kind: str = Field(max_length=20)
    amount: Decimal = _money()
    currency: str | None = Field(default=None, max_length=3, description="money: ISO 4217")
    unit: str | None = Field(default=None, max_length=40, description="in kind: a taxonomy unit")
    date: day_type = Field(sa_column=Column(Date, nullable=False))
    actor: str = Field(max_length=120)
    note: str | None = Field(default=None, sa_column=Column(Text))
    corrects: UUID | None = Field(
        default=None, sa_column=Column(ForeignKey(f"{SCHEMA}.ledger_entries.id"), index=True)
    )
    reservation_id: UUID | None = Field(
        default=None, sa_column=Column(ForeignKey(f"{SCHEMA}.reservations.id"), unique=True)
    )
    reference: str | None = Field(
        default=None,
        sa_column=Column(String(400), unique=True),
        description="an imported transaction's identity (IATI: activity/transaction ref)",
    )
    created_at: datetime = _moment()


class RequestRow(Table, table=True):
    """The requests as their events describe them (newest version kept): what the IATI export
    says about each, and which requests an import may name."""

    __tablename__ = "requests"

    request_id: UUID = Field(primary_key=True)
    version: int
    state: str = Field(max_length=3)
    regional_centre: str | None = Field(default=None, max_length=63)
    status: str = Field(max_length=30)
    convention: str = Field(max_length=40, index=True)
    areas: list[str] = _strings(130)
    title: str = Field(sa_column=Column(Text, nullable=False))
    description: str = Field(sa_column=Column(Text, nullable=False))
    amount: Decimal | None = _money(nullable=True)
    currency: str | None = Field(default=None, max_length=3)
    in_kind: list[dict[str, Any]] = Field(sa_column=Column(JSONB, nullable=False))
    deadline: date = Field(sa_column=Column(Date, nullable=False))
    created_at: datetime = _moment()


class VersionRow(Table, table=True):
    """Every version of a source, as its editors left it."""

    __tablename__ = "source_versions"
    __table_args__ = (PrimaryKeyConstraint("source_id", "version", name="pk_source_versions"),)

    source_id: UUID = Field(sa_column=Column(ForeignKey(f"{SCHEMA}.sources.id"), nullable=False))
    version: int = Field(sa_column=Column(Integer, nullable=False))
    change: str = Field(max_length=20)
    actor: str = Field(max_length=120)
    at: datetime = _moment()
    document: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))


class ProjectRow(Table, table=True):
    """A project carrying out a funded request; its plan (budget, milestones, schedule,
    indicators) as JSON, read and written whole with the project."""

    __tablename__ = "projects"
    __table_args__ = (
        CheckConstraint("ends >= starts", name="dates"),
        Index("ix_projects_funders", "funders", postgresql_using="gin"),
        Index("ix_projects_created_at_id", "created_at", "id"),
    )

    id: UUID = Field(primary_key=True)
    version: int
    request_id: UUID = Field(index=True)
    state: str = Field(max_length=3, index=True)
    regional_centre: str | None = Field(default=None, max_length=63)
    convention: str = Field(max_length=40)
    title: str = Field(sa_column=Column(Text, nullable=False))
    implementing_partner: str = Field(max_length=100, index=True)
    funders: list[str] = _strings(100)
    starts: date = Field(sa_column=Column(Date, nullable=False))
    ends: date = Field(sa_column=Column(Date, nullable=False))
    status: str = Field(max_length=20, index=True)
    budget: list[dict[str, Any]] = Field(sa_column=Column(JSONB, nullable=False))
    milestones: list[dict[str, Any]] = Field(sa_column=Column(JSONB, nullable=False))
    schedule: list[dict[str, Any]] = Field(sa_column=Column(JSONB, nullable=False))
    indicators: list[dict[str, Any]] = Field(sa_column=Column(JSONB, nullable=False))
    created_by: str = Field(max_length=120)
    created_at: datetime = _moment()
    updated_at: datetime = _moment()


class ProjectReportRow(Table, table=True):
    """A progress report of a project; `final` completes it."""

    __tablename__ = "project_reports"
    __table_args__ = (CheckConstraint("period_end >= period_start", name="period"),)

    id: UUID = Field(primary_key=True)
    project_id: UUID = Field(
        sa_column=Column(ForeignKey(f"{SCHEMA}.projects.id"), nullable=False, index=True)
    )
    period_start: date = Field(sa_column=Column(Date, nullable=False))
    period_end: date = Field(sa_column=Column(Date, nullable=False))
    values: dict[str, str] = Field(sa_column=Column(JSONB, nullable=False))
    challenges: str = Field(sa_column=Column(Text, nullable=False))
    lessons: str = Field(sa_column=Column(Text, nullable=False))
    final: bool
    filed_by: str = Field(max_length=120)
    filed_at: datetime = _moment()


class ProjectAlertRow(Table, table=True):
    """An alert raised about a project; the primary key makes it once per overdue item."""

    __tablename__ = "project_alerts"
    __table_args__ = (PrimaryKeyConstraint("project_id", "kind", "item", name="pk_project_alerts"),)

    project_id: UUID = Field(sa_column=Column(ForeignKey(f"{SCHEMA}.projects.id"), nullable=False))
    kind: str = Field(sa_column=Column(String(40), nullable=False))
    item: str = Field(sa_column=Column(String(200), nullable=False))
    raised_at: datetime = _moment()


UPLOADS = bulk_uploads_table(metadata)
"""How far each bulk upload of a file of sources has got (`shared.bulk`)."""

TABLES = KernelTables.on(metadata)
