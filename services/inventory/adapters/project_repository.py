"""Projects: storing them with their reports and alerts, loading them, and the ledger's figures
they are held against (what is committed to their request, what each funder disbursed).

Projects loaded or added here are tracked by the unit of work, which publishes their events when
it commits. Every change of a request's projects first locks the inventory's copy of the request
(`lock_request`), so two projects of one request never take the same commitment, and the last
one completed knows it is the last."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from pydantic_core import to_jsonable_python
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col

from services.inventory.adapters.ledger_repository import LedgerRepository
from services.inventory.adapters.tables import (
    EntryRow,
    ProjectAlertRow,
    ProjectReportRow,
    ProjectRow,
    RequestRow,
    SourceRow,
)
from services.inventory.domain.ledger import ZERO, EntryKind
from services.inventory.domain.projects import (
    Alert,
    AlertKind,
    BudgetLine,
    Disbursed,
    FundedRequest,
    Instalment,
    Milestone,
    Project,
    ProjectStatus,
    Report,
    ReportFiled,
    Tracked,
)
from shared.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class ProjectScope:
    """Which projects a reader sees: all when every field is None; otherwise those of `state`,
    of `centre`'s region, or funded or implemented by `party`."""

    state: str | None = None
    centre: str | None = None
    party: str | None = None
    nothing: bool = False


class ProjectRepository:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self.session = uow.session

    async def lock_request(self, request_id: UUID) -> RequestRow | None:
        """The inventory's copy of the request, locked for a change of its projects."""
        query = select(RequestRow).where(col(RequestRow.request_id) == request_id)
        return (await self.session.scalars(query.with_for_update())).first()

    async def funded_request(self, request: RequestRow) -> tuple[FundedRequest, set[str]]:
        """The request with what the ledger commits to it per currency and what its projects
        budget already; and its funders (the donors of the sources that commit to it)."""
        lines = await LedgerRepository(self.session).balances(request_id=request.request_id)
        committed: dict[str, Decimal] = defaultdict(lambda: ZERO)
        for line in lines:
            if line.currency is not None:
                committed[line.currency] += line.committed
        budgeted: dict[str, Decimal] = defaultdict(lambda: ZERO)
        for project in await self.for_request(request.request_id):
            for share in project.budget:
                budgeted[share.currency] += share.amount
        funded = FundedRequest(
            request.request_id,
            request.state,
            request.regional_centre,
            request.convention,
            request.status,
            dict(committed),
            dict(budgeted),
        )
        return funded, await self._funders(request.request_id)

    async def _funders(self, request_id: UUID) -> set[str]:
        e, s = EntryRow, SourceRow
        rows = await self.session.scalars(
            select(col(s.donor))
            .join(e, col(e.source_id) == col(s.id))
            .where(col(e.request_id) == request_id, col(e.kind) == EntryKind.COMMITTED.value)
            .where(col(s.donor).is_not(None))
            .distinct()
        )
        return {donor for donor in rows.all() if donor}

    async def disbursed(self, request_id: UUID) -> list[Disbursed]:
        """What each funder's sources disbursed for the request, per currency and day
        (corrections included); sources answered by no party are not a project's funders."""
        e, s = EntryRow, SourceRow
        keys = (col(s.donor), col(e.currency), col(e.date))
        rows = await self.session.execute(
            select(*keys, func.sum(e.amount))
            .join(s, col(e.source_id) == col(s.id))
            .where(col(e.request_id) == request_id, col(e.kind) == EntryKind.DISBURSED.value)
            .where(col(e.currency).is_not(None), col(s.donor).is_not(None))
            .group_by(*keys)
            .order_by(col(e.date))
        )
        return [
            Disbursed(donor, currency, on, amount)
            for donor, currency, on, amount in rows
            if donor is not None and currency is not None
        ]

    async def get(self, project_id: UUID, *, for_update: bool = False) -> Project | None:
        query = select(ProjectRow).where(col(ProjectRow.id) == project_id)
        if for_update:
            query = query.with_for_update()
        row = (await self.session.scalars(query)).first()
        return None if row is None else (await self._load([row]))[0]

    async def for_request(self, request_id: UUID) -> list[Project]:
        query = select(ProjectRow).where(col(ProjectRow.request_id) == request_id)
        return await self._load(
            (await self.session.scalars(query.order_by(col(ProjectRow.id)))).all()
        )

    async def visible(
        self, scope: ProjectScope, *, request_id: UUID | None = None, status: str | None = None
    ) -> list[Project]:
        """The projects in `scope`, newest first."""
        if scope.nothing:
            return []
        p = ProjectRow
        query = select(p).order_by(col(p.created_at).desc(), col(p.id))
        if scope.state is not None:
            query = query.where(col(p.state) == scope.state)
        if scope.centre is not None:
            query = query.where(col(p.regional_centre) == scope.centre)
        if scope.party is not None:
            query = query.where(
                col(p.funders).contains([scope.party])
                | (col(p.implementing_partner) == scope.party)
            )
        for column, value in ((p.request_id, request_id), (p.status, status)):
            if value is not None:
                query = query.where(col(column) == value)
        return await self._load((await self.session.scalars(query)).all())

    async def active_ids(self) -> list[UUID]:
        rows = await self.session.scalars(
            select(col(ProjectRow.id)).where(col(ProjectRow.status) == ProjectStatus.ACTIVE.value)
        )
        return list(rows.all())

    async def add(self, project: Project) -> None:
        self.uow.track(project)
        self.session.add(ProjectRow(**_row_values(project)))
        await self.session.flush()

    async def save(self, project: Project) -> None:
        """Store the project as it is, the reports its events filed and its alerts."""
        row = await self.session.get(ProjectRow, project.id)
        assert row is not None  # projects are never deleted
        for name, value in _row_values(project).items():
            setattr(row, name, value)
        for event in project.events:
            if isinstance(event, ReportFiled):
                self.session.add(_report_row(project.id, event.report))
        raised = [
            {"project_id": project.id, "kind": a.kind.value, "item": a.item, "raised_at": at}
            for a in project.alerts
            if (at := a.raised_at) is not None
        ]
        if raised:
            statement = insert(ProjectAlertRow).values(raised).on_conflict_do_nothing()
            await self.session.execute(statement)
        await self.session.flush()

    async def _load(self, rows: Any) -> list[Project]:
        rows = list(rows)
        ids = [row.id for row in rows]
        reports: dict[UUID, list[Report]] = defaultdict(list)
        alerts: dict[UUID, set[Alert]] = defaultdict(set)
        if ids:
            for r in await self.session.scalars(
                select(ProjectReportRow)
                .where(col(ProjectReportRow.project_id).in_(ids))
                .order_by(col(ProjectReportRow.filed_at))
            ):
                reports[r.project_id].append(_report(r))
            for a in await self.session.scalars(
                select(ProjectAlertRow).where(col(ProjectAlertRow.project_id).in_(ids))
            ):
                alerts[a.project_id].add(Alert(AlertKind(a.kind), a.item, a.raised_at))
        return [self.uow.track(_project(row, reports[row.id], alerts[row.id])) for row in rows]


