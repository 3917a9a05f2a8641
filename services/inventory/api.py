"""HTTP routes for sources: parse, authorise, call the domain, map errors to problems."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Query, Response, status
from fastapi.responses import JSONResponse

from services.inventory.access import donor_for_new_source, may_manage
from services.inventory.domain import Profile, RuleViolation, Source
from services.inventory.events import save_and_publish
from services.inventory.schemas import SearchParams, SourceIn, SourceOut, SourcePage, VersionOut
from services.inventory.store import SourceRepository
from shared.auth import PrincipalDep, forbidden
from shared.principal import Principal, Role
from shared.geography import RegionalNetwork
from shared.http import Problem, check_if_match, etag, problem_responses
from shared.idempotency import IdempotencyDep
from shared.runtime import ResourcesDep, SessionDep

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
CONFLICTS = frozenset(
    {
        "source-closed",
        "source-not-active",
        "not-active",
        "not-paused",
        "window-in-use",
        "capacity-below-use",
        "capacity-exceeded",
        "exceeds-commitment",
        "below-disbursed",
        "correction-below-zero",
        "not-held",
    }
)


def now() -> datetime:
    return datetime.now(UTC)


def refused(violation: RuleViolation) -> Problem:
    """409 when the source's state or ledger stands in the way, 422 when the input is wrong."""
    if violation.rule in CONFLICTS:
        return Problem(409, "Not allowed now", str(violation), kind="conflict", rule=violation.rule)
    field = f"body.{violation.field}" if violation.field else None
    return Problem(
        422, "Invalid request", str(violation), kind="validation", rule=violation.rule, field=field
    )


async def load(repository: SourceRepository, source_id: UUID, *, lock: bool = False) -> Source:
    source = await repository.get(source_id, for_update=lock)
    if source is None:
        raise Problem(404, "Source not found", f"No source {source_id}.", kind="not-found")
    return source


def authorise(principal: Principal, *profiles: Profile) -> None:
    """The caller must manage the source as it is and as it would become."""
    if not all(may_manage(principal, profile) for profile in profiles):
        raise forbidden(f"{principal.label} may not manage this source.")


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
    session: SessionDep,
    resources: ResourcesDep,
    principal: PrincipalDep,
    idempotency: IdempotencyDep,
) -> Any:
    if (replay := await idempotency.replay()) is not None:
        return replay
    _check_centres(body, resources.network)
    profile = body.profile(donor_for_new_source(principal, body.donor))
    authorise(principal, profile)
    try:
        source = Source.register(profile, body.window_terms(), principal.label, now())
    except RuleViolation as violation:
        raise refused(violation) from violation
    await save_and_publish(session, resources, source, new=True)
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
    session: SessionDep,
    resources: ResourcesDep,
    params: Annotated[SearchParams, Depends()],
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> SourcePage:
    where = params.filter(resources.network, now().date())
    sources, next_cursor = await SourceRepository(session).search(where, limit, cursor)
    return SourcePage(items=[SourceOut.of(s) for s in sources], next_cursor=next_cursor)


@router.get("/{source_id}", response_model=SourceOut, responses=PROBLEMS)
async def get_source(source_id: UUID, session: SessionDep, principal: PrincipalDep) -> Any:
    return _answer(await load(SourceRepository(session), source_id))


@router.get(
    "/{source_id}/history",
    response_model=list[VersionOut],
    responses=PROBLEMS,
    summary="Every version of the source: who changed what, when",
)
async def get_history(
    source_id: UUID, session: SessionDep, principal: PrincipalDep
) -> list[VersionOut]:
    repository = SourceRepository(session)
    await load(repository, source_id)
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
    session: SessionDep,
    resources: ResourcesDep,
    principal: PrincipalDep,
    if_match: IfMatch = None,
) -> Any:
    source = await load(SourceRepository(session), source_id, lock=True)
    keep_donor = principal.role is not Role.SECRETARIAT and body.donor is None
    profile = body.profile(source.profile.donor if keep_donor else body.donor)
    authorise(principal, source.profile, profile)
    check_if_match(source.version, if_match, required=True, what="source")
    _check_centres(body, resources.network)
    try:
        source.update(profile, body.window_terms(), principal.label, now())
    except RuleViolation as violation:
        raise refused(violation) from violation
    await save_and_publish(session, resources, source)
    return _answer(source)


Change = Callable[[Source, str, datetime], None]


@dataclass
class StatusChange:
    """What pausing, resuming and closing need: the caller, the transaction, idempotency."""

    session: SessionDep
    resources: ResourcesDep
    principal: PrincipalDep
    idempotency: IdempotencyDep
    if_match: IfMatch = None

    async def apply(self, source_id: UUID, change: Change) -> Any:
        if (replay := await self.idempotency.replay()) is not None:
            return replay
        source = await load(SourceRepository(self.session), source_id, lock=True)
        authorise(self.principal, source.profile)
        check_if_match(source.version, self.if_match, required=False, what="source")
        try:
            change(source, self.principal.label, now())
        except RuleViolation as violation:
            raise refused(violation) from violation
        await save_and_publish(self.session, self.resources, source)
        await self.idempotency.remember(200, SourceOut.of(source))
        return _answer(source)


StatusChangeDep = Annotated[StatusChange, Depends()]


def _status_route(action: str, change: Change, summary: str) -> None:
    """POST /v1/sources/{source_id}/<action>."""

    async def change_status(source_id: UUID, status_change: StatusChangeDep) -> Any:
        return await status_change.apply(source_id, change)

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
