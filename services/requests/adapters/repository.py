"""The repository of requests: the only code of the service that reads or writes their rows."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import Table, func, insert, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlmodel import col

from services.requests.adapters.tables import HistoryRow, RequestRow
from services.requests.domain.lifecycle import Transition
from services.requests.domain.model import (
    AssistanceRequest,
    Evidence,
    InKind,
    Need,
    Status,
    Urgency,
)
from services.requests.domain.policy import RequestFilter
from services.requests.metrics import TRANSITIONS
from shared.db import ordered_insert
from shared.pagination import decode_cursor, encode_cursor, newest_first
from shared.unit_of_work import UnitOfWork
from shared.values import Contact, Money


class RequestRepository:
    """Requests loaded or added here are tracked by the unit of work, which publishes their
    events when it commits."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self.session: AsyncSession = uow.session

    async def add(self, request: AssistanceRequest) -> None:
        """Written with the unit of work's events: nothing reads a new request back before."""
        self.uow.track(request)
        self.uow.write_last(insert(_table(RequestRow)).values(_row_values(request)))
        self._add_history(request)

    async def add_all(self, requests: list[AssistanceRequest]) -> None:
        """New requests at once: their rows in one statement, then their history in another
        (the same values `add` writes, without an ORM object per row)."""
        if not requests:
            return
        for request in requests:
            self.uow.track(request)
        await self.session.execute(insert(_table(RequestRow)), [_row_values(r) for r in requests])
        history = [values for request in requests for values in _history_values(request)]
        await self.session.execute(insert(_table(HistoryRow)), history)

    async def get(self, request_id: UUID, *, for_update: bool = False) -> AssistanceRequest | None:
        query = select(RequestRow).where(RequestRow.id == request_id)  # type: ignore[arg-type]
        if for_update:
            query = query.with_for_update()
        row = (await self.session.scalars(query)).first()
        return None if row is None else self.uow.track(_from_row(row))

    async def save(self, request: AssistanceRequest) -> None:
        """Write a loaded request's new state and the history its new events describe."""
        values = _row_values(request)
        del values["id"], values["created_at"]
        self.uow.write_last(
            update(RequestRow).where(RequestRow.id == request.id).values(**values)  # type: ignore[arg-type]
        )
        self._add_history(request)

    def _add_history(self, request: AssistanceRequest) -> None:
        """The transitions the request recorded since it was loaded, written last with its row:
        save it once per unit of work, as every use case does."""
        if history := _history_values(request):
            self.uow.write_last(ordered_insert(_table(HistoryRow), history))

    async def history(self, request_id: UUID) -> list[Transition[Status]]:
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

    async def longest_waiting(
        self, where: RequestFilter, limit: int, after: str | None
    ) -> tuple[list[tuple[AssistanceRequest, datetime]], str | None]:
        """Requests of `where` with when each was last submitted, the earliest submission first
        (a review queue); `after` is the cursor the previous page returned."""
        r, h = RequestRow, HistoryRow
        submitted_at = (
            select(func.max(col(h.at)))
            .where(col(h.request_id) == col(r.id), col(h.action) == "submit")
            .correlate(r)
            .scalar_subquery()
        )
        query = select(r, submitted_at).where(submitted_at.is_not(None), *_conditions(where))
        if after:
            at, last_id = decode_cursor(after)
            query = query.where(tuple_(submitted_at, col(r.id)) > tuple_(at, last_id))
        query = query.order_by(submitted_at, col(r.id)).limit(limit + 1)
        rows = (await self.session.execute(query)).all()
        page = [(_from_row(row), at) for row, at in rows[:limit]]
        more = len(rows) > limit
        return page, encode_cursor(page[-1][1], page[-1][0].id) if more else None

    async def all_matching(self, where: RequestFilter) -> list[AssistanceRequest]:
        query = select(RequestRow)
        for condition in _conditions(where):
            query = query.where(condition)
        return [_from_row(row) for row in (await self.session.scalars(query)).all()]

    async def awaiting_review_since(
        self, before: datetime, request_id: UUID | None = None
    ) -> list[UUID]:
        """Requests submitted before `before`, still waiting on their centre's review, and not
        escalated since (their latest transition is the submission)."""
        r, h = RequestRow, HistoryRow
        query = (
            select(col(r.id))
            .join(h, col(h.id) == _latest_transition())
            .where(col(r.status) == Status.SUBMITTED.value, col(r.regional_centre).is_not(None))
            .where(col(h.action) == "submit", col(h.at) < before)
        )
        if request_id is not None:
            query = query.where(col(r.id) == request_id)
        return list((await self.session.scalars(query)).all())

    async def awaiting_first_proposal(
        self, request_id: UUID | None = None
    ) -> list[tuple[UUID, str, datetime]]:
        """Published requests nothing has been proposed for yet and not escalated since their
        publication (their latest transition is the publication): id, convention, published at."""
        r, h = RequestRow, HistoryRow
        query = (
            select(col(r.id), col(r.convention), col(h.at))
            .join(h, col(h.id) == _latest_transition())
            .where(col(r.status) == Status.PUBLISHED.value, col(r.first_proposed_at).is_(None))
            .where(col(h.action) == "publish")
        )
        if request_id is not None:
            query = query.where(col(r.id) == request_id)
        return [(id_, convention, at) for id_, convention, at in await self.session.execute(query)]

    async def note_first_proposal(self, request_id: UUID, at: datetime) -> None:
        """Remember when something was first proposed for the request; later proposals, or a
        proposal for a request this service does not have, change nothing."""
        r = RequestRow
        await self.session.execute(
            update(r)
            .where(col(r.id) == request_id, col(r.first_proposed_at).is_(None))
            .values(first_proposed_at=at)
        )

    async def ids_due_to_expire(self, today: date, open_statuses: frozenset[str]) -> list[UUID]:
        r = RequestRow
        rows = await self.session.scalars(
            select(col(r.id)).where(col(r.deadline) < today, col(r.status).in_(open_statuses))
        )
        return list(rows.all())


