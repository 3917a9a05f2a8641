"""HTTP routes for partner systems: parse, call a use case, answer. Errors map themselves."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response, status

from services.requests.adapters.repository import RequestRepository
from services.requests.api.schemas import (
    NeedIn,
    NewRequest,
    ReasonIn,
    RequestLine,
    RequestOut,
    RequestPage,
    ReturnIn,
    TransitionOut,
)
from services.requests.app import commands
from services.requests.app.commands import Change, ReasonedChange, visible_request
from services.requests.domain.model import AssistanceRequest, Status
from services.requests.domain.policy import Action, RequestFilter, narrow, visible
from shared import clock
from shared.auth import PrincipalDep
from shared.deps import Answer, Call, CallDep, IfMatch, UnitOfWorkDep
from shared.http import PROBLEMS
from shared.languages import NamesDep
from shared.reports import CSV_PAGE, Format, csv_page
from shared.versioning import etag

router = APIRouter(prefix="/v1/requests", tags=["requests"], responses=PROBLEMS)


def _answer(request: AssistanceRequest, **headers: str) -> Answer:
    return Answer(RequestOut.of(request), {"ETag": etag(request.version), **headers})


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=RequestOut,
    summary="Create a draft request for the caller's state",
)
async def create_request(body: NewRequest, call: CallDep) -> Any:
    async def create() -> Answer:
        request = await commands.create_request(
            call.uow, call.principal, body.state, body.to_need(), clock.now()
        )
        return _answer(request, Location=f"/v1/requests/{request.id}")

    return await call.once(201, create)


@router.get("", response_model=RequestPage, responses=CSV_PAGE, summary="List requests")
async def list_requests(
    http_request: Request,
    uow: UnitOfWorkDep,
    principal: PrincipalDep,
    names: NamesDep,
    state: Annotated[str | None, Query(pattern=r"^[A-Z]{3}$")] = None,
    region: Annotated[str | None, Query(description="Regional centre id")] = None,
    convention: str | None = None,
    area: str | None = None,
    status_: Annotated[Status | None, Query(alias="status")] = None,
    deadline_before: date | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    format: Format = "json",
) -> Any:
    """With `format=csv`, the same page as a spreadsheet (the next page's link in `Link`)."""
    asked = RequestFilter(
        states=frozenset({state}) if state else None,
        regional_centre=region,
        convention=convention,
        area=area,
        statuses=frozenset({status_.value}) if status_ else None,
        deadline_before=deadline_before,
    )
    where = narrow(visible(principal), asked)
    requests, next_cursor = (
        await RequestRepository(uow).page(where, limit, cursor) if where is not None else ([], None)
    )
    page = RequestPage(items=[RequestOut.of(r, names) for r in requests], next_cursor=next_cursor)
    if format == "csv":
        lines = [RequestLine.of(item) for item in page.items]
        return csv_page(http_request, lines, RequestLine, names, next_cursor)
    return page


@router.get("/{request_id}")
async def get_request(
    request_id: UUID, response: Response, uow: UnitOfWorkDep, principal: PrincipalDep
) -> RequestOut:
    request = await visible_request(RequestRepository(uow), principal, request_id)
    response.headers["ETag"] = etag(request.version)
    return RequestOut.of(request)


@router.get(
    "/{request_id}/history",
    summary="Every transition: who, when, from what to what, and why",
)
async def get_history(
    request_id: UUID, uow: UnitOfWorkDep, principal: PrincipalDep
) -> list[TransitionOut]:
    repository = RequestRepository(uow)
    await visible_request(repository, principal, request_id)
    return [TransitionOut.of(t) for t in await repository.history(request_id)]


@router.put(
    "/{request_id}",
    responses={428: {}},
    summary="Amend a draft or returned request (If-Match required)",
)
async def amend_request(
    request_id: UUID,
    body: NeedIn,
    response: Response,
    uow: UnitOfWorkDep,
    principal: PrincipalDep,
    if_match: IfMatch = None,
) -> RequestOut:
    request = await commands.amend_request(
        uow, principal, request_id, body.to_need(), if_match, clock.now()
    )
    response.headers["ETag"] = etag(request.version)
    return RequestOut.of(request)


async def _lifecycle(
    call: Call, if_match: str | None, request_id: UUID, action: Action, change: Change
) -> Any:
    """A lifecycle change, once per idempotency key; answers the request with its ETag."""

    async def apply() -> Answer:
        request = await commands.change_request(
            call.uow, call.principal, request_id, action, change, if_match, clock.now()
        )
        return _answer(request)

    return await call.once(200, apply)


def _post_change(path: str, summary: str, endpoint: Callable[..., Awaitable[Any]]) -> None:
    router.post(
        f"/{{request_id}}/{path}",
        response_model=RequestOut,
        summary=summary,
        name=f"{path}_request",
    )(endpoint)


def _change_route(path: str, action: Action, change: Change, summary: str) -> None:
    """POST /v1/requests/{request_id}/<path>: the lifecycle change `change`, which takes no body."""

    async def change_request(request_id: UUID, call: CallDep, if_match: IfMatch = None) -> Any:
        return await _lifecycle(call, if_match, request_id, action, change)

    _post_change(path, summary, change_request)


def _reasoned_change_route(path: str, action: Action, change: ReasonedChange, summary: str) -> None:
    """POST /v1/requests/{request_id}/<path>: the lifecycle change `change`, with the reason the
    body may give."""

    async def change_request(
        request_id: UUID, call: CallDep, body: ReasonIn | None = None, if_match: IfMatch = None
    ) -> Any:
        reason = body.reason if body else None
        return await _lifecycle(
            call, if_match, request_id, action, lambda r, who, now: change(r, who, now, reason)
        )

    _post_change(path, summary, change_request)


_change_route(
    "submit",
    Action.SUBMIT,
    AssistanceRequest.submit,
    "Submit a draft or returned request for regional review",
)
_reasoned_change_route(
    "withdraw", Action.WITHDRAW, AssistanceRequest.withdraw, "Withdraw an open request (its state)"
)
_reasoned_change_route(
    "endorse",
    Action.REVIEW,
    AssistanceRequest.endorse,
    "Endorse a submitted request (its regional centre, or the secretariat)",
)


@router.post(
    "/{request_id}/return",
    response_model=RequestOut,
    summary="Return a request to its state for amendment, saying why",
)
async def return_request(
    request_id: UUID, body: ReturnIn, call: CallDep, if_match: IfMatch = None
) -> Any:
    def change(r: AssistanceRequest, who: str, now: datetime) -> None:
        r.return_for_amendment(who, now, body.reason)

    return await _lifecycle(call, if_match, request_id, Action.REVIEW, change)


_change_route(
    "publish",
    Action.PUBLISH,
    AssistanceRequest.publish,
    "Publish an endorsed request to matching (the secretariat)",
)
_reasoned_change_route(
    "complete", Action.COMPLETE, AssistanceRequest.complete, "Mark a funded request completed"
)
