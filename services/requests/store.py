"""The requests schema: tables and the queries on them. Nothing else in the service touches SQL."""

from __future__ import annotations

from dataclasses import asdict, dataclass
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
    Numeric,
    String,
    Text,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, SQLModel, col

from services.requests.domain import (
    AssistanceRequest,
    Contact,
    Evidence,
    Money,
    Need,
    Status,
    Transition,
    Urgency,
)
from shared.auth import api_keys_table
from shared.consumer import inbox_table
from shared.db import schema_registry
from shared.idempotency import idempotency_table
from shared.outbox import outbox_table
from shared.pagination import newest_first

SCHEMA = "requests"
_registry = schema_registry(SCHEMA)
metadata = _registry.metadata
MONEY = Numeric(20, 2)


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
    deadline: date = Field(sa_column=Column(Date, nullable=False, index=True))
    deadline_reason: str | None = Field(default=None, max_length=300)
    urgency: str = Field(max_length=20)
    contact: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    matched_amount: Decimal = Field(sa_column=Column(MONEY, nullable=False))
    reserved_amount: Decimal = Field(sa_column=Column(MONEY, nullable=False))
    coverage_sequence: int = Field(sa_column=Column(Integer, nullable=False))
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class HistoryRow(Table, table=True):
    __tablename__ = "request_history"

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True))
    request_id: UUID = Field(
        sa_column=Column(ForeignKey(f"{SCHEMA}.requests.id"), nullable=False, index=True)
    )
    action: str = Field(max_length=20)
    from_status: str | None = Field(default=None, max_length=20)
    to_status: str = Field(max_length=20)
    actor: str = Field(max_length=120)
    at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    reason: str | None = Field(default=None, max_length=2000)


outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
api_keys = api_keys_table(metadata)
idempotency = idempotency_table(metadata)


@dataclass(frozen=True)
class RequestFilter:
    """What a list of requests may be narrowed to; None means any."""

    states: frozenset[str] | None = None
    regional_centre: str | None = None
    convention: str | None = None
    area: str | None = None
    statuses: frozenset[str] | None = None
    deadline_before: date | None = None


class RequestRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, request: AssistanceRequest) -> None:
        self.session.add(_to_row(request))
        await self.session.flush()  # the row first: its history refers to it
        self._add_history(request)

    async def get(self, request_id: UUID, *, for_update: bool = False) -> AssistanceRequest | None:
        query = select(RequestRow).where(RequestRow.id == request_id)  # type: ignore[arg-type]
        if for_update:
            query = query.with_for_update()
        row = (await self.session.scalars(query)).first()
        return None if row is None else _from_row(row)

    async def save(self, request: AssistanceRequest) -> None:
        """Write a loaded request's new state and the history its new events describe."""
        values = _to_row(request).model_dump(exclude={"id", "created_at"})
        await self.session.execute(
            update(RequestRow).where(RequestRow.id == request.id).values(**values)  # type: ignore[arg-type]
        )
        self._add_history(request)

    def _add_history(self, request: AssistanceRequest) -> None:
        for event in request.events:
            t = event.transition
            self.session.add(
                HistoryRow(
                    request_id=request.id,
                    action=t.action,
                    from_status=t.from_status.value if t.from_status else None,
                    to_status=t.to_status.value,
                    actor=t.actor,
                    at=t.at,
                    reason=t.reason,
                )
            )

    async def history(self, request_id: UUID) -> list[Transition]:
        rows = await self.session.scalars(
            select(HistoryRow)
            .where(HistoryRow.request_id == request_id)  # type: ignore[arg-type]
            .order_by(HistoryRow.id)  # type: ignore[arg-type]
        )
        return [
            Transition(
                row.action,
                Status(row.from_status) if row.from_status else None,
                Status(row.to_status),
                row.actor,
                row.at,
                row.reason,
            )
            for row in rows
        ]

    async def page(
        self, where: RequestFilter, limit: int, after: str | None
    ) -> tuple[list[AssistanceRequest], str | None]:
        """Newest first; `after` is the cursor the previous page returned."""
        query = select(RequestRow)
        for condition in _conditions(where):
            query = query.where(condition)
        rows, cursor = await newest_first(self.session, query, RequestRow, limit, after)
        return [_from_row(row) for row in rows], cursor

    async def all_matching(self, where: RequestFilter) -> list[AssistanceRequest]:
        query = select(RequestRow)
        for condition in _conditions(where):
            query = query.where(condition)
        return [_from_row(row) for row in (await self.session.scalars(query)).all()]

    async def ids_due_to_expire(self, today: date, open_statuses: frozenset[str]) -> list[UUID]:
        r = RequestRow
        rows = await self.session.scalars(
            select(col(r.id)).where(col(r.deadline) < today, col(r.status).in_(open_statuses))
        )
        return list(rows.all())


def _conditions(where: RequestFilter) -> list[Any]:
    r = RequestRow
    conditions: list[Any] = []
    if where.states is not None:
        conditions.append(r.state.in_(where.states))  # type: ignore[attr-defined]
    if where.regional_centre is not None:
        conditions.append(r.regional_centre == where.regional_centre)
    if where.convention is not None:
        conditions.append(r.convention == where.convention)
    if where.area is not None:
        conditions.append(RequestRow.__table__.c.areas.contains([where.area]))  # type: ignore[attr-defined]
    if where.statuses is not None:
        conditions.append(r.status.in_(where.statuses))  # type: ignore[attr-defined]
    if where.deadline_before is not None:
        conditions.append(r.deadline < where.deadline_before)
    return conditions


def _to_row(request: AssistanceRequest) -> RequestRow:
    need = request.need
    return RequestRow(
        id=request.id,
        state=request.state,
        regional_centre=request.regional_centre,
        status=request.status.value,
        version=request.version,
        convention=need.convention,
        areas=list(need.areas),
        assistance_types=list(need.assistance_types),
        title=need.title,
        description=need.description,
        evidence=[_evidence_json(e) for e in need.evidence],
        amount=need.amount.value if need.amount else None,
        currency=need.amount.currency if need.amount else None,
        deadline=need.deadline,
        deadline_reason=need.deadline_reason,
        urgency=need.urgency.value,
        contact=asdict(need.contact),
        matched_amount=request.matched_amount,
        reserved_amount=request.reserved_amount,
        coverage_sequence=request.coverage_sequence,
        created_at=request.created_at,
        updated_at=request.updated_at,
    )


def _evidence_json(evidence: Evidence) -> dict[str, Any]:
    values = asdict(evidence)
    values["date"] = evidence.date.isoformat() if evidence.date else None
    return values


def _from_row(row: RequestRow) -> AssistanceRequest:
    evidence = tuple(
        Evidence(
            kind=e["kind"],
            description=e["description"],
            reference=e.get("reference"),
            date=date.fromisoformat(e["date"]) if e.get("date") else None,
        )
        for e in row.evidence
    )
    amount = Money(row.amount, row.currency) if row.amount is not None and row.currency else None
    need = Need(
        convention=row.convention,
        areas=tuple(row.areas),
        assistance_types=tuple(row.assistance_types),
        title=row.title,
        description=row.description,
        evidence=evidence,
        amount=amount,
        deadline=row.deadline,
        deadline_reason=row.deadline_reason,
        urgency=Urgency(row.urgency),
        contact=Contact(**row.contact),
    )
    return AssistanceRequest(
        state=row.state,
        need=need,
        regional_centre=row.regional_centre,
        id=row.id,
        status=Status(row.status),
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
        matched_amount=row.matched_amount,
        reserved_amount=row.reserved_amount,
        coverage_sequence=row.coverage_sequence,
    )
