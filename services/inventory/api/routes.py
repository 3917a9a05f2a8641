"""HTTP routes for sources: parse, call a use case, answer. Errors map themselves."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.responses import JSONResponse

from services.inventory.adapters.repository import SourceRepository
from services.inventory.api.schemas import (
    SearchParams,
    SourceIn,
    SourceLine,
    SourceOut,
    SourcePage,
    VersionOut,
)
from services.inventory.app import commands
from services.inventory.app.commands import Change, source_or_404
from services.inventory.domain.model import Source
from services.inventory.domain.policy import donor_for_new_source
from shared import clock
from shared.auth import PrincipalDep
from shared.deps import Answer, CallDep, IfMatch, UnitOfWorkDep
from shared.errors import Invalid
from shared.geography import RegionalNetwork
from shared.http import PROBLEMS
from shared.languages import NamesDep
from shared.principal import Principal
from shared.reports import CSV_PAGE, Format, csv_page
from shared.unit_of_work import UnitOfWork
from shared.versioning import etag

router = APIRouter(prefix="/v1/sources", tags=["sources"])


def _check_centres(body: SourceIn, network: RegionalNetwork) -> None:
    for field, centres in (
        ("regional_focus", body.regional_focus),
        ("eligibility.regions", body.eligibility.regions),
    ):
        unknown = sorted(set(centres) - set(network.centres))
        if unknown:
            raise Invalid(
                f"unknown regional centres {unknown}; known: {', '.join(network.ids)}",
                rule="unknown-centre",
                field=field,
            )


async def new_source(body: SourceIn, uow: UnitOfWork, principal: Principal) -> Source:
    """The source a caller's body registers, by every rule of registration; not stored yet.
    A single `POST` and every row of a bulk upload go through it."""
    _check_centres(body, uow.network)
    profile = body.profile(donor_for_new_source(principal, body.donor))
    return await commands.new_source(uow, principal, profile, body.window_terms(), clock.now())


def _answer(source: Source, **headers: str) -> Answer:
    return Answer(SourceOut.of(source), {"ETag": etag(source.version), **headers})


def _with_etag(source: Source) -> JSONResponse:
    """A source as a read, or an edit that takes no idempotency key, answers it."""
    answer = _answer(source)
    return JSONResponse(answer.body.model_dump(mode="json"), headers=dict(answer.headers))


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=SourceOut,
    responses=PROBLEMS,
    summary="Register a source of assistance",
)
async def create_source(body: SourceIn, call: CallDep) -> Any:
    async def register() -> Answer:
        source = await new_source(body, call.uow, call.principal)
        await commands.store_sources(call.uow, [source])
        return _answer(source, Location=f"/v1/sources/{source.id}")

    return await call.once(201, register)


@router.get(
    "",
    response_model=SourcePage,
    responses={**PROBLEMS, **CSV_PAGE},
    summary="Search sources as a requesting state would",
    description="Active sources unless `status` says otherwise; newest first. With "
    "`format=csv`, the same page as a spreadsheet (the next page's link in `Link`).",
)
async def search_sources(
    request: Request,
    uow: UnitOfWorkDep,
    principal: PrincipalDep,
    names: NamesDep,
    params: Annotated[SearchParams, Depends()],
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    format: Format = "json",
) -> Any:
    where = params.filter(uow.network, clock.now().date())
    sources, next_cursor = await SourceRepository(uow).search(where, limit, cursor)
    page = SourcePage(items=[SourceOut.of(s, names) for s in sources], next_cursor=next_cursor)
    if format == "csv":
        lines = [SourceLine.of(item, names) for item in page.items]
        return csv_page(request, lines, SourceLine, names, next_cursor)
    return page


@router.get("/{source_id}", response_model=SourceOut, responses=PROBLEMS)
async def get_source(source_id: UUID, uow: UnitOfWorkDep, principal: PrincipalDep) -> Any:
    return _with_etag(await source_or_404(SourceRepository(uow), source_id))


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
        uow,
        principal,
        source_id,
        body.profile,
        body.donor,
        body.window_terms(),
        if_match,
        clock.now(),
    )
    return _with_etag(source)


def _status_route(action: str, change: Change, summary: str) -> None:
    """POST /v1/sources/{source_id}/<action>."""

    async def change_status(source_id: UUID, call: CallDep, if_match: IfMatch = None) -> Any:
        async def apply() -> Answer:
            source = await commands.change_status(
                call.uow, call.principal, source_id, change, if_match, clock.now()
            )
            return _answer(source)

        return await call.once(200, apply)

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
