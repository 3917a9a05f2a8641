"""The notifications schema: tables and the queries on them."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import DateTime
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, SQLModel, col, select

from shared.auth import api_keys_table
from shared.consumer import inbox_table
from shared.db import schema_registry
from shared.idempotency import idempotency_table
from shared.outbox import outbox_table

SCHEMA = "notifications"
_registry = schema_registry(SCHEMA)
metadata = _registry.metadata


class Table(SQLModel, registry=_registry):
    """Base of the tables of this schema."""


class NotificationRow(Table, table=True):
    __tablename__ = "notifications"

    id: int | None = Field(default=None, primary_key=True)
    event_id: UUID = Field(index=True)
    event_type: str = Field(max_length=200)
    subject: str = Field(max_length=200, index=True)
    summary: str = Field(max_length=1000)
    occurred_at: datetime = Field(sa_type=DateTime(timezone=True))


outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
api_keys = api_keys_table(metadata)
idempotency = idempotency_table(metadata)


class NotificationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, notification: NotificationRow) -> None:
        self.session.add(notification)

    async def latest(self, limit: int) -> list[NotificationRow]:
        query = select(NotificationRow).order_by(col(NotificationRow.id).desc()).limit(limit)
        return list((await self.session.scalars(query)).all())
