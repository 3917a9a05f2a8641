"""HTTP routes: proposals as each principal may see them, answers to them, coalitions,
re-allocation and the unmatched requests. Parse, call a use case, answer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Query
from fastapi.types import DecoratedCallable

from services.matching.adapters.repository import (
    ENDED,
    LIVE,
    AllocationQueue,
    MatchRepository,
    ReadModel,
)
from services.matching.api.schemas import (
    AllocationOut,
    CoalitionMember,
    CoalitionOut,
    DeclineIn,
    DroppedMember,
    InKindCoverage,
    MissOut,
    ProposalOut,
    UnmatchedOut,
)
from services.matching.app import commands
from services.matching.app.commands import options_of
from services.matching.domain import policy
from services.matching.domain.model import COMMITTED, Match, MatchStatus
from services.matching.domain.rules import PENDING, Unmatched, why_unmatched
from services.matching.settings import MatchingSettings
from shared import clock
from shared.auth import PrincipalDep
from shared.deps import Answer, Call, CallDep, ResourcesDep, UnitOfWorkDep
from shared.errors import Forbidden, NotFound
from shared.events.requests import RequestDetails
from shared.http import PROBLEMS
from shared.principal import Principal
from shared.runtime import service_settings
from shared.unit_of_work import UnitOfWork
from shared.values import attributes

RESERVED = frozenset({MatchStatus.RESERVED})
PROPOSED = frozenset({MatchStatus.PROPOSED})
router = APIRouter(prefix="/v1", tags=["matching"])
StatusFilter = Annotated[MatchStatus | None, Query(alias="status")]
Limit = Annotated[int, Query(ge=1, le=500)]
Write = Callable[[], Awaitable[Answer]]


@dataclass(frozen=True)
class Listing:
    """What every list of proposals is asked with: who asks, in which unit of work, and the
    status and limit the caller chose."""

    uow: UnitOfWork
    principal: Principal
    status: MatchStatus | None
    limit: int

    async def proposals(
        self, any_of: Sequence[Mapping[str, Any]] = ({},), **where: Any
    ) -> list[ProposalOut]:
        """Proposals narrowed by column values (and by any one of the `any_of` sets of them),
        of those the caller may see."""
        matches = await MatchRepository(self.uow).listed(
            status=self.status, limit=self.limit, any_of=any_of, **where
        )
        return [ProposalOut.of(m) for m in matches if policy.can_see(self.principal, m)]


async def _listing(
    uow: UnitOfWorkDep, principal: PrincipalDep, status_: StatusFilter = None, limit: Limit = 200
) -> Listing:
    return Listing(uow, principal, status_, limit)


ListingDep = Annotated[Listing, Depends(_listing)]


def _proposals_list(path: str, summary: str) -> Callable[[DecoratedCallable], DecoratedCallable]:
    """A GET route answering a list of proposals (see `Listing`)."""
    return router.get(path, response_model=list[ProposalOut], responses=PROBLEMS, summary=summary)


@_proposals_list(
    "/proposals", "The caller's proposals: a donor's own, a state's, a region's, or all"
)
async def list_proposals(listing: ListingDep) -> Any:
    return await listing.proposals(any_of=policy.scope(listing.principal))


@router.get("/proposals/{match_id}", response_model=ProposalOut, responses=PROBLEMS)
async def get_proposal(match_id: UUID, uow: UnitOfWorkDep, principal: PrincipalDep) -> Any:
    match = await MatchRepository(uow).get(match_id)
    if match is None or not policy.can_see(principal, match):
        raise NotFound(f"No proposal {match_id}.")
    return ProposalOut.of(match)


@_proposals_list("/requests/{request_id}/proposals", "Proposals for one request, newest first")
async def proposals_of_request(request_id: UUID, listing: ListingDep) -> Any:
    return await listing.proposals(request_id=request_id)


@_proposals_list(
    "/sources/{source_id}/proposals",
    "Proposals from one source (its donor, the secretariat, operators)",
)
async def proposals_of_source(source_id: UUID, listing: ListingDep) -> Any:
    source = await ReadModel(listing.uow.session).source(source_id)
    if source is None:
        raise NotFound(f"No source {source_id}.")
    return await listing.proposals(source_id=source_id)


@_proposals_list("/states/{state}/proposals", "Proposals for one state's requests")
async def proposals_of_state(
    state: Annotated[str, Path(pattern=r"^[A-Z]{3}$", description="ISO 3166-1 alpha-3")],
    listing: ListingDep,
) -> Any:
    if not policy.can_see_state(listing.principal, state, listing.uow.network):
        raise Forbidden(f"{listing.principal.label} may not see the proposals of {state}.")
    return await listing.proposals(state=state)


def _decision(path: str, summary: str) -> Callable[[DecoratedCallable], DecoratedCallable]:
    """A POST route of a party's decision on a proposal, answered with the proposal."""
    return router.post(path, response_model=ProposalOut, responses=PROBLEMS, summary=summary)


def answering(call: Call, match_id: UUID, decide: commands.Decision) -> Write:
    """The write of a party's decision on a proposal, answered with the proposal."""

    async def apply() -> Answer:
        match = await commands.answer_proposal(
            call.uow, call.principal, match_id, decide, clock.now()
        )
        return Answer(ProposalOut.of(match))

    return apply


