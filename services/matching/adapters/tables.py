"""The matching schema's tables: the read model built from other services' events, and the
service's own decisions. The repositories beside this module are the only code that queries them.

Two kinds of tables. The read model (`request_view`, `source_view`, `ledger_entries`) is built
only from the requests' and the inventory's events and can be rebuilt from the topics at any
time; each row keeps the highest version of its aggregate seen so far (ledger entries never
change), so a repeated or late event changes nothing. The service's own state (`matches`,
`coverage`, `allocation_queue`) is what it decided; the country coalitions (`coalitions`,
`coalition_members`, `coalition_dialogue`) what their partners recorded.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import Column, Date, DateTime, Float, Integer, Numeric, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from shared.db import schema_registry
from shared.tables import KernelTables

SCHEMA = "matching"
_registry = schema_registry(SCHEMA)
metadata = _registry.metadata
MONEY = Numeric(20, 2)


class Table(SQLModel, registry=_registry):
    """Base of the tables of this schema."""


class RequestView(Table, table=True):
    """A request as its latest event describes it."""

    __tablename__ = "request_view"

    request_id: UUID = Field(primary_key=True)
    version: int
    status: str = Field(max_length=20, index=True)
    state: str = Field(max_length=3, index=True)
    regional_centre: str | None = Field(default=None, max_length=63)
    deadline: date
    published_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    details: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))


class SourceView(Table, table=True):
    """A source of assistance and its windows' availability, as its latest event describes it."""

    __tablename__ = "source_view"

    source_id: UUID = Field(primary_key=True)
    version: int
    donor: str | None = Field(default=None, max_length=100, index=True)
    status: str = Field(max_length=20)
    details: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))


class MatchRow(Table, table=True):
    __tablename__ = "matches"

    id: UUID = Field(primary_key=True)
    request_id: UUID = Field(index=True)
    state: str = Field(max_length=3, index=True)
    regional_centre: str | None = Field(default=None, max_length=63)
    source_id: UUID = Field(index=True)
    window_id: UUID
    donor: str | None = Field(default=None, max_length=100, index=True)
    amount: Decimal = Field(sa_column=Column(MONEY, nullable=False))  # or a quantity of `unit`
    currency: str | None = Field(default=None, max_length=3)
    unit: str | None = Field(default=None, max_length=40, description="in kind: a taxonomy unit")
    lead: bool
    score: float = Field(sa_column=Column(Float, nullable=False))
    explanation: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    status: str = Field(max_length=20, index=True)
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    expires_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    decided_by: str | None = Field(default=None, max_length=120)
    reason: str | None = Field(default=None, max_length=2000)


class CoverageRow(Table, table=True):
    """The last coverage snapshot announced for a request."""

    __tablename__ = "coverage"

    request_id: UUID = Field(primary_key=True)
    sequence: int = Field(sa_column=Column(Integer, nullable=False))
    matched_amount: Decimal = Field(sa_column=Column(MONEY, nullable=False))
    currency: str | None = Field(default=None, max_length=3)
    fully_matched: bool
    in_kind: list[list[str]] = Field(
        default_factory=list,
        sa_column=Column(JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    )
    """What is covered of each in-kind need: [unit, quantity] pairs."""


class QueuedChange(Table, table=True):
    """A request or a source an event changed, or a window a match that ended freed, waiting
    for the allocator's next incremental run: the run re-allocates the queued requests and those
    with proposals on queued sources, and offers the room of queued sources and windows to the
    hungry requests."""

    __tablename__ = "allocation_queue"

    aggregate_id: UUID = Field(primary_key=True)
    kind: str = Field(max_length=10)
    queued_at: datetime = Field(
        sa_column=Column(DateTime(timezone=True), nullable=False, server_default=func.now())
    )


class LedgerEntryView(Table, table=True):
    """A pledge, commitment or disbursement of a source's ledger (`funds.ledger-entry-recorded`),
    or a correction of one carrying the difference: what a coalition's members gave."""

    __tablename__ = "ledger_entries"

    entry_id: UUID = Field(primary_key=True)
    source_id: UUID = Field(index=True)
    window_id: UUID
    request_id: UUID | None = Field(default=None, index=True)
    kind: str = Field(max_length=20)
    amount: Decimal = Field(sa_column=Column(MONEY, nullable=False))  # or a quantity of `unit`
    currency: str | None = Field(default=None, max_length=3)
    unit: str | None = Field(default=None, max_length=40)
    on: date = Field(sa_column=Column(Date, nullable=False))


class CoalitionRow(Table, table=True):
    """A country coalition around one state and its obligations under one convention."""

    __tablename__ = "coalitions"

    id: UUID = Field(primary_key=True)
    version: int
    state: str = Field(max_length=3, index=True)
    regional_centre: str | None = Field(default=None, max_length=63, index=True)
    convention: str = Field(max_length=20)
    areas: list[str] = Field(sa_column=Column(JSONB, nullable=False))
    title: str = Field(max_length=300)
    status: str = Field(max_length=20)
    lead: str | None = Field(default=None, max_length=100)
    proposed_by: str = Field(max_length=120)
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class CoalitionMemberRow(Table, table=True):
    __tablename__ = "coalition_members"

    coalition_id: UUID = Field(primary_key=True, foreign_key="matching.coalitions.id")
    party: str = Field(primary_key=True, max_length=100, index=True)
    kind: str = Field(max_length=20)
    joined_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    added_by: str = Field(max_length=120)


class DialogueRow(Table, table=True):
    """One entry of a coalition's dialogue log; entries are only ever added."""

    __tablename__ = "coalition_dialogue"

    id: UUID = Field(primary_key=True)
    coalition_id: UUID = Field(index=True, foreign_key="matching.coalitions.id")
    on: date = Field(sa_column=Column(Date, nullable=False))
    kind: str = Field(max_length=20)
    participants: list[str] = Field(sa_column=Column(JSONB, nullable=False))
    agreed: str = Field(max_length=4000)
    follow_ups: list[dict[str, str]] = Field(sa_column=Column(JSONB, nullable=False))
    recorded_by: str = Field(max_length=120)
    recorded_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


TABLES = KernelTables.on(metadata)
READ_MODEL = (RequestView, SourceView, LedgerEntryView)
