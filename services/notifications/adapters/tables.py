"""The notifications schema: its tables and the kernel's. The queries on them live in
`repository.py` and `webhook_repository.py`."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlmodel import Field, SQLModel

from shared.columns import MONEY, parent_id, serial_id
from shared.db import schema_registry
from shared.tables import KernelTables

SCHEMA = "notifications"
_registry = schema_registry(SCHEMA)
metadata = _registry.metadata


def _timestamp(*, nullable: bool = False, default_now: bool = False) -> Any:
    return Field(
        default=None,
        sa_column=Column(
            DateTime(timezone=True),
            nullable=nullable,
            server_default=func.now() if default_now else None,
        ),
    )


class Table(SQLModel, registry=_registry):
    """Base of the tables of this schema."""


class NotificationRow(Table, table=True):
    """One line of the feed for one audience. Ids grow in commit order (see repository).

    Nothing but the consumer's inbox keeps an event from being noted twice: the crash test
    (tests/integration/test_outbox_inbox.py) counts these rows to prove the inbox works."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_audience_id", "audience", "id"),)

    id: int | None = serial_id()
    event_id: UUID = Field(index=True)
    kind: str = Field(max_length=60, index=True)
    audience: str = Field(max_length=80)
    severity: str = Field(max_length=10)
    summary: str = Field(max_length=1000)
    subject: str = Field(max_length=200)
    state: str | None = Field(default=None, max_length=3, index=True)
    region: str | None = Field(default=None, max_length=63, index=True)
    request_id: UUID | None = Field(default=None, index=True)
    occurred_at: datetime = _timestamp()
    created_at: datetime | None = _timestamp(default_now=True)


class EventRow(Table, table=True):
    """Every event the service took in, as it came: a request's journey and webhook bodies."""

    __tablename__ = "events"
    __table_args__ = (
        # the charts' milestones: when each request was first proposed, funded, declined...
        Index("ix_events_type_request_id", "type", "request_id", "occurred_at"),
    )

    event_id: UUID = Field(primary_key=True)
    type: str = Field(max_length=200)
    source: str = Field(max_length=200)
    subject: str = Field(max_length=200)
    request_id: UUID | None = Field(default=None, index=True)
    occurred_at: datetime = _timestamp()
    data: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))


class RequestViewRow(Table, table=True):
    """The service's own copy of each request, from the request events: alerts and counts."""

    __tablename__ = "request_views"

    request_id: UUID = Field(primary_key=True)
    state: str = Field(max_length=3, index=True)
    region: str | None = Field(default=None, max_length=63)
    status: str = Field(max_length=20, index=True)
    version: int
    convention: str = Field(max_length=40)
    areas: list[str] = Field(sa_column=Column(ARRAY(String(80)), nullable=False))
    title: str = Field(max_length=300)
    deadline: date = Field(sa_column=Column(Date, nullable=False))
    amount: Decimal | None = Field(default=None, sa_column=Column(MONEY))
    currency: str | None = Field(default=None, max_length=3)
    submitted_at: datetime | None = _timestamp(nullable=True)
    published_at: datetime | None = _timestamp(nullable=True)
    updated_at: datetime = _timestamp()


class StandingProposalRow(Table, table=True):
    """A proposal that stands, from the match events: proposed, not yet answered, withdrawn or
    expired. The dashboard counts a request's."""

    __tablename__ = "standing_proposals"

    match_id: UUID = Field(primary_key=True)
    request_id: UUID = Field(index=True)


