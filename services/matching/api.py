"""HTTP routes of matching: parse, authorise, call the domain, map errors to problems."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import JSONResponse

from services.matching import access, events
from services.matching.allocator import allocate, refresh_coverage
from services.matching.domain import COMMITTED, Match, MatchStatus, RuleViolation
from services.matching.rules import why_unmatched
from services.matching.schemas import (
    AllocationOut,
    CoalitionMember,
    CoalitionOut,
    DeclineIn,
    ProposalOut,
    UnmatchedOut,
)
from services.matching.store import LIVE, AllocationQueue, MatchRepository, ReadModel
from shared.auth import PrincipalDep, forbidden
from shared.http import Problem
from shared.idempotency import IdempotencyDep
from shared.runtime import ResourcesDep, SessionDep

router = APIRouter(prefix="/v1", tags=["matching"])
PROBLEMS: dict[int | str, dict[str, Any]] = {
    code: {"description": text, "content": {"application/problem+json": {}}}
    for code, text in {
        401: "No valid API key",
        403: "The caller may not do this",
        404: "No such proposal, request or source visible to the caller",
        409: "The proposal's state does not allow this now",
        422: "Invalid input; the problem names the field",
    }.items()
}
StatusFilter = Annotated[MatchStatus | None, Query(alias="status")]
Limit = Annotated[int, Query(ge=1, le=500)]


def _now() -> datetime:
    return datetime.now(UTC)


def _not_found(what: str, key: object) -> Problem:
    return Problem(404, f"{what.capitalize()} not found", f"No {what} {key}.", kind="not-found")


async def _listed(
    session: SessionDep, principal: Any, status: MatchStatus | None, limit: int, **where: Any
) -> list[ProposalOut]:
    """Proposals narrowed by column values, of those the caller may see."""
    matches = await MatchRepository(session).listed(status=status, limit=limit, **where)
    return [ProposalOut.of(m) for m in matches if access.can_see(principal, m)]


@router.get(
    "/proposals",
    response_model=list[ProposalOut],
    responses=PROBLEMS,
    summary="The caller's proposals: a donor's own, a state's, a region's, or all",
)
async def list_proposals(
    session: SessionDep, principal: PrincipalDep, status_: StatusFilter = None, limit: Limit = 200
) -> Any:
    where = access.scope(principal)
    if where is None:
        return []
    return await _listed(session, principal, status_, limit, **where)


@router.get("/proposals/{match_id}", response_model=ProposalOut, responses=PROBLEMS)
async def get_proposal(match_id: UUID, session: SessionDep, principal: PrincipalDep) -> Any:
    match = await MatchRepository(session).get(match_id)
    if match is None or not access.can_see(principal, match):
        raise _not_found("proposal", match_id)
    return ProposalOut.of(match)


@router.get(
    "/requests/{request_id}/proposals",
    response_model=list[ProposalOut],
    responses=PROBLEMS,
    summary="Proposals for one request, newest first",
)
async def proposals_of_request(
    request_id: UUID,
    session: SessionDep,
    principal: PrincipalDep,
    status_: StatusFilter = None,
    limit: Limit = 200,
) -> Any:
    return await _listed(session, principal, status_, limit, request_id=request_id)


@router.get(
    "/sources/{source_id}/proposals",
    response_model=list[ProposalOut],
    responses=PROBLEMS,
    summary="Proposals from one source (its donor, the secretariat, operators)",
)
async def proposals_of_source(
    source_id: UUID,
    session: SessionDep,
    principal: PrincipalDep,
    status_: StatusFilter = None,
    limit: Limit = 200,
) -> Any:
    source = await ReadModel(session).source(source_id)
    if source is None:
        raise _not_found("source", source_id)
    return await _listed(session, principal, status_, limit, source_id=source_id)


@router.get(
    "/states/{state}/proposals",
    response_model=list[ProposalOut],
    responses=PROBLEMS,
    summary="Proposals for one state's requests",
)
async def proposals_of_state(
    state: Annotated[str, Path(pattern=r"^[A-Z]{3}$", description="ISO 3166-1 alpha-3")],
    session: SessionDep,
    resources: ResourcesDep,
    principal: PrincipalDep,
    status_: StatusFilter = None,
    limit: Limit = 200,
) -> Any:
    if not access.can_see_state(principal, state, resources.network):
        raise forbidden(f"{principal.label} may not see the proposals of {state}.")
    return await _listed(session, principal, status_, limit, state=state)


@dataclass
class Answer:
    """What a donor's answer needs: the caller, the transaction, idempotency."""

    session: SessionDep
    resources: ResourcesDep
    principal: PrincipalDep
    idempotency: IdempotencyDep

    async def apply(self, match_id: UUID, change: Callable[[Match, str, datetime], None]) -> Any:
        """Load under a row lock, authorise, apply, store with its events, answer."""
        if (replay := await self.idempotency.replay()) is not None:
            return replay
        repository = MatchRepository(self.session)
        match = await repository.get(match_id, for_update=True)
        if match is None or not access.can_see(self.principal, match):
            raise _not_found("proposal", match_id)
        if not access.may_answer(self.principal, match):
            raise forbidden(f"{self.principal.label} does not answer for this source.")
        try:
            change(match, self.principal.label, _now())
        except RuleViolation as violation:
            raise Problem(
                409, "Not allowed now", str(violation), kind="proposal-state", rule=violation.rule
            ) from violation
        await repository.save(match)
        await events.publish(self.session, self.resources.outbox, self.resources.topics, match)
        await refresh_coverage(self.session, self.resources, match.request_id)
        if match.status is MatchStatus.DECLINED:  # another donor may take its place
            await AllocationQueue(self.session).add("request", match.request_id)
        body = ProposalOut.of(match)
        await self.idempotency.remember(200, body)
        return JSONResponse(body.model_dump(mode="json"))


