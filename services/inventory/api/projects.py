"""HTTP routes for projects: start one for a funded request, file progress reports, read them."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter

from services.inventory.adapters.project_repository import ProjectRepository
from services.inventory.api.project_schemas import (
    ProjectIn,
    ProjectLine,
    ProjectOut,
    ReportIn,
    ReportOut,
)
from services.inventory.app import projects
from services.inventory.domain.projects import ProjectStatus
from shared import clock
from shared.auth import PrincipalDep
from shared.deps import Answer, CallDep, UnitOfWorkDep
from shared.http import PROBLEMS

router = APIRouter(prefix="/v1/projects", tags=["projects"], responses=PROBLEMS)


@router.post(
    "",
    status_code=201,
    response_model=ProjectOut,
    summary="Start a project for a funded or partly funded request",
)
async def start_project(body: ProjectIn, call: CallDep) -> Any:
    """By the secretariat, the requesting state's focal point or a funder of the request."""

    async def start() -> Answer:
        project = await projects.start_project(call.uow, call.principal, body.plan(), clock.now())
        disbursed = await projects.disbursed_for(call.uow, project)
        return Answer(ProjectOut.of(project, disbursed), {"Location": f"/v1/projects/{project.id}"})

    return await call.once(201, start)


@router.post(
    "/{project_id}/reports",
    status_code=201,
    response_model=ReportOut,
    summary="File a progress report; a final one completes the project",
)
async def file_report(project_id: UUID, body: ReportIn, call: CallDep) -> Any:
    """By the project's state or its implementing partner."""

    async def file() -> Answer:
        _, report = await projects.file_report(
            call.uow, call.principal, project_id, body.terms(), clock.now()
        )
        return Answer(ReportOut.of(report))

    return await call.once(201, file)


@router.get("", summary="The projects the caller reads, newest first")
async def list_projects(
    uow: UnitOfWorkDep,
    principal: PrincipalDep,
    request_id: UUID | None = None,
    status: ProjectStatus | None = None,
) -> list[ProjectLine]:
    found = await ProjectRepository(uow).visible(
        projects.scope_for(principal),
        request_id=request_id,
        status=status.value if status else None,
    )
    return [ProjectLine.of(project) for project in found]


@router.get("/{project_id}", summary="A project: budget, schedule against the ledger, results")
async def get_project(project_id: UUID, uow: UnitOfWorkDep, principal: PrincipalDep) -> ProjectOut:
    project = await projects.visible_project(uow, principal, project_id)
    return ProjectOut.of(project, await projects.disbursed_for(uow, project))