class SourceViewRow(Table, table=True):
    """Each source as its newest event tells it: who answers for it (funds events name sources
    by id), and what the indicator reports count (`domain.indicators.SourceRecord`)."""

    __tablename__ = "source_views"

    source_id: UUID = Field(primary_key=True)
    version: int
    name: str = Field(max_length=300)
    donor: str | None = Field(default=None, max_length=100)
    kind: str | None = Field(default=None, max_length=40)
    home_country: str | None = Field(default=None, max_length=3, index=True)
    status: str | None = Field(default=None, max_length=10)
    supports: list[dict[str, Any]] = Field(
        default_factory=list,
        sa_column=Column(JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    )
    assistance_types: list[str] = Field(
        default_factory=list,
        sa_column=Column(ARRAY(String(60)), nullable=False, server_default=text("'{}'")),
    )
    windows: list[dict[str, Any]] = Field(
        default_factory=list,
        sa_column=Column(JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    )


class LedgerFactRow(Table, table=True):
    """A ledger entry as the funds events tell it; entries never change, so each is kept once.
    Whose it is comes from its source's view when it is read."""

    __tablename__ = "ledger_facts"

    entry_id: UUID = Field(primary_key=True)
    source_id: UUID = Field(index=True)
    request_id: UUID | None = Field(default=None, index=True)
    kind: str = Field(max_length=20)
    amount: Decimal = Field(sa_column=Column(MONEY, nullable=False))
    currency: str | None = Field(default=None, max_length=3)
    unit: str | None = Field(default=None, max_length=40)
    day: date = Field(sa_column=Column(Date, nullable=False))


class CoalitionViewRow(Table, table=True):
    """Each country coalition as its newest event tells it: whom a request of its state that
    nothing is proposed for is brought to."""

    __tablename__ = "coalition_views"

    coalition_id: UUID = Field(primary_key=True)
    version: int
    state: str = Field(max_length=3, index=True)
    convention: str = Field(max_length=40)
    areas: list[str] = Field(sa_column=Column(ARRAY(String(80)), nullable=False))
    status: str = Field(max_length=20)
    members: list[str] = Field(sa_column=Column(ARRAY(String(100)), nullable=False))


class StateReportRow(Table, table=True):
    """A fact a state reports of itself for a convention (`domain.indicators.Fact`), recorded by
    its focal point or the secretariat: what the indicators need and no other record shows."""

    __tablename__ = "state_reports"

    id: UUID = Field(primary_key=True)
    state: str = Field(max_length=3, index=True)
    convention: str = Field(max_length=40)
    fact: str = Field(max_length=60)
    reported_on: date = Field(sa_column=Column(Date, nullable=False))
    note: str = Field(default="", max_length=1000)
    recorded_by: str = Field(max_length=100)
    recorded_at: datetime = _timestamp()


class AlertRow(Table, table=True):
    """An alert raised by the sweep; at most one standing per kind and subject."""

    __tablename__ = "alerts"
    __table_args__ = (
        Index(
            "uq_alerts_standing",
            "kind",
            "subject",
            unique=True,
            postgresql_where=text("cleared_at IS NULL"),
        ),
    )

    id: UUID = Field(primary_key=True)
    kind: str = Field(max_length=60)
    subject: str = Field(max_length=200)
    severity: str = Field(max_length=10)
    summary: str = Field(max_length=1000)
    state: str = Field(max_length=3, index=True)
    region: str | None = Field(default=None, max_length=63)
    request_id: UUID | None = None
    raised_at: datetime = _timestamp()
    cleared_at: datetime | None = _timestamp(nullable=True)


class SubscriptionRow(Table, table=True):
    """A webhook: where to send the notifications of one audience, and which of them."""

    __tablename__ = "subscriptions"

    id: UUID = Field(primary_key=True)
    audience: str = Field(max_length=80, index=True)
    owner_key_id: str = Field(max_length=32)
    url: str = Field(sa_column=Column(Text, nullable=False))
    description: str = Field(default="", max_length=300)
    kinds: list[str] = Field(sa_column=Column(ARRAY(String(60)), nullable=False))
    regions: list[str] = Field(sa_column=Column(ARRAY(String(63)), nullable=False))
    min_severity: str = Field(max_length=10)
    status: str = Field(max_length=10)
    consecutive_failures: int = Field(default=0)
    created_at: datetime = _timestamp()
    paused_at: datetime | None = _timestamp(nullable=True)


class SecretRow(Table, table=True):
    """A signing secret of a subscription; an old one stays valid for a while after rotation."""

    __tablename__ = "subscription_secrets"

    id: int | None = serial_id()
    subscription_id: UUID = parent_id(f"{SCHEMA}.subscriptions.id")
    secret: str = Field(max_length=100)
    created_at: datetime = _timestamp()
    expires_at: datetime | None = _timestamp(nullable=True)


class DeliveryRow(Table, table=True):
    """One notification for one subscription; its id is the webhook-id of every attempt."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("subscription_id", "notification_id", name="uq_deliveries_once"),
        Index(
            "ix_deliveries_due",
            "next_attempt_at",
            postgresql_where=text("status = 'pending'"),
        ),
    )

    id: UUID = Field(primary_key=True)
    subscription_id: UUID = parent_id(f"{SCHEMA}.subscriptions.id")
    notification_id: int = Field(
        sa_column=Column(BigInteger, ForeignKey(f"{SCHEMA}.notifications.id"), nullable=False)
    )
    status: str = Field(max_length=10)
    attempts: int = Field(default=0)
    next_attempt_at: datetime = _timestamp()
    lease_until: datetime | None = _timestamp(nullable=True)
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = _timestamp()
    delivered_at: datetime | None = _timestamp(nullable=True)


class AttemptRow(Table, table=True):
    """One try at a delivery: when, what the receiver answered or what went wrong."""

    __tablename__ = "delivery_attempts"

    id: int | None = serial_id()
    delivery_id: UUID = parent_id(f"{SCHEMA}.deliveries.id")
    number: int = Field(sa_column=Column(Integer, nullable=False))
    at: datetime = _timestamp()
    status_code: int | None = None
    error: str | None = Field(default=None, max_length=500)
    duration_ms: int


TABLES = KernelTables.on(metadata)
