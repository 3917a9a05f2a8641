"""The portal's pages of projects: the list of those the principal reads, and one project with
its budget by funder, its schedule planned against the ledger's disbursements, its milestones,
its indicators (baseline, target, latest value) and its reports; the project's state and its
implementing partner file a progress report from its page.

Who reads which project is the API's rule (`policy.may_read_project`); another's project is
answered as unknown. The report form writes as the API's route does (`app.projects.file_report`),
once per form key; refused, it changes nothing and the page shows why beside the form.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.inventory.adapters.project_repository import ProjectRepository
from services.inventory.api.pages import pages
from services.inventory.api.project_schemas import ProjectOut, ReportIn, ReportOut
from services.inventory.app import projects
from services.inventory.domain.policy import may_report
from services.inventory.domain.projects import Project
from shared import clock
from shared.deps import Answer, PageCallDep, UnitOfWorkDep, attempt
from shared.errors import NotFound
from shared.languages import Names, NamesDep
from shared.portal.forms import FORM_KEY, Form, FormDep, Refusal, new_form_key
from shared.portal.session import PagePrincipalDep
from shared.principal import Principal
from shared.unit_of_work import UnitOfWork

router = APIRouter(prefix="/portal", include_in_schema=False)


@router.get("/projects")
async def project_list(
    request: Request, uow: UnitOfWorkDep, names: NamesDep, principal: PagePrincipalDep
) -> HTMLResponse:
    """The projects the principal reads, newest first."""
    found = await ProjectRepository(uow).visible(projects.scope_for(principal))
    return pages.render(request, "projects.html", principal=principal, names=names, projects=found)


@router.get("/projects/{project_id}")
async def project_page(
    request: Request,
    project_id: str,
    uow: UnitOfWorkDep,
    names: NamesDep,
    principal: PagePrincipalDep,
) -> HTMLResponse:
    return await _render(request, uow, principal, names, project_id)


@router.post("/projects/{project_id}/reports")
async def file_report(
    request: Request,
    project_id: UUID,
    form: FormDep,
    call: PageCallDep,
    names: NamesDep,
) -> Response:
    """A progress report from the project's page, as `POST /v1/projects/{id}/reports` files it."""

    async def file() -> Answer:
        terms = _report_in(form).terms()
        _, report = await projects.file_report(
            call.uow, call.principal, project_id, terms, clock.now()
        )
        return Answer(ReportOut.of(report))

    outcome = await attempt(call, file)
    if not isinstance(outcome, Refusal):
        return RedirectResponse(f"/portal/projects/{project_id}", status_code=303)
    return await _render(
        request, call.uow, call.principal, names, str(project_id), refusal=outcome, form=form
    )


def _report_in(form: Form) -> ReportIn:
    """The form's report, checked as the API checks it: a value for each indicator filled in."""
    values = {
        name.removeprefix("value."): value
        for name in form.fields
        if name.startswith("value.") and (value := form.get(name))
    }
    return ReportIn.model_validate(
        {
            "period_start": form.get("period_start"),
            "period_end": form.get("period_end"),
            "values": values,
            "challenges": form.get("challenges"),
            "lessons": form.get("lessons"),
            "final": form.get("final") == "yes",
        }
    )


async def _render(
    request: Request,
    uow: UnitOfWork,
    principal: Principal,
    names: Names,
    project_id: str,
    *,
    refusal: Refusal | None = None,
    form: Form | None = None,
) -> HTMLResponse:
    project = await _readable(uow, principal, project_id)
    if project is None:
        return pages.render(
            request, "project_not_found.html", principal=principal, names=names, status=404
        )
    shown = ProjectOut.of(project, await projects.disbursed_for(uow, project))
    context: dict[str, Any] = {
        "project": shown,
        "reports": may_report(principal, project) and not project.closed,
        "refusal": refusal,
        "form": form,
        "form_key": form.get(FORM_KEY) if form else new_form_key(),
    }
    status = refusal.status if refusal else 200
    return pages.render(
        request, "project.html", principal=principal, names=names, status=status, **context
    )


async def _readable(uow: UnitOfWork, principal: Principal, project_id: str) -> Project | None:
    """The project, if the principal reads it; None for any other id, or one that is not one."""
    try:
        return await projects.visible_project(uow, principal, UUID(project_id))
    except (ValueError, NotFound):
        return None