def _latest_transition() -> Any:
    """The id of each request's latest history line, correlated with the request row."""
    latest = aliased(HistoryRow)
    return (
        select(func.max(col(latest.id)))
        .where(col(latest.request_id) == col(RequestRow.id))
        .correlate(RequestRow)
        .scalar_subquery()
    )


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


def _table(model: type[Any]) -> Table:
    table: Table = model.__table__
    return table


def _history_values(request: AssistanceRequest) -> list[dict[str, Any]]:
    """A history row of each transition the request recorded since it was loaded (counted)."""
    values = []
    for event in request.events:
        t = event.transition
        TRANSITIONS.labels(t.action).inc()
        values.append({"request_id": request.id, **t.plain_fields()})
    return values


def _row_values(request: AssistanceRequest) -> dict[str, Any]:
    need = request.need
    return dict(
        **request.plain_fields(),
        id=request.id,
        evidence=[_evidence_json(e) for e in need.evidence],
        amount=need.amount.value if need.amount else None,
        currency=need.amount.currency if need.amount else None,
        in_kind=[{**asdict(n), "quantity": str(n.quantity)} for n in need.in_kind],
        contact=asdict(need.contact),
        matched_amount=request.matched_amount,
        reserved_amount=request.reserved_amount,
        matched_in_kind={unit: str(q) for unit, q in request.matched_in_kind.items()},
        reserved_in_kind={unit: str(q) for unit, q in request.reserved_in_kind.items()},
        coverage_sequence=request.coverage_sequence,
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
        in_kind=tuple(
            InKind(n["unit"], Decimal(n["quantity"]), n["description"]) for n in row.in_kind
        ),
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
        matched_in_kind={unit: Decimal(q) for unit, q in row.matched_in_kind.items()},
        reserved_in_kind={unit: Decimal(q) for unit, q in row.reserved_in_kind.items()},
        coverage_sequence=row.coverage_sequence,
    )
