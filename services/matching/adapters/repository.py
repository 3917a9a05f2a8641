"""The matching service's repositories: the read model, matches and coverage, and the
allocation queue. Matches loaded or added here are tracked by the unit of work, which publishes
their events when it commits."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVarTuple
from uuid import UUID

from sqlalchemy import ColumnElement, Select, and_, delete, exists, false, func, or_, select, true
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, update

from services.matching.adapters.tables import (
    READ_MODEL,
    CoverageRow,
    LedgerEntryView,
    MatchRow,
    QueuedChange,
    RequestView,
    SourceView,
)
from services.matching.domain.model import (
    COMMITTED,
    MATCHABLE_REQUESTS,
    REFUSED,
    Coverage,
    CoverageReport,
    Match,
    MatchStatus,
)
from shared.db import together
from shared.events.inventory import LedgerEntryRecorded, SourceDetails, SourceStatus
from shared.events.requests import RequestDetails
from shared.pagination import decode_cursor, encode_cursor, newest_first
from shared.unit_of_work import UnitOfWork

Columns = TypeVarTuple("Columns")
LIVE = frozenset({MatchStatus.PROPOSED, *COMMITTED})
ENDED = frozenset({MatchStatus.WITHDRAWN, MatchStatus.EXPIRED, *REFUSED})
"""Proposals that no longer stand: withdrawn, expired, declined or failed."""


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

    async def record_ledger_entry(self, entry: LedgerEntryRecorded) -> bool:
        """Keep a ledger entry (entries never change: a repeat adds nothing); True when new."""
        values = {
            **{name: getattr(entry, name) for name in LedgerEntryView.model_fields if name != "on"},
            "on": entry.date,
        }
        t: Any = getattr(LedgerEntryView, "__table__")  # noqa: B009
        statement = insert(t).values(**values).on_conflict_do_nothing()
        result = await self.session.execute(statement.returning(t.c.entry_id))
        return result.first() is not None

    async def ledger_of_requests(self, request_ids: Iterable[UUID]) -> list[LedgerEntryView]:
        """The ledger entries recorded for these requests."""
        v = LedgerEntryView
        rows = await self.session.scalars(select(v).where(col(v.request_id).in_(list(request_ids))))
        return list(rows)

    async def requests_of_state(self, state: str, convention: str) -> list[RequestDetails]:
        """Every request of the state under the convention, whatever its status."""
        v = RequestView
        rows = await self.session.scalars(select(v).where(col(v.state) == state))
        found = [RequestDetails.model_validate(r.details) for r in rows]
        return [d for d in found if d.convention == convention]

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

    async def requests(self, request_ids: Iterable[UUID]) -> dict[UUID, RequestDetails]:
        v = RequestView
        rows = await self.session.scalars(select(v).where(col(v.request_id).in_(list(request_ids))))
        return {r.request_id: RequestDetails.model_validate(r.details) for r in rows}

    async def sources(self, source_ids: Iterable[UUID]) -> dict[UUID, SourceDetails]:
        v = SourceView
        rows = await self.session.scalars(select(v).where(col(v.source_id).in_(list(source_ids))))
        return {r.source_id: SourceDetails.model_validate(r.details) for r in rows}

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
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self.session: AsyncSession = uow.session

    async def add(self, match: Match) -> None:
        self.uow.track(match)
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
        return None if row is None else self._loaded(row)

    async def of_requests(
        self, request_ids: Iterable[UUID], statuses: Iterable[MatchStatus], *, lock: bool = False
    ) -> list[Match]:
        query = select(MatchRow).where(
            col(MatchRow.request_id).in_(list(request_ids)),
            col(MatchRow.status).in_([s.value for s in statuses]),
        )
        if lock:
            query = query.with_for_update()
        return [self._loaded(row) for row in await self.session.scalars(query)]

    async def live(self, *, lock: bool = False) -> list[Match]:
        """Every proposal that stands and every commitment, of the requests that can still be
        matched: those of closed requests stay live, but no allocation reads them."""
        query = select(MatchRow).where(
            col(MatchRow.status).in_([s.value for s in LIVE]), _of_matchable_requests()
        )
        if lock:
            query = query.with_for_update()
        return [self._loaded(row) for row in await self.session.scalars(query)]

    def _loaded(self, row: MatchRow) -> Match:
        return self.uow.track(_from_row(row))

    async def refused_pairs(self) -> frozenset[tuple[UUID, UUID]]:
        """The pairs of request and window never proposed again, of the requests that can still
        be matched."""
        query = select(col(MatchRow.request_id), col(MatchRow.window_id)).where(
            col(MatchRow.status).in_([s.value for s in REFUSED]), _of_matchable_requests()
        )
        return frozenset((r, w) for r, w in (await self.session.execute(query)).all())

    async def listed(
        self,
        *,
        status: MatchStatus | None = None,
        limit: int = 200,
        any_of: Sequence[Mapping[str, Any]] = ({},),
        **where: Any,
    ) -> list[Match]:
        """Newest first, narrowed by column values (request_id, source_id, state, donor...),
        and to the rows matching any one of the `any_of` sets of column values (none: no row)."""
        query = _narrowed(select(MatchRow), status, any_of, where)
        query = query.order_by(col(MatchRow.created_at).desc()).limit(limit)
        return [self._loaded(row) for row in await self.session.scalars(query)]

    async def page(
        self,
        *,
        status: MatchStatus | None,
        limit: int,
        after: str | None,
        any_of: Sequence[Mapping[str, Any]],
        **where: Any,
    ) -> tuple[list[Match], str | None]:
        """What `listed` lists, one page after the cursor `after`, and the next page's cursor."""
        query = _narrowed(select(MatchRow), status, any_of, where)
        rows, cursor = await newest_first(self.session, query, MatchRow, limit, after)
        return [self._loaded(row) for row in rows], cursor

    async def coalition_requests(
        self, *, limit: int, after: str | None, any_of: Sequence[Mapping[str, Any]], **where: Any
    ) -> tuple[list[UUID], str | None]:
        """The requests with standing proposals or commitments among the matches narrowed as in
        `listed`, those proposed for most recently first, one page after the cursor `after`."""
        m = MatchRow
        newest = func.max(col(m.created_at))
        query = _narrowed(select(col(m.request_id), newest), None, any_of, where)
        query = query.where(col(m.status).in_([s.value for s in LIVE])).group_by(col(m.request_id))
        if after:
            at, last = decode_cursor(after)
            query = query.having(or_(newest < at, and_(newest == at, col(m.request_id) < last)))
        query = query.order_by(newest.desc(), col(m.request_id).desc()).limit(limit + 1)
        rows = list((await self.session.execute(query)).all())
        cursor = (
            encode_cursor(rows[limit - 1][1], rows[limit - 1][0]) if len(rows) > limit else None
        )
        return [request_id for request_id, _ in rows[:limit]], cursor

    async def states_with_live(self, any_of: Sequence[Mapping[str, Any]]) -> list[str]:
        """The states of the standing proposals and commitments narrowed as in `listed`."""
        m = MatchRow
        query = _narrowed(select(col(m.state)).distinct(), None, any_of, {})
        query = query.where(col(m.status).in_([s.value for s in LIVE]))
        return list((await self.session.scalars(query)).all())

    async def due_to_expire(self, now: datetime) -> list[UUID]:
        query = select(col(MatchRow.id)).where(
            col(MatchRow.status) == MatchStatus.PROPOSED.value, col(MatchRow.expires_at) <= now
        )
        return list((await self.session.scalars(query)).all())

    async def coverage(self, request_id: UUID) -> Coverage | None:
        row = await self.session.get(CoverageRow, request_id, with_for_update=True)
        if row is None:
            return None
        in_kind = tuple((unit, Decimal(quantity)) for unit, quantity in row.in_kind)
        return Coverage(
            row.request_id,
            row.sequence,
            row.matched_amount,
            row.currency,
            row.fully_matched,
            in_kind,
        )

    async def set_coverage(self, coverage: Coverage, regional_centre: str | None) -> None:
        """Keep the request's new coverage snapshot, and have the unit of work announce it."""
        self.uow.track(CoverageReport.of(coverage, regional_centre))
        values = {
            "request_id": coverage.request_id,
            "sequence": coverage.sequence,
            "matched_amount": coverage.matched_amount,
            "currency": coverage.currency,
            "fully_matched": coverage.fully_matched,
            "in_kind": [[unit, str(quantity)] for unit, quantity in coverage.in_kind],
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
            wake_allocator = select(func.pg_notify(QUEUE_CHANNEL, ""))  # at commit
            await self.session.execute(
                together([statement.on_conflict_do_nothing()], wake_allocator)
            )

    async def is_empty(self) -> bool:
        """Nothing queued; reads without locking, so an idle allocator locks no match."""
        q = QueuedChange.__table__  # type: ignore[attr-defined]
        return not await self.session.scalar(select(exists().select_from(q)))

    async def queued_requests(self) -> set[UUID]:
        """The requests waiting for the allocator's next run."""
        q = QueuedChange.__table__  # type: ignore[attr-defined]
        rows = await self.session.execute(select(q.c.aggregate_id).where(q.c.kind == "request"))
        return set(rows.scalars())

    async def take(self) -> dict[str, set[UUID]]:
        """Everything queued, by kind, removed from the queue (committed with the run)."""
        q = QueuedChange.__table__  # type: ignore[attr-defined]
        rows = await self.session.execute(delete(q).returning(q.c.aggregate_id, q.c.kind))
        taken: dict[str, set[UUID]] = {}
        for aggregate_id, kind in rows.all():
            taken.setdefault(kind, set()).add(aggregate_id)
        return taken


def _narrowed(
    query: Select[*Columns],
    status: MatchStatus | None,
    any_of: Sequence[Mapping[str, Any]],
    where: Mapping[str, Any],
) -> Select[*Columns]:
    """`query` on the matches narrowed by column values, and to the rows matching any one of
    the `any_of` sets of column values (none: no row)."""
    for name, value in where.items():
        query = query.where(getattr(MatchRow, name) == value)
    alternatives = [
        and_(true(), *(getattr(MatchRow, name) == value for name, value in values.items()))
        for values in any_of
    ]
    query = query.where(or_(false(), *alternatives))
    if status is not None:
        query = query.where(col(MatchRow.status) == status.value)
    return query


def _of_matchable_requests() -> ColumnElement[bool]:
    """The matches of requests that can still be matched, by the read model: a condition on
    the matches alone, so that a query locking them locks no request."""
    v = RequestView
    matchable = select(col(v.request_id)).where(col(v.status).in_(MATCHABLE_REQUESTS))
    return col(MatchRow.request_id).in_(matchable)


def _to_row(match: Match) -> MatchRow:
    values = {name: getattr(match, name) for name in MatchRow.model_fields}
    values["status"] = match.status.value
    values["updated_at"] = match.updated_at or match.created_at
    return MatchRow(**values)


def _from_row(row: MatchRow) -> Match:
    values = row.model_dump()
    values["status"] = MatchStatus(row.status)
    return Match(**values)