async def _decide(call: Call, match_id: UUID, decide: commands.Decision) -> Any:
    """A party's decision on a proposal, once per idempotency key."""
    return await call.once(200, answering(call, match_id, decide))


@_decision(
    "/proposals/{match_id}/accept",
    "Accept a proposal of one of the caller's sources; the inventory then reserves it",
)
async def accept_proposal(match_id: UUID, call: CallDep) -> Any:
    return await _decide(call, match_id, Match.accept)


@_decision(
    "/proposals/{match_id}/decline",
    "Decline a proposal; the request is re-allocated without this window",
)
async def decline_proposal(match_id: UUID, body: DeclineIn, call: CallDep) -> Any:
    return await _decide(call, match_id, declining(body.reason))


def declining(reason: str | None) -> commands.Decision:
    """A decline, with the party's reason."""

    def decline(match: Match, who: str, now: datetime) -> None:
        match.decline(who, now, reason)

    return decline


@router.get(
    "/requests/{request_id}/coalition",
    response_model=CoalitionOut,
    responses=PROBLEMS,
    summary="Who covers what of one request, and its lead donor",
)
async def coalition(request_id: UUID, uow: UnitOfWorkDep, principal: PrincipalDep) -> CoalitionOut:
    request = await ReadModel(uow.session).request(request_id)
    if request is None or not policy.can_see_coalition(principal, request.state, uow.network):
        raise NotFound(f"No request {request_id}.")
    return await coalition_of(uow, request)


async def coalition_of(uow: UnitOfWork, request: RequestDetails) -> CoalitionOut:
    """Who covers what of the request: its commitments, standing proposals and dropped members."""
    request_id = request.request_id
    repository = MatchRepository(uow)
    matches = await repository.of_requests([request_id], LIVE)
    matches.sort(key=lambda m: (m.status not in COMMITTED, m.unit is not None, -m.amount))
    ended = await repository.of_requests([request_id], ENDED)

    def total(statuses: frozenset[MatchStatus], unit: str | None = None) -> Decimal:
        given = (m.amount for m in matches if m.status in statuses and m.unit == unit)
        return sum(given, Decimal(0))

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
        reserved=total(RESERVED),
        proposed=total(PROPOSED),
        remaining=max(asked - committed, Decimal(0)) if asked is not None else None,
        in_kind=[
            InKindCoverage(
                unit=need.unit,
                asked=need.quantity,
                committed=total(COMMITTED, need.unit),
                reserved=total(RESERVED, need.unit),
                proposed=total(PROPOSED, need.unit),
                remaining=max(need.quantity - total(COMMITTED, need.unit), Decimal(0)),
            )
            for need in request.in_kind
        ],
        lead_donor=lead.donor if lead else None,
        members=[
            CoalitionMember(
                **attributes(
                    m,
                    CoalitionMember.model_fields,
                    match_id=m.id,
                    status=m.status.value,
                    lead=m is lead,
                )
            )
            for m in matches
        ],
        dropped=[DroppedMember.of(m) for m in dropped(ended, matches)],
    )


def dropped(ended: list[Match], members: list[Match]) -> list[Match]:
    """Each source's latest proposal for the request that no longer stands, newest first, for
    the sources that are not members of the coalition now."""
    staying = {m.source_id for m in members}
    latest: dict[UUID, Match] = {}
    for m in sorted(ended, key=lambda m: m.updated_at or m.created_at, reverse=True):
        if m.source_id not in staying:
            latest.setdefault(m.source_id, m)
    return list(latest.values())


@router.post(
    "/allocations",
    response_model=AllocationOut,
    responses=PROBLEMS,
    summary="Re-allocate every open request now (the secretariat)",
)
async def reallocate(call: CallDep, resources: ResourcesDep) -> Any:
    options = options_of(service_settings(resources, MatchingSettings), call.uow.network)

    async def allocate() -> Answer:
        plan = await commands.reallocate_everything(call.uow, call.principal, options, clock.now())
        return Answer(AllocationOut.model_validate(plan.summary()))

    return await call.once(200, allocate)


@router.get(
    "/unmatched",
    response_model=list[UnmatchedOut],
    responses=PROBLEMS,
    summary="Open requests nothing is proposed for, longest waiting first, with the reason",
)
async def unmatched(
    uow: UnitOfWorkDep,
    principal: PrincipalDep,
    state: Annotated[str | None, Query(pattern=r"^[A-Z]{3}$")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[UnmatchedOut]:
    now = clock.now()
    read_model = ReadModel(uow.session)
    live = await MatchRepository(uow).live()
    served = {m.request_id for m in live}
    pending = await AllocationQueue(uow.session).queued_requests()
    waiting = [
        (details, published_at)
        for details, published_at in await read_model.open_requests(now.date())
        if details.request_id not in served
        and (state is None or details.state == state)
        and policy.can_see_state(principal, details.state, uow.network)
    ]
    waiting.sort(key=lambda item: item[1])
    sources = await commands.answerable_sources(uow)
    answers = []
    for details, published_at in waiting[:limit]:
        why = (
            Unmatched(PENDING, [], {})
            if details.request_id in pending
            else why_unmatched(details, sources, now.date(), uow.network)
        )
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
                reason=why.reason,
                nearest=[
                    MissOut.model_validate(miss, from_attributes=True) for miss in why.nearest
                ],
                windows_stopped_by=why.stopped,
            )
        )
    return answers
