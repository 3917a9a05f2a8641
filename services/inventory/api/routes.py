"""HTTP routes for sources: parse, call a use case, answer. Errors map themselves."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Query, Response, status
from fastapi.responses import JSONResponse

from services.inventory.adapters.repository import SourceRepository
from services.inventory.api.schemas import SearchParams, SourceIn, SourceOut, SourcePage, VersionOut
from services.inventory.app import commands
from services.inventory.app.commands import Change, source_or_404
from services.inventory.domain.model import Source
from services.inventory.domain.policy import donor_for_new_source
from shared.auth import PrincipalDep
from shared.deps import IdempotencyDep, UnitOfWorkDep
from shared.geography import RegionalNetwork
from shared.http import Problem, problem_responses
from shared.versioning import etag

router = APIRouter(prefix="/v1/sources", tags=["sources"])
IfMatch = Annotated[str | None, Header(description="The ETag of the version you last read.")]
PROBLEMS = problem_responses(
    {
        401: "No valid API key",
        403: "The caller may not manage this source",
        404: "No such source",
        409: "The source's status or its ledger does not allow this",
        412: "The source changed since the caller read it",
        422: "Invalid input; the problem names the field or the rule",
    }
)


def now() -> datetime:
    return datetime.now(UTC)


def _check_centres(body: SourceIn, network: RegionalNetwork) -> None:
    for field, centres in (
        ("regional_focus", body.regional_focus),
        ("eligibility.regions", body.eligibility.regions),
    ):
        unknown = sorted(set(centres) - set(network.centres))
        if unknown:
            raise Problem(
                422,
                "Invalid request",
                f"unknown regional centres {unknown}; known: {', '.join(network.ids)}",
                kind="validation",
                field=f"body.{field}",
            )


def _answer(source: Source) -> JSONResponse:
    body = SourceOut.of(source).model_dump(mode="json")
    return JSONResponse(body, headers={"ETag": etag(source.version)})


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=SourceOut,
    responses=PROBLEMS,
    summary="Register a source of assistance",
)
async def create_source(
    body: SourceIn,
    response: Response,
    uow: UnitOfWorkDep,
    principal: PrincipalDep,
    idempotency: IdempotencyDep,
) -> Any:
    if (replay := await idempotency.replay()) is not None:
        return replay
    _check_centres(body, uow.network)
    profile = body.profile(donor_for_new_source(principal, body.donor))
    source = await commands.register_source(uow, principal, profile, body.window_terms(), now())
    response.headers["ETag"] = etag(source.version)
    response.headers["Location"] = f"/v1/sources/{source.id}"
    return await idempotency.remember(201, SourceOut.of(source))


@router.get(
    "",
    response_model=SourcePage,
    responses=PROBLEMS,
    summary="Search sources as a requesting state would",
    description="Active sources unless `status` says otherwise; newest first.",
)
async def search_sources(
    uow: UnitOfWorkDep,
    principal: PrincipalDep,
    params: Annotated[SearchParams, Depends()],
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> SourcePage:
    where = params.filter(uow.network, now().date())
    sources, next_cursor = await SourceRepository(uow).search(where, limit, cursor)
    return SourcePage(items=[SourceOut.of(s) for s in sources], next_cursor=next_cursor)


@router.get("/{source_id}", response_model=SourceOut, responses=PROBLEMS)
async def get_source(source_id: UUID, uow: UnitOfWorkDep, principal: PrincipalDep) -> Any:
    return _answer(await source_or_404(SourceRepository(uow), source_id))


@router.get(
    "/{source_id}/history",
    response_model=list[VersionOut],
    responses=PROBLEMS,
    summary="Every version of the source: who changed what, when",
)
async def get_history(
    source_id: UUID, uow: UnitOfWorkDep, principal: PrincipalDep
) -> list[VersionOut]:
    repository = SourceRepository(uow)
    await source_or_404(repository, source_id)
    return [
        VersionOut.model_validate(v, from_attributes=True)
        for v in await repository.history(source_id)
    ]


@router.put(
    "/{source_id}",
    response_model=SourceOut,
    responses={**PROBLEMS, 428: {"description": "Send If-Match"}},
    summary="Replace the source's profile and windows (If-Match required)",
)
async def update_source(
    source_id: UUID,
    body: SourceIn,
    uow: UnitOfWorkDep,
    principal: PrincipalDep,
    if_match: IfMatch = None,
) -> Any:
    _check_centres(body, uow.network)
    source = await commands.update_source(
        uow, principal, source_id, body.profile, body.donor, body.window_terms(), if_match, now()
    )
    return _answer(source)


def _status_route(action: str, change: Change, summary: str) -> None:
    """POST /v1/sources/{source_id}/<action>."""

    async def change_status(
        source_id: UUID,
        uow: UnitOfWorkDep,
        principal: PrincipalDep,
        idempotency: IdempotencyDep,
        if_match: IfMatch = None,
    ) -> Any:
        if (replay := await idempotency.replay()) is not None:
            return replay
        source = await commands.change_status(uow, principal, source_id, change, if_match, now())
        await idempotency.remember(200, SourceOut.of(source))
        return _answer(source)

    router.post(
        f"/{{source_id}}/{action}",
        response_model=SourceOut,
        responses=PROBLEMS,
        summary=summary,
        name=f"{action}_source",
    )(change_status)


_status_route("pause", Source.pause, "Pause: no new pledges, commitments or reservations")
_status_route("resume", Source.resume, "Resume a paused source")
_status_route("close", Source.close, "Close for good; what it committed can still be disbursed")