def _row_values(project: Project) -> dict[str, Any]:
    return {
        "id": project.id,
        "version": project.version,
        "request_id": project.request_id,
        "state": project.state,
        "regional_centre": project.regional_centre,
        "convention": project.convention,
        "title": project.title,
        "implementing_partner": project.implementing_partner,
        "funders": project.funders,
        "starts": project.starts,
        "ends": project.ends,
        "status": project.status.value,
        "budget": to_jsonable_python(project.budget),
        "milestones": to_jsonable_python(project.milestones),
        "schedule": to_jsonable_python(project.schedule),
        "indicators": to_jsonable_python(project.tracked),
        "created_by": project.created_by,
        "created_at": project.created_at,
        "updated_at": project.updated_at,
    }


def _project(row: ProjectRow, reports: list[Report], alerts: set[Alert]) -> Project:
    return Project(
        id=row.id,
        version=row.version,
        request_id=row.request_id,
        state=row.state,
        regional_centre=row.regional_centre,
        convention=row.convention,
        title=row.title,
        implementing_partner=row.implementing_partner,
        starts=row.starts,
        ends=row.ends,
        budget=tuple(
            BudgetLine(b["funder"], Decimal(b["amount"]), b["currency"]) for b in row.budget
        ),
        milestones=tuple(
            Milestone(m["title"], date.fromisoformat(m["due"])) for m in row.milestones
        ),
        schedule=tuple(
            Instalment(
                i["funder"], date.fromisoformat(i["on"]), Decimal(i["amount"]), i["currency"]
            )
            for i in row.schedule
        ),
        tracked=tuple(
            Tracked(
                t["indicator"], t["name"], t["unit"], Decimal(t["baseline"]), Decimal(t["target"])
            )
            for t in row.indicators
        ),
        status=ProjectStatus(row.status),
        created_by=row.created_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
        reports=reports,
        alerts=alerts,
    )


def _report_row(project_id: UUID, report: Report) -> ProjectReportRow:
    return ProjectReportRow(
        id=report.id,
        project_id=project_id,
        period_start=report.period_start,
        period_end=report.period_end,
        values={code: str(value) for code, value in report.values.items()},
        challenges=report.challenges,
        lessons=report.lessons,
        final=report.final,
        filed_by=report.filed_by,
        filed_at=report.filed_at,
    )


def _report(row: ProjectReportRow) -> Report:
    return Report(
        row.id,
        row.period_start,
        row.period_end,
        {code: Decimal(value) for code, value in row.values.items()},
        row.challenges,
        row.lessons,
        row.final,
        row.filed_by,
        row.filed_at,
    )
