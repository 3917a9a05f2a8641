"""The requests schema: tables and the queries on them. Nothing else in the service touches SQL."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import DateTime
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, SQLModel

from services.requests.domain import AssistanceRequest, Status
from shared.consumer import inbox_table
from shared.db import schema_registry
from shared.outbox import outbox_table

SCHEMA = "requests"
_registry = schema_registry(SCHEMA)
metadata = _registry.metadata


class Table(SQLModel, registry=_registry):
    """Base of the tables of this schema."""


class RequestRow(Table, table=True):
    __tablename__ = "requests"

    id: UUID = Field(primary_key=True)
    state: str = Field(max_length=3, index=True)
    title: str = Field(max_length=300)
    status: str = Field(max_length=20, index=True)
    regional_centre: str | None = Field(default=None, max_length=63)
    created_at: datetime = Field(sa_type=DateTime(timezone=True))


outbox = outbox_table(metadata)
inbox = inbox_table(metadata)


class RequestRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, request: AssistanceRequest) -> None:
        self.session.add(_to_row(request))

    async def get(self, request_id: UUID) -> AssistanceRequest | None:
        row = await self.session.get(RequestRow, request_id)
        return None if row is None else _from_row(row)


def _to_row(request: AssistanceRequest) -> RequestRow:
    return RequestRow(
        id=request.id,
        state=request.state,
        title=request.title,
        status=request.status.value,
        regional_centre=request.regional_centre,
        created_at=request.created_at,
    )


def _from_row(row: RequestRow) -> AssistanceRequest:
    return AssistanceRequest(
        id=row.id,
        state=row.state,
        title=row.title,
        regional_centre=row.regional_centre,
        status=Status(row.status),
        created_at=row.created_at,
    )