AnswerDep = Annotated[Answer, Depends()]


@router.post(
    "/proposals/{match_id}/accept",
    response_model=ProposalOut,
    responses=PROBLEMS,
    summary="Accept a proposal of one of the caller's sources; the inventory then reserves it",
)
async def accept_proposal(match_id: UUID, answer: AnswerDep) -> Any:
    return await answer.apply(match_id, lambda m, who, now: m.accept(who, now))


@router.post(
    "/proposals/{match_id}/decline",
    response_model=ProposalOut,
    responses=PROBLEMS,
    summary="Decline a proposal; the request is re-allocated without this window",
)
async def decline_proposal(match_id: UUID, body: DeclineIn, answer: AnswerDep) -> Any:
    return await answer.apply(match_id, lambda m, who, now: m.decline(who, now, body.reason))


@router.get(
    "/requests/{request_id}/coalition",
    response_model=CoalitionOut,
    responses=PROBLEMS,
    summary="Who covers what of one request, and its lead donor",
)
async def coalition(
    request_id: UUID, session: SessionDep, resources: ResourcesDep, principal: PrincipalDep
) -> CoalitionOut:
    request = await ReadModel(session).request(request_id)
    if request is None or not access.can_see_coalition(principal, request.state, resources.network):
        raise _not_found("request", request_id)
    matches = await MatchRepository(session).of_requests([request_id], LIVE)
    matches.sort(key=lambda m: (m.status not in COMMITTED, -m.amount))

    def total(statuses: frozenset[MatchStatus]) -> Decimal:
        return sum((m.amount for m in matches if m.status in statuses), Decimal(0))

    committed = total(COMMITTED)
    asked = request.amount.value if request.amount else None
    lead = matches[0] if matches else None
    return CoalitionOut(
        request_id=request_id,
        state=request.state,
        title=request.title,
        asked=asked,
        currency=request.amount.currency if request.amount else None,
        committed=committed,
        reserved=total(frozenset({MatchStatus.RESERVED})),
        proposed=total(frozenset({MatchStatus.PROPOSED})),
        remaining=max(asked - committed, Decimal(0)) if asked is not None else None,
        lead_donor=lead.donor if lead else None,
        members=[
            CoalitionMember(
                donor=m.donor,
                source_id=m.source_id,
                match_id=m.id,
                amount=m.amount,
                status=m.status.value,
                lead=m is lead,
            )
            for m in matches
        ],
    )


@router.post(
    "/allocations",
    response_model=AllocationOut,
    responses=PROBLEMS,
    summary="Re-allocate every open request now (the secretariat)",
)
async def reallocate(
    session: SessionDep,
    resources: ResourcesDep,
    principal: PrincipalDep,
    idempotency: IdempotencyDep,
) -> Any:
    if not access.may_reallocate(principal):
        raise forbidden("Only the secretariat re-allocates.")
    if (replay := await idempotency.replay()) is not None:
        return replay
    plan = await allocate(session, resources, None, _now())
    return await idempotency.remember(200, AllocationOut.model_validate(plan.summary()))


@router.get(
    "/unmatched",
    response_model=list[UnmatchedOut],
    responses=PROBLEMS,
    summary="Open requests nothing is proposed for, longest waiting first, with the reason",
)
async def unmatched(
    session: SessionDep,
    resources: ResourcesDep,
    principal: PrincipalDep,
    state: Annotated[str | None, Query(pattern=r"^[A-Z]{3}$")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[UnmatchedOut]:
    now = _now()
    read_model = ReadModel(session)
    live = await MatchRepository(session).live()
    served = {m.request_id for m in live}
    waiting = [
        (details, published_at)
        for details, published_at in await read_model.open_requests(now.date())
        if details.request_id not in served
        and (state is None or details.state == state)
        and access.can_see_state(principal, details.state, resources.network)
    ]
    waiting.sort(key=lambda item: item[1])
    sources = await read_model.active_sources()
    answers = []
    for details, published_at in waiting[:limit]:
        reason, stopped = why_unmatched(details, sources, now.date(), resources.network)
        answers.append(
            UnmatchedOut(
                request_id=details.request_id,
                state=details.state,
                regional_centre=details.regional_centre,
                convention=details.convention,
                title=details.title,
                remaining=details.amount.value if details.amount else None,
                currency=details.amount.currency if details.amount else None,
                waiting_days=(now - published_at).days,
                reason=reason,
                windows_stopped_by=stopped,
            )
        )
    return answers
