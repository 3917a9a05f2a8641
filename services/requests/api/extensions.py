"""HTTP routes of extension requests and of the analysis groups that review them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Response, status

from services.requests.adapters.extension_repository import (
    AnalysisGroupRepository,
    ExtensionRepository,
)
from services.requests.api.extension_schemas import (
    AnalysisGroupOut,
    AnalysisIn,
    AnswerIn,
    DecisionIn,
    ExtensionOut,
    ExtensionPage,
    MemberIn,
    NewExtension,
    QuestionIn,
)
from services.requests.api.schemas import TransitionOut
from services.requests.app import extensions
from services.requests.domain.extension_policy import scope
from services.requests.domain.extensions import ExtensionRequest
from services.requests.settings import RequestsSettings
from shared import clock
from shared.auth import PrincipalDep
from shared.deps import Answer, CallDep, IfMatch, ResourcesDep, UnitOfWorkDep
from shared.http import PROBLEMS
from shared.languages import NamesDep
from shared.obligations import obligations
from shared.runtime import service_settings
from shared.schemas import ConventionCode
from shared.versioning import etag

router = APIRouter(prefix="/v1/extension-requests", tags=["extension requests"], responses=PROBLEMS)
groups_router = APIRouter(
    prefix="/v1/analysis-groups", tags=["extension requests"], responses=PROBLEMS
)


def _answer(extension: ExtensionRequest, **headers: str) -> Answer:
    return Answer(ExtensionOut.of(extension), {"ETag": etag(extension.version), **headers})


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ExtensionOut,
    summary="File a request to extend one of the caller's state's treaty deadlines",
)
async def file_extension(body: NewExtension, call: CallDep, resources: ResourcesDep) -> Any:
    """Also drafts the assistance request for the resources the extended plan needs
    (`assistance_request_id`), which the state submits like any other."""
    known = obligations(service_settings(resources, RequestsSettings).obligations_file)

    async def file() -> Answer:
        extension = await extensions.file_extension(
            call.uow, call.principal, known, body.to_filing(), clock.now()
        )
        return _answer(extension, Location=f"/v1/extension-requests/{extension.id}")

    return await call.once(201, file)


@router.get("", summary="List the extension requests the caller may see")
async def list_extensions(
    uow: UnitOfWorkDep,
    principal: PrincipalDep,
    names: NamesDep,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> ExtensionPage:
    where = scope(principal, await AnalysisGroupRepository(uow).groups())
    items, next_cursor = await ExtensionRepository(uow).page(where, limit, cursor)
    return ExtensionPage(items=[ExtensionOut.of(e, names) for e in items], next_cursor=next_cursor)


@router.get("/{extension_id}")
async def get_extension(
    extension_id: UUID, response: Response, uow: UnitOfWorkDep, principal: PrincipalDep
) -> ExtensionOut:
    extension, _ = await extensions.visible_extension(uow, principal, extension_id)
    response.headers["ETag"] = etag(extension.version)
    return ExtensionOut.of(extension)


@router.get("/{extension_id}/history", summary="Every step: who, when, from what to what")
async def get_history(
    extension_id: UUID, uow: UnitOfWorkDep, principal: PrincipalDep
) -> list[TransitionOut]:
    await extensions.visible_extension(uow, principal, extension_id)
    history = await ExtensionRepository(uow).history(extension_id)
    return [TransitionOut(**t.plain_fields()) for t in history]


async def _step(call: Any, write: Callable[[], Awaitable[ExtensionRequest]]) -> Any:
    async def apply() -> Answer:
        return _answer(await write())

    return await call.once(200, apply)


@router.post(
    "/{extension_id}/questions",
    response_model=ExtensionOut,
    summary="Ask the state a question (the convention's analysis group)",
)
async def ask(extension_id: UUID, body: QuestionIn, call: CallDep, if_match: IfMatch = None) -> Any:
    return await _step(
        call,
        lambda: extensions.ask(
            call.uow, call.principal, extension_id, body.question, if_match, clock.now()
        ),
    )


@router.post(
    "/{extension_id}/answers",
    response_model=ExtensionOut,
    summary="Answer the oldest open question (the state's national focal point)",
)
async def answer(
    extension_id: UUID, body: AnswerIn, call: CallDep, if_match: IfMatch = None
) -> Any:
    return await _step(
        call,
        lambda: extensions.answer(
            call.uow, call.principal, extension_id, body.answer, if_match, clock.now()
        ),
    )


@router.post(
    "/{extension_id}/analysis",
    response_model=ExtensionOut,
    summary="Write the analysis (the convention's analysis group)",
)
async def analyse(
    extension_id: UUID, body: AnalysisIn, call: CallDep, if_match: IfMatch = None
) -> Any:
    return await _step(
        call,
        lambda: extensions.analyse(
            call.uow, call.principal, extension_id, body.analysis, if_match, clock.now()
        ),
    )


@router.post(
    "/{extension_id}/decision",
    response_model=ExtensionOut,
    summary="Record the meeting of States Parties' decision (the secretariat)",
)
async def decide(
    extension_id: UUID, body: DecisionIn, call: CallDep, if_match: IfMatch = None
) -> Any:
    """A grant moves the linked assistance request's deadline to the one the meeting set."""
    return await _step(
        call,
        lambda: extensions.decide(
            call.uow, call.principal, extension_id, body.to_decision(), if_match, clock.now()
        ),
    )


@groups_router.get("/{convention}", summary="The convention's analysis group")
async def get_group(
    convention: ConventionCode, uow: UnitOfWorkDep, principal: PrincipalDep
) -> AnalysisGroupOut:
    members = (await AnalysisGroupRepository(uow).groups()).get(convention, frozenset())
    return AnalysisGroupOut(convention=convention, members=sorted(members))


@groups_router.post(
    "/{convention}/members",
    response_model=AnalysisGroupOut,
    summary="Name a coordinator to the convention's analysis group (the secretariat)",
)
async def name_member(convention: ConventionCode, body: MemberIn, call: CallDep) -> Any:
    async def name() -> Answer:
        members = await extensions.name_member(
            call.uow, call.principal, convention, body.member, clock.now()
        )
        return Answer(AnalysisGroupOut(convention=convention, members=members))

    return await call.once(200, name)
