"""The repository of extension requests and of the analysis groups: the only code that reads or
writes their rows."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as upsert
from sqlmodel import col

from services.requests.adapters.tables import (
    AnalysisMemberRow,
    ExtensionHistoryRow,
    ExtensionRow,
)
from services.requests.domain.extension_policy import AnalysisGroups, ExtensionScope
from services.requests.domain.extensions import (
    DECIDED,
    Decision,
    ExtensionRequest,
    ExtensionStatus,
    Plan,
    Question,
)
from services.requests.domain.lifecycle import Transition
from shared.db import ordered_insert
from shared.pagination import newest_first
from shared.unit_of_work import UnitOfWork
from shared.values import Money


class ExtensionRepository:
    """Extension requests loaded or added here are tracked by the unit of work, which publishes
    their events when it commits."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self.session = uow.session

    async def add(self, extension: ExtensionRequest) -> None:
        self.uow.track(extension)
        self.uow.write_last(insert(ExtensionRow).values(_row_values(extension)))
        self._add_history(extension)

    async def get(self, extension_id: UUID, *, for_update: bool = False) -> ExtensionRequest | None:
        query = select(ExtensionRow).where(col(ExtensionRow.id) == extension_id)
        if for_update:
            query = query.with_for_update()
        row = (await self.session.scalars(query)).first()
        return None if row is None else self.uow.track(_from_row(row))

    async def save(self, extension: ExtensionRequest) -> None:
        values = _row_values(extension)
        del values["id"], values["created_at"]
        self.uow.write_last(
            update(ExtensionRow).where(col(ExtensionRow.id) == extension.id).values(**values)
        )
        self._add_history(extension)

    async def history(self, extension_id: UUID) -> list[Transition[ExtensionStatus]]:
        h = ExtensionHistoryRow
        rows = await self.session.scalars(
            select(h).where(col(h.extension_id) == extension_id).order_by(col(h.id))
        )
        return [
            Transition(
                row.action,
                ExtensionStatus(row.from_status) if row.from_status else None,
                ExtensionStatus(row.to_status),
                row.actor,
                row.at,
                row.reason,
            )
            for row in rows
        ]

    async def page(
        self, where: ExtensionScope, limit: int, after: str | None
    ) -> tuple[list[ExtensionRequest], str | None]:
        """Newest first, within what the caller may see; `after` is the previous page's cursor."""
        query = select(ExtensionRow)
        if not where.everything:
            e = ExtensionRow
            query = query.where(
                or_(
                    col(e.state) == where.state,
                    col(e.regional_centre) == where.centre,
                    col(e.convention).in_(where.conventions),
                )
            )
        rows, cursor = await newest_first(self.session, query, ExtensionRow, limit, after)
        return [_from_row(row) for row in rows], cursor

    async def granted_deadline(self, state: str, convention: str, area: str) -> date | None:
        """The latest deadline an extension granted for this obligation set, if any: it replaces
        the one on record."""
        e = ExtensionRow
        latest = await self.session.scalar(
            select(col(e.granted_deadline))
            .where(
                col(e.state) == state,
                col(e.convention) == convention,
                col(e.area) == area,
                col(e.granted_deadline).is_not(None),
            )
            .order_by(col(e.granted_deadline).desc())
            .limit(1)
        )
        return latest

    async def undecided(self, state: str, convention: str, area: str) -> UUID | None:
        """The obligation's extension request still awaiting its decision, if any. It first
        takes a transaction-scoped lock on the obligation, so that two filings at once cannot
        both find none."""
        key = func.hashtext(f"extension:{state}:{convention}:{area}")
        await self.session.execute(select(func.pg_advisory_xact_lock(key)))
        e = ExtensionRow
        return await self.session.scalar(
            select(col(e.id)).where(
                col(e.state) == state,
                col(e.convention) == convention,
                col(e.area) == area,
                col(e.status).not_in([status.value for status in DECIDED]),
            )
        )

    def _add_history(self, extension: ExtensionRequest) -> None:
        rows = [
            {"extension_id": extension.id, **event.transition.plain_fields()}
            for event in extension.events
        ]
        if rows:
            self.uow.write_last(ordered_insert(ExtensionHistoryRow.__table__, rows))  # type: ignore[attr-defined]


class AnalysisGroupRepository:
    def __init__(self, uow: UnitOfWork) -> None:
        self.session = uow.session

    async def groups(self) -> AnalysisGroups:
        """Every convention's analysis group."""
        rows = (await self.session.execute(select(AnalysisMemberRow))).scalars().all()
        groups: dict[str, set[str]] = {}
        for row in rows:
            groups.setdefault(row.convention, set()).add(row.member)
        return {convention: frozenset(members) for convention, members in groups.items()}

    async def name(self, convention: str, member: str, named_by: str, now: datetime) -> bool:
        """Add a member to the convention's group; False when it already was one."""
        result = await self.session.execute(
            upsert(AnalysisMemberRow)
            .values(convention=convention, member=member, named_by=named_by, named_at=now)
            .on_conflict_do_nothing()
            .returning(col(AnalysisMemberRow.member))
        )
        return result.first() is not None

    async def remove(self, convention: str, member: str) -> bool:
        m = AnalysisMemberRow
        result = await self.session.execute(
            AnalysisMemberRow.__table__.delete()  # type: ignore[attr-defined]
            .where(col(m.convention) == convention, col(m.member) == member)
            .returning(col(m.member))
        )
        return result.first() is not None


def _row_values(extension: ExtensionRequest) -> dict[str, Any]:
    decision = extension.decision
    return dict(
        **extension.plain_fields(),
        id=extension.id,
        cost=extension.plan.cost.value,
        currency=extension.plan.cost.currency,
        questions=[_question_json(q) for q in extension.questions],
        decision=None
        if decision is None
        else {
            "granted": decision.granted,
            "deadline": decision.deadline.isoformat() if decision.deadline else None,
            "meeting": decision.meeting,
            "text": decision.text,
        },
        granted_deadline=extension.granted_deadline,
        updated_at=extension.updated_at,
    )


def _question_json(question: Question) -> dict[str, Any]:
    return {
        "text": question.text,
        "asked_by": question.asked_by,
        "asked_at": question.asked_at.isoformat(),
        "answer": question.answer,
        "answered_by": question.answered_by,
        "answered_at": question.answered_at.isoformat() if question.answered_at else None,
    }


def _question(values: dict[str, Any]) -> Question:
    answered_at = values.get("answered_at")
    return Question(
        text=values["text"],
        asked_by=values["asked_by"],
        asked_at=datetime.fromisoformat(values["asked_at"]),
        answer=values.get("answer"),
        answered_by=values.get("answered_by"),
        answered_at=datetime.fromisoformat(answered_at) if answered_at else None,
    )


def _from_row(row: ExtensionRow) -> ExtensionRequest:
    decision = row.decision
    return ExtensionRequest(
        state=row.state,
        regional_centre=row.regional_centre,
        convention=row.convention,
        area=row.area,
        article=row.article,
        current_deadline=row.current_deadline,
        plan=Plan(row.requested_deadline, row.plan, Money(row.cost, row.currency), row.reasons),
        id=row.id,
        status=ExtensionStatus(row.status),
        version=row.version,
        assistance_request_id=row.assistance_request_id,
        questions=[_question(q) for q in row.questions],
        analysis=row.analysis,
        decision=None
        if decision is None
        else Decision(
            granted=decision["granted"],
            deadline=date.fromisoformat(decision["deadline"]) if decision["deadline"] else None,
            meeting=decision["meeting"],
            text=decision["text"],
        ),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
