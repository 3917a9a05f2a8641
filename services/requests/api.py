"""HTTP routes for partner systems: parse, authorise, call the domain, map errors to problems."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Query, Response, status
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from services.requests import events
from services.requests.access import Action, can_see, may, visible
from services.requests.domain import AssistanceRequest, RuleViolation, Status
from services.requests.schemas import (
    NeedIn,
    NewRequest,
    ReasonIn,
    RequestOut,
    RequestPage,
    ReturnIn,
    TransitionOut,
)
from services.requests.store import RequestFilter, RequestRepository
from shared.auth import PrincipalDep, forbidden
from shared.principal import Principal
from shared.http import Problem, check_if_match, etag, problem_responses
from shared.idempotency import Idempotency, IdempotencyDep
from shared.runtime import Resources, ResourcesDep, SessionDep

router = APIRouter(prefix="/v1/requests", tags=["requests"])
IfMatch = Annotated[str | None, Header(description="The ETag of the version you last read.")]
PROBLEMS = problem_responses(
    {
        401: "No valid API key",
        403: "The caller may not do this",
        404: "No such request visible to the caller",
        409: "The lifecycle does not allow this now",
        412: "The request changed since the caller read it",
        422: "Invalid input; the problem names the field",
    }
)


def _now() -> datetime:
    return datetime.now(UTC)


async def _load(
    repository: RequestRepository, principal: Principal, request_id: UUID, *, lock: bool = False
) -> AssistanceRequest:
    request = await repository.get(request_id, for_update=lock)
    if request is None or not can_see(principal, request):
        raise Problem(404, "Request not found", f"No request {request_id}.", kind="not-found")
    return request


def _check_version(request: AssistanceRequest, if_match: str | None, *, required: bool) -> None:
    check_if_match(request.version, if_match, required=required, what="request")


def _refused(violation: RuleViolation) -> Problem:
    return Problem(409, "Not allowed now", str(violation), kind="lifecycle", rule=violation.rule)


async def _store(
    repository: RequestRepository, resources: Resources, request: AssistanceRequest, *, new: bool
) -> None:
    if new:
        await repository.add(request)
    else:
        await repository.save(request)
    await events.publish(repository.session, resources.outbox, resources.topics, request)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=RequestOut,
    responses=PROBLEMS,
    summary="Create a draft request for the caller's state",
)
async def create_request(
    body: NewRequest,
    response: Response,
    session: SessionDep,
    resources: ResourcesDep,
    principal: PrincipalDep,
    idempotency: IdempotencyDep,
) -> Any:
    if (replay := await idempotency.replay()) is not None:
        return replay
    centre = resources.network.centre_of(body.state)
    centre_id = centre.id if centre else None
    if not may(principal, Action.CREATE, body.state, centre_id):
        raise forbidden(f"{principal.label} may not create requests for {body.state}.")
    request = AssistanceRequest.draft(
        body.state, body.to_need(), centre_id, principal.label, _now()
    )
    await _store(RequestRepository(session), resources, request, new=True)
    response.headers["ETag"] = etag(request.version)
    response.headers["Location"] = f"/v1/requests/{request.id}"
    return await idempotency.remember(201, RequestOut.of(request))


@router.get("", response_model=RequestPage, responses=PROBLEMS, summary="List requests")
async def list_requests(
    session: SessionDep,
    principal: PrincipalDep,
    state: Annotated[str | None, Query(pattern=r"^[A-Z]{3}$")] = None,
    region: Annotated[str | None, Query(description="Regional centre id")] = None,
    convention: str | None = None,
    area: str | None = None,
    status_: Annotated[Status | None, Query(alias="status")] = None,
    deadline_before: date | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> RequestPage:
    asked = RequestFilter(
        states=frozenset({state}) if state else None,
        regional_centre=region,
        convention=convention,
        area=area,
        statuses=frozenset({status_.value}) if status_ else None,
        deadline_before=deadline_before,
    )
    where = _narrow(visible(principal), asked)
    if where is None:
        return RequestPage(items=[], next_cursor=None)
    requests, next_cursor = await RequestRepository(session).page(where, limit, cursor)
    return RequestPage(items=[RequestOut.of(r) for r in requests], next_cursor=next_cursor)


def _narrow(scope: RequestFilter, asked: RequestFilter) -> RequestFilter | None:
    """What the caller asked for, within what it may see; None when the two do not meet."""
    states = _meet(scope.states, asked.states)
    statuses = _meet(scope.statuses, asked.statuses)
    centres = {c for c in (scope.regional_centre, asked.regional_centre) if c is not None}
    if states == frozenset() or statuses == frozenset() or len(centres) > 1:
        return None
    return RequestFilter(
        states=states,
        regional_centre=next(iter(centres), None),
        convention=asked.convention,
        area=asked.area,
        statuses=statuses,
        deadline_before=asked.deadline_before,
    )


def _meet(a: frozenset[str] | None, b: frozenset[str] | None) -> frozenset[str] | None:
    if a is None or b is None:
        return a if b is None else b
    return a & b


@router.get("/{request_id}", response_model=RequestOut, responses=PROBLEMS)
async def get_request(
    request_id: UUID, response: Response, session: SessionDep, principal: PrincipalDep
) -> RequestOut:
    request = await _load(RequestRepository(session), principal, request_id)
    response.headers["ETag"] = etag(request.version)
    return RequestOut.of(request)


@router.get(
    "/{request_id}/history",
    response_model=list[TransitionOut],
    responses=PROBLEMS,
    summary="Every transition: who, when, from what to what, and why",
)
async def get_history(
    request_id: UUID, session: SessionDep, principal: PrincipalDep
) -> list[TransitionOut]:
    repository = RequestRepository(session)
    await _load(repository, principal, request_id)
    return [TransitionOut.of(t) for t in await repository.history(request_id)]


@router.put(
    "/{request_id}",
    response_model=RequestOut,
    responses={**PROBLEMS, 428: {}},
    summary="Amend a draft or returned request (If-Match required)",
)
async def amend_request(
    request_id: UUID,
    body: NeedIn,
    response: Response,
    session: SessionDep,
    resources: ResourcesDep,
    principal: PrincipalDep,
    if_match: IfMatch = None,
) -> RequestOut:
    repository = RequestRepository(session)
    request = await _load(repository, principal, request_id, lock=True)
    if not may(principal, Action.AMEND, request.state, request.regional_centre):
        raise forbidden(f"{principal.label} may not amend this request.")
    _check_version(request, if_match, required=True)
    try:
        request.amend(body.to_need(), principal.label, _now())
    except RuleViolation as violation:
        raise _refused(violation) from violation
    await _store(repository, resources, request, new=False)
    response.headers["ETag"] = etag(request.version)
    return RequestOut.of(request)


Change = Callable[[AssistanceRequest, str, datetime], None]


@dataclass
class Lifecycle:
    """What every lifecycle action needs: the caller, the transaction, idempotency, If-Match."""

    session: AsyncSession
    resources: Resources
    principal: Principal
    idempotency: Idempotency
    if_match: str | None = None

    async def apply(self, request_id: UUID, action: Action, change: Change) -> Any:
        """Load, authorise, apply one lifecycle change, store it with its events, answer."""
        if (replay := await self.idempotency.replay()) is not None:
            return replay
        repository = RequestRepository(self.session)
        request = await _load(repository, self.principal, request_id, lock=True)
        if not may(self.principal, action, request.state, request.regional_centre):
            raise forbidden(f"{self.principal.label} may not {action} this request.")
        _check_version(request, self.if_match, required=False)
        try:
            change(request, self.principal.label, _now())
        except RuleViolation as violation:
            raise _refused(violation) from violation
        await _store(repository, self.resources, request, new=False)
        body = RequestOut.of(request)
        await self.idempotency.remember(200, body)
        return JSONResponse(body.model_dump(mode="json"), headers={"ETag": etag(request.version)})


async def lifecycle(
    session: SessionDep,
    resources: ResourcesDep,
    principal: PrincipalDep,
    idempotency: IdempotencyDep,
    if_match: IfMatch = None,
) -> Lifecycle:
    """An async factory: a class as dependency would be built in a worker thread."""
    return Lifecycle(session, resources, principal, idempotency, if_match)


LifecycleDep = Annotated[Lifecycle, Depends(lifecycle)]


@router.post(
    "/{request_id}/submit",
    response_model=RequestOut,
    responses=PROBLEMS,
    summary="Submit a draft or returned request for regional review",
)
async def submit_request(request_id: UUID, lifecycle: LifecycleDep) -> Any:
    return await lifecycle.apply(request_id, Action.SUBMIT, lambda r, who, now: r.submit(who, now))


@router.post(
    "/{request_id}/withdraw",
    response_model=RequestOut,
    responses=PROBLEMS,
    summary="Withdraw an open request (its state)",
)
async def withdraw_request(request_id: UUID, body: ReasonIn, lifecycle: LifecycleDep) -> Any:
    return await lifecycle.apply(
        request_id, Action.WITHDRAW, lambda r, who, now: r.withdraw(who, now, body.reason)
    )


@router.post(
    "/{request_id}/endorse",
    response_model=RequestOut,
    responses=PROBLEMS,
    summary="Endorse a submitted request (its regional centre, or the secretariat)",
)
async def endorse_request(request_id: UUID, body: ReasonIn, lifecycle: LifecycleDep) -> Any:
    return await lifecycle.apply(
        request_id, Action.REVIEW, lambda r, who, now: r.endorse(who, now, body.reason)
    )


@router.post(
    "/{request_id}/return",
    response_model=RequestOut,
    responses=PROBLEMS,
    summary="Return a request to its state for amendment, saying why",
)
async def return_request(request_id: UUID, body: ReturnIn, lifecycle: LifecycleDep) -> Any:
    return await lifecycle.apply(
        request_id, Action.REVIEW, lambda r, who, now: r.return_for_amendment(who, now, body.reason)
    )


@router.post(
    "/{request_id}/publish",
    response_model=RequestOut,
    responses=PROBLEMS,
    summary="Publish an endorsed request to matching (the secretariat)",
)
async def publish_request(request_id: UUID, lifecycle: LifecycleDep) -> Any:
    return await lifecycle.apply(
        request_id, Action.PUBLISH, lambda r, who, now: r.publish(who, now)
    )


@router.post(
    "/{request_id}/complete",
    response_model=RequestOut,
    responses=PROBLEMS,
    summary="Mark a funded request completed",
)
async def complete_request(request_id: UUID, body: ReasonIn, lifecycle: LifecycleDep) -> Any:
    return await lifecycle.apply(
        request_id, Action.COMPLETE, lambda r, who, now: r.complete(who, now, body.reason)
    )
