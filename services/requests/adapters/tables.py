"""The requests schema: its tables (schema = service name) and the kernel's."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import (
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlmodel import Field, SQLModel

from shared.bulk import bulk_uploads_table
from shared.columns import MONEY, parent_id, serial_id
from shared.db import schema_registry
from shared.tables import KernelTables

SCHEMA = "requests"
_registry = schema_registry(SCHEMA)
metadata = _registry.metadata


class Table(SQLModel, registry=_registry):
    """Base of the tables of this schema."""


class RequestRow(Table, table=True):
    __tablename__ = "requests"
    __table_args__ = (
        Index("ix_requests_areas", "areas", postgresql_using="gin"),
        Index("ix_requests_created_at_id", "created_at", "id"),
    )

    id: UUID = Field(primary_key=True)
    state: str = Field(max_length=3, index=True)
    regional_centre: str | None = Field(default=None, max_length=63, index=True)
    status: str = Field(max_length=20, index=True)
    version: int
    convention: str = Field(max_length=40, index=True)
    areas: list[str] = Field(sa_column=Column(ARRAY(String(80)), nullable=False))
    assistance_types: list[str] = Field(sa_column=Column(ARRAY(String(40)), nullable=False))
    title: str = Field(max_length=300)
    description: str = Field(sa_column=Column(Text, nullable=False))
    evidence: list[dict[str, Any]] = Field(sa_column=Column(JSONB, nullable=False))
    amount: Decimal | None = Field(default=None, sa_column=Column(MONEY))
    currency: str | None = Field(default=None, max_length=3)
    in_kind: list[dict[str, Any]] = Field(
        default_factory=list,
        sa_column=Column(JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    )
    deadline: date = Field(sa_column=Column(Date, nullable=False, index=True))
    deadline_reason: str | None = Field(default=None, max_length=300)
    urgency: str = Field(max_length=20)
    contact: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    matched_amount: Decimal = Field(sa_column=Column(MONEY, nullable=False))
    reserved_amount: Decimal = Field(sa_column=Column(MONEY, nullable=False))
    matched_in_kind: dict[str, str] = Field(
        default_factory=dict,
        sa_column=Column(JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    )
    reserved_in_kind: dict[str, str] = Field(
        default_factory=dict,
        sa_column=Column(JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    )
    coverage_sequence: int = Field(sa_column=Column(Integer, nullable=False))
    first_proposed_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class HistoryRow(Table, table=True):
    __tablename__ = "request_history"

    id: int | None = serial_id()
    request_id: UUID = parent_id(f"{SCHEMA}.requests.id")
    action: str = Field(max_length=20)
    from_status: str | None = Field(default=None, max_length=20)
    to_status: str = Field(max_length=20)
    actor: str = Field(max_length=120)
    at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    reason: str | None = Field(default=None, max_length=2000)


class ExtensionRow(Table, table=True):
    """An extension request of a treaty deadline (see `domain.extensions`)."""

    __tablename__ = "extension_requests"
    __table_args__ = (Index("ix_extension_requests_created_at_id", "created_at", "id"),)

    id: UUID = Field(primary_key=True)
    state: str = Field(max_length=3, index=True)
    regional_centre: str | None = Field(default=None, max_length=63, index=True)
    convention: str = Field(max_length=40, index=True)
    area: str = Field(max_length=80)
    article: str = Field(max_length=10)
    status: str = Field(max_length=20, index=True)
    version: int
    current_deadline: date = Field(sa_column=Column(Date, nullable=False))
    requested_deadline: date = Field(sa_column=Column(Date, nullable=False))
    plan: str = Field(sa_column=Column(Text, nullable=False))
    cost: Decimal = Field(sa_column=Column(MONEY, nullable=False))
    currency: str = Field(max_length=3)
    reasons: str = Field(sa_column=Column(Text, nullable=False))
    questions: list[dict[str, Any]] = Field(sa_column=Column(JSONB, nullable=False))
    analysis: str | None = Field(default=None, sa_column=Column(Text))
    decision: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONB))
    granted_deadline: date | None = Field(default=None, sa_column=Column(Date))
    assistance_request_id: UUID | None = Field(
        default=None, foreign_key=f"{SCHEMA}.requests.id", index=True
    )
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class ExtensionHistoryRow(Table, table=True):
    __tablename__ = "extension_history"

    id: int | None = serial_id()
    extension_id: UUID = parent_id(f"{SCHEMA}.extension_requests.id")
    action: str = Field(max_length=20)
    from_status: str | None = Field(default=None, max_length=20)
    to_status: str = Field(max_length=20)
    actor: str = Field(max_length=120)
    at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    reason: str | None = Field(default=None, sa_column=Column(Text))


class AnalysisMemberRow(Table, table=True):
    """A coordinator named to a convention's analysis group of extension requests."""

    __tablename__ = "analysis_group_members"

    convention: str = Field(primary_key=True, max_length=40)
    member: str = Field(primary_key=True, max_length=120)
    named_by: str = Field(max_length=120)
    named_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


UPLOADS = bulk_uploads_table(metadata)


TABLES = KernelTables.on(metadata)
