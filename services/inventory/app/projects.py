"""The use cases of projects: start one for a funded request, file its progress reports, read
them, and raise the alerts that fell due. Each takes the unit of work it runs in; the unit of
work publishes the events the project recorded when the route or worker commits it."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from services.inventory.adapters.project_repository import ProjectRepository, ProjectScope
from services.inventory.adapters.tables import TABLES
from services.inventory.domain.policy import may_read_project, may_report, may_start_project
from services.inventory.domain.projects import Disbursed, Plan, Project, Report, ReportTerms
from shared.auth import parties_with_keys
from shared.errors import Forbidden, Invalid, NotFound
from shared.principal import Principal, Role
from shared.unit_of_work import UnitOfWork


async def start_project(
    uow: UnitOfWork, principal: Principal, plan: Plan, now: datetime
) -> Project:
    """A project for a funded request, by one who may start it, within what is committed."""
    repository = ProjectRepository(uow)
    request = await repository.lock_request(plan.request_id)
    if request is None:
        raise Invalid(
            f"No request {plan.request_id} is known to the inventory.",
            rule="unknown-request",
            field="request_id",
        )
    funded, funders = await repository.funded_request(request)
    if not may_start_project(principal, request.state, funders):
        named = ", ".join(sorted(funders)) or "none yet"
        raise Forbidden(
            f"{principal.label} may not start a project for this request: the secretariat, the "
            f"focal point of {request.state} or a funder of the request ({named}) does.",
            rule="project-starter",
        )
    if plan.implementing_partner not in await parties_with_keys(uow.session, TABLES.api_keys):
        raise Invalid(
            f"No party {plan.implementing_partner!r} holds a key: nobody could report as the "
            "implementing partner. Issue the partner a key first.",
            rule="reporting-partner",
            field="implementing_partner",
        )
    project = Project.start(plan, funded, principal.label, now)
    await repository.add(project)
    return project


async def file_report(
    uow: UnitOfWork, principal: Principal, project_id: UUID, terms: ReportTerms, now: datetime
) -> tuple[Project, Report]:
    """A progress report by the project's state or implementing partner; a final one completes
    the project, and says whether every project of the request is complete with it."""
    repository = ProjectRepository(uow)
    found = await repository.get(project_id)
    if found is None:
        raise NotFound(f"No project {project_id}.")
    if not may_report(principal, found):
        raise Forbidden(
            f"{principal.label} may not report on this project: its state ({found.state}) or "
            f"its implementing partner ({found.implementing_partner}) does.",
            rule="project-reporter",
        )
    await repository.lock_request(found.request_id)
    project = await repository.get(project_id, for_update=True)
    assert project is not None  # projects are never deleted
    others = [p for p in await repository.for_request(project.request_id) if p.id != project.id]
    others_complete = all(other.closed for other in others)
    report = project.file(terms, principal.label, now, others_complete=others_complete)
    await repository.save(project)
    return project, report


def scope_for(principal: Principal) -> ProjectScope:
    """The projects a principal reads (`policy.may_read_project`), as a query's scope."""
    match principal.role:
        case Role.SECRETARIAT | Role.OPERATOR:
            return ProjectScope()
        case Role.NATIONAL:
            return ProjectScope(state=principal.state)
        case Role.REGIONAL:
            return ProjectScope(centre=principal.centre)
        case Role.DONOR if principal.party:
            return ProjectScope(party=principal.party)
    return ProjectScope(nothing=True)


async def visible_project(uow: UnitOfWork, principal: Principal, project_id: UUID) -> Project:
    """The project, if the principal reads it; anyone else is told there is none."""
    project = await ProjectRepository(uow).get(project_id)
    if project is None or not may_read_project(principal, project):
        raise NotFound(f"No project {project_id}.")
    return project


async def disbursed_for(uow: UnitOfWork, project: Project) -> list[Disbursed]:
    """What the ledger shows each funder disbursed for the project's request."""
    return await ProjectRepository(uow).disbursed(project.request_id)


async def active_projects(uow: UnitOfWork) -> list[UUID]:
    return await ProjectRepository(uow).active_ids()


async def raise_alerts(
    uow: UnitOfWork, project_id: UUID, now: datetime, *, interval_days: int, grace_days: int
) -> int:
    """Raise, once each, the project's alerts due now; returns how many it raised."""
    repository = ProjectRepository(uow)
    project = await repository.get(project_id, for_update=True)
    if project is None:
        return 0
    disbursed = await repository.disbursed(project.request_id)
    raised = project.raise_alerts(
        now, disbursed, interval_days=interval_days, grace_days=grace_days
    )
    if raised:
        await repository.save(project)
    return len(raised)
