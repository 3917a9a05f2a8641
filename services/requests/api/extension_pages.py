"""The portal's pages of extension requests: the list, and each one with the step its reader may
take now (a question or the analysis for the analysis group, an answer for the state, the
decision for the secretariat).

Like the requests' pages, each runs the API's read paths and use cases with the signed-in
principal; every step is a POST form carrying the key of the form drawn, so a form sent twice
changes things once, and a refused one changes nothing and is drawn again with what was typed and
the refusal beside it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Literal
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.requests.adapters.extension_repository import (
    AnalysisGroupRepository,
    ExtensionRepository,
)
from services.requests.api.extension_schemas import (
    AnalysisIn,
    AnswerIn,
    DecisionIn,
    ExtensionOut,
    QuestionIn,
)
from services.requests.api.pages import PAGE_SIZE, pages
from services.requests.app import extensions
from services.requests.domain.extension_policy import scope, steps_open_to
from services.requests.domain.extensions import ExtensionRequest
from shared import clock
from shared.deps import Answer, PageCallDep, UnitOfWorkDep, attempt
from shared.errors import NotFound
from shared.languages import Names, NamesDep
from shared.portal.forms import FORM_KEY, Form, FormDep, Refusal, new_form_key
from shared.portal.pages import next_page
from shared.portal.session import PagePrincipalDep
from shared.principal import Principal
from shared.unit_of_work import UnitOfWork
from shared.versioning import etag

router = APIRouter(prefix="/portal/extensions", include_in_schema=False)

Step = Literal["questions", "answers", "analysis", "decision"]


@router.get("")
async def extensions_list(
    request: Request,
    uow: UnitOfWorkDep,
    names: NamesDep,
    principal: PagePrincipalDep,
    cursor: str | None = None,
) -> HTMLResponse:
    """The extension requests the principal may see, newest first."""
    where = scope(principal, await AnalysisGroupRepository(uow).groups())
    found, next_cursor = await ExtensionRepository(uow).page(where, PAGE_SIZE, cursor)
    return pages.render(
        request,
        "extensions.html",
        principal=principal,
        names=names,
        extensions=found,
        next_url=next_page({}, next_cursor),
    )


@router.get("/{extension_id}")
async def extension_page(
    request: Request,
    extension_id: str,
    uow: UnitOfWorkDep,
    names: NamesDep,
    principal: PagePrincipalDep,
) -> HTMLResponse:
    """The extension request, its questions, analysis, decision and history, and the step the
    principal may take now."""
    try:
        known = UUID(extension_id)
    except ValueError:
        return _not_found(request, principal, names)
    return await _extension_page(request, uow, principal, names, known)


def _not_found(request: Request, principal: Principal, names: Names) -> HTMLResponse:
    """What an unknown extension request and one the principal may not see both answer."""
    return pages.render(
        request, "extension_not_found.html", principal=principal, names=names, status=404
    )


async def _extension_page(
    request: Request,
    uow: UnitOfWork,
    principal: Principal,
    names: Names,
    extension_id: UUID,
    refused: tuple[Step, Refusal, Form] | None = None,
) -> HTMLResponse:
    try:
        found, groups = await extensions.visible_extension(uow, principal, extension_id)
    except NotFound:
        return _not_found(request, principal, names)
    step, refusal, form = refused or (None, None, Form({}))
    return pages.render(
        request,
        "extension.html",
        principal=principal,
        names=names,
        status=refusal.status if refusal else 200,
        x=found,
        group=sorted(groups.get(found.convention, frozenset())),
        history=await ExtensionRepository(uow).history(extension_id),
        steps=steps_open_to(principal, found, groups),
        refused_step=step,
        refusal=refusal,
        typed=form,
        key=form.get(FORM_KEY) if refusal else new_form_key(),
    )


def _write(step: Step, form: Form) -> Callable[[Any, UUID, str | None], Awaitable[Any]]:
    """The use case of `step`, with the form's fields checked as the API checks its body."""
    match step:
        case "questions":
            question = QuestionIn.model_validate({"question": form.get("question")}).question
            return lambda call, x, v: extensions.ask(
                call.uow, call.principal, x, question, v, clock.now()
            )
        case "answers":
            answer = AnswerIn.model_validate({"answer": form.get("answer")}).answer
            return lambda call, x, v: extensions.answer(
                call.uow, call.principal, x, answer, v, clock.now()
            )
        case "analysis":
            analysis = AnalysisIn.model_validate({"analysis": form.get("analysis")}).analysis
            return lambda call, x, v: extensions.analyse(
                call.uow, call.principal, x, analysis, v, clock.now()
            )
    decision = DecisionIn.model_validate(
        {
            "granted": form.get("granted") == "yes",
            "new_deadline": form.given("new_deadline"),
            "meeting": form.get("meeting"),
            "text": form.given("text"),
        }
    ).to_decision()
    return lambda call, x, v: extensions.decide(
        call.uow, call.principal, x, decision, v, clock.now()
    )


@router.post("/{extension_id}/{step}")
async def take_step(
    request: Request,
    extension_id: UUID,
    step: Step,
    form: FormDep,
    call: PageCallDep,
    names: NamesDep,
    principal: PagePrincipalDep,
) -> Response:
    """One step, by the API's rules, against the version the form drew; refused, the page
    again with the refusal beside the form."""
    version = form.given("version")
    if_match = etag(int(version)) if version and version.isdigit() else version

    async def apply() -> Answer:
        changed: ExtensionRequest = await _write(step, form)(call, extension_id, if_match)
        return Answer(ExtensionOut.of(changed))

    outcome = await attempt(call, apply)
    if not isinstance(outcome, Refusal):
        return RedirectResponse(f"/portal/extensions/{extension_id}", status_code=303)
    return await _extension_page(
        request, call.uow, principal, names, extension_id, (step, outcome, form)
    )
