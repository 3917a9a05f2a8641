"""The matching schema: tables and the queries on them. Nothing else in the service touches SQL.

Two kinds of tables. The read model (`request_view`, `source_view`) is built only from the
requests' and the inventory's events and can be rebuilt from the topics at any time; each row
keeps the highest version of its aggregate seen so far, so a repeated or late event changes
nothing. The service's own state (`matches`, `coverage`, `allocation_queue`) is what it decided.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import Column, DateTime, Float, Integer, Numeric, delete, func, select
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, SQLModel, col, update

from services.matching.domain import (
    COMMITTED,
    MATCHABLE_REQUESTS,
    REFUSED,
    Coverage,
    Match,
    MatchStatus,
)
from shared.auth import api_keys_table
from shared.consumer import inbox_table
from shared.db import schema_registry
from shared.events.inventory import SourceDetails, SourceStatus
from shared.events.requests import RequestDetails
from shared.idempotency import idempotency_table
from shared.outbox import outbox_table

SCHEMA = "matching"
_registry = schema_registry(SCHEMA)
metadata = _registry.metadata
MONEY = Numeric(20, 2)
LIVE = frozenset({MatchStatus.PROPOSED, *COMMITTED})


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
    amount: Decimal = Field(sa_column=Column(MONEY, nullable=False))
    currency: str | None = Field(default=None, max_length=3)
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


class QueuedChange(Table, table=True):
    """A request or a source an event changed, waiting for the allocator's next incremental
    run: the run re-allocates the queued requests and those with proposals on queued sources."""

    __tablename__ = "allocation_queue"

    aggregate_id: UUID = Field(primary_key=True)
    kind: str = Field(max_length=10)
    queued_at: datetime = Field(
        sa_column=Column(DateTime(timezone=True), nullable=False, server_default=func.now())
    )


outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
api_keys = api_keys_table(metadata)
idempotency = idempotency_table(metadata)
READ_MODEL = (RequestView, SourceView)


class ReadModel:
    """The tables built from other services' events."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def record_request(self, request: RequestDetails, seen_at: datetime) -> bool:
        """Keep the request if this is its newest version; True when it was newer."""
        published = seen_at if request.status in MATCHABLE_REQUESTS else None
        values = {
            "request_id": request.request_id,
            "version": request.version,
            "status": request.status,
            "state": request.state,
            "regional_centre": request.regional_centre,
            "deadline": request.deadline,
            "published_at": published,
            "details": request.model_dump(mode="json"),
        }
        await self._earliest_publication(request.request_id, published)
        return await self._upsert_newer(RequestView, "request_id", values)

    async def _earliest_publication(self, request_id: UUID, published: datetime | None) -> None:
        """The time a request was first seen open, whatever order its events came in."""
        if published is not None:
            v = RequestView
            await self.session.execute(
                update(v)
                .where(col(v.request_id) == request_id)
                .values(published_at=func.least(col(v.published_at), published))
            )

    async def record_source(self, source: SourceDetails) -> bool:
        values = {
            "source_id": source.source_id,
            "version": source.version,
            "donor": source.donor,
            "status": source.status.value,
            "details": source.model_dump(mode="json"),
        }
        return await self._upsert_newer(SourceView, "source_id", values)

    async def _upsert_newer(self, table: Any, key: str, values: dict[str, Any]) -> bool:
        t = table.__table__
        statement = insert(t).values(**values)
        kept = {key, "published_at"}  # the publication time is the earliest, set apart
        changed = {name: statement.excluded[name] for name in values if name not in kept}
        result = await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[key], set_=changed, where=t.c.version < statement.excluded.version
            ).returning(t.c[key])
        )
        return result.first() is not None

    async def request(self, request_id: UUID) -> RequestDetails | None:
        row = await self.session.get(RequestView, request_id)
        return None if row is None else RequestDetails.model_validate(row.details)

    async def open_requests(self, today: date) -> list[tuple[RequestDetails, datetime]]:
        v = RequestView
        rows = await self.session.scalars(
            select(v).where(col(v.status).in_(MATCHABLE_REQUESTS), col(v.deadline) >= today)
        )
        return [
            (details, r.published_at or details.created_at)
            for r in rows
            for details in [RequestDetails.model_validate(r.details)]
        ]

    async def active_sources(self) -> list[SourceDetails]:
        v = SourceView
        rows = await self.session.scalars(
            select(v).where(col(v.status) == SourceStatus.ACTIVE.value)
        )
        return [SourceDetails.model_validate(row.details) for row in rows]

    async def source(self, source_id: UUID) -> SourceDetails | None:
        row = await self.session.get(SourceView, source_id)
        return None if row is None else SourceDetails.model_validate(row.details)

    async def dump(self) -> dict[str, list[dict[str, Any]]]:
        """Every row of the read model, in key order: what a rebuild must reproduce."""
        tables: dict[str, list[dict[str, Any]]] = {}
        for table in READ_MODEL:
            t: Any = getattr(table, "__table__")  # noqa: B009
            rows = await self.session.execute(select(t).order_by(*t.primary_key.columns))
            tables[t.name] = [dict(row._mapping) for row in rows]
        return tables

    async def clear(self) -> None:
        for table in READ_MODEL:
            await self.session.execute(delete(table))


class MatchRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, match: Match) -> None:
        self.session.add(_to_row(match))

    async def save(self, match: Match) -> None:
        values = _to_row(match).model_dump(exclude={"id", "created_at"})
        await self.session.execute(
            update(MatchRow).where(col(MatchRow.id) == match.id).values(**values)
        )

    async def get(self, match_id: UUID, *, for_update: bool = False) -> Match | None:
        query = select(MatchRow).where(col(MatchRow.id) == match_id)
        if for_update:
            query = query.with_for_update()
        row = (await self.session.scalars(query)).first()
        return None if row is None else _from_row(row)

    async def of_requests(
        self, request_ids: Iterable[UUID], statuses: Iterable[MatchStatus], *, lock: bool = False
    ) -> list[Match]:
        query = select(MatchRow).where(
            col(MatchRow.request_id).in_(list(request_ids)),
            col(MatchRow.status).in_([s.value for s in statuses]),
        )
        if lock:
            query = query.with_for_update()
        return [_from_row(row) for row in await self.session.scalars(query)]

    async def live(self, *, lock: bool = False) -> list[Match]:
        """Every proposal that stands and every commitment."""
        query = select(MatchRow).where(col(MatchRow.status).in_([s.value for s in LIVE]))
        if lock:
            query = query.with_for_update()
        return [_from_row(row) for row in await self.session.scalars(query)]

    async def refused_pairs(self) -> frozenset[tuple[UUID, UUID]]:
        query = select(col(MatchRow.request_id), col(MatchRow.window_id)).where(
            col(MatchRow.status).in_([s.value for s in REFUSED])
        )
        return frozenset((r, w) for r, w in (await self.session.execute(query)).all())

    async def listed(
        self, *, status: MatchStatus | None = None, limit: int = 200, **where: Any
    ) -> list[Match]:
        """Newest first, narrowed by column values (request_id, source_id, state, donor...)."""
        query = select(MatchRow).order_by(col(MatchRow.created_at).desc()).limit(limit)
        for name, value in where.items():
            query = query.where(getattr(MatchRow, name) == value)
        if status is not None:
            query = query.where(col(MatchRow.status) == status.value)
        return [_from_row(row) for row in await self.session.scalars(query)]

    async def due_to_expire(self, now: datetime) -> list[UUID]:
        query = select(col(MatchRow.id)).where(
            col(MatchRow.status) == MatchStatus.PROPOSED.value, col(MatchRow.expires_at) <= now
        )
        return list((await self.session.scalars(query)).all())

    async def coverage(self, request_id: UUID) -> Coverage | None:
        row = await self.session.get(CoverageRow, request_id, with_for_update=True)
        if row is None:
            return None
        return Coverage(
            row.request_id, row.sequence, row.matched_amount, row.currency, row.fully_matched
        )

    async def set_coverage(self, coverage: Coverage) -> None:
        values = {
            "request_id": coverage.request_id,
            "sequence": coverage.sequence,
            "matched_amount": coverage.matched_amount,
            "currency": coverage.currency,
            "fully_matched": coverage.fully_matched,
        }
        statement = insert(CoverageRow.__table__).values(**values)  # type: ignore[attr-defined]
        await self.session.execute(
            statement.on_conflict_do_update(index_elements=["request_id"], set_=values)
        )


QUEUE_CHANNEL = "matching_allocation_queue"
"""NOTIFY channel that wakes the allocator when requests or sources are queued."""


class AllocationQueue:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, kind: str, *ids: UUID) -> None:
        rows = [{"aggregate_id": i, "kind": kind} for i in set(ids)]
        if rows:
            statement = insert(QueuedChange.__table__).values(rows)  # type: ignore[attr-defined]
            await self.session.execute(statement.on_conflict_do_nothing())
            await self.session.execute(select(func.pg_notify(QUEUE_CHANNEL, "")))  # at commit

    async def take(self) -> dict[str, set[UUID]]:
        """Everything queued, by kind, removed from the queue (committed with the run)."""
        q = QueuedChange.__table__  # type: ignore[attr-defined]
        rows = await self.session.execute(delete(q).returning(q.c.aggregate_id, q.c.kind))
        taken: dict[str, set[UUID]] = {}
        for aggregate_id, kind in rows.all():
            taken.setdefault(kind, set()).add(aggregate_id)
        return taken


def _to_row(match: Match) -> MatchRow:
    values = {name: getattr(match, name) for name in MatchRow.model_fields}
    values["status"] = match.status.value
    values["updated_at"] = match.updated_at or match.created_at
    return MatchRow(**values)


def _from_row(row: MatchRow) -> Match:
    values = row.model_dump()
    values["status"] = MatchStatus(row.status)
    return Match(**values)
