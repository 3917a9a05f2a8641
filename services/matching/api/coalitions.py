"""HTTP routes of the country coalitions: propose one, join and leave, the lead, the dialogue
log, closing; the coalitions each principal may see, and one coalition's summary. Parse, call a
use case, answer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query

from services.matching.api.coalition_schemas import (
    CloseIn,
    CoalitionIn,
    CoalitionSummaryOut,
    CountryCoalitionOut,
    DialogueIn,
    LeadIn,
    MemberIn,
)
from services.matching.app import coalitions as commands
from services.matching.domain.coalitions import Coalition
from shared import clock
from shared.auth import PrincipalDep
from shared.deps import Answer, Call, CallDep, UnitOfWorkDep
from shared.errors import Invalid
from shared.http import PROBLEMS

router = APIRouter(prefix="/v1", tags=["coalitions"])
ONE = "/coalitions/{coalition_id}"


async def _written(call: Call, status: int, write: Callable[[], Awaitable[Coalition]]) -> Any:
    """A change of a coalition, once per idempotency key, answered with the coalition."""

    async def apply() -> Answer:
        return Answer(CountryCoalitionOut.of(await write()))

    return await call.once(status, apply)


@router.post(
    "/coalitions",
    status_code=201,
    response_model=CountryCoalitionOut,
    responses=PROBLEMS,
    summary="Propose a country coalition around a state (the secretariat or the state)",
)
async def propose(body: CoalitionIn, call: CallDep) -> Any:
    members = [(m.party or "", m.kind) for m in body.members]
    if any(not party for party, _ in members):
        raise Invalid("Name each member's party.", rule="member-party", field="members")
    return await _written(
        call,
        201,
        lambda: commands.propose(
            call.uow,
            call.principal,
            state=body.state,
            convention=body.convention,
            areas=body.areas,
            title=body.title,
            members=members,
            lead=body.lead,
            now=clock.now(),
        ),
    )


@router.get(
    "/coalitions",
    response_model=list[CountryCoalitionOut],
    responses=PROBLEMS,
    summary="The coalitions the caller may see: its state's, its region's, those it takes part in",
)
async def listed(
    uow: UnitOfWorkDep,
    principal: PrincipalDep,
    state: Annotated[str | None, Query(pattern=r"^[A-Z]{3}$")] = None,
) -> list[CountryCoalitionOut]:
    return [CountryCoalitionOut.of(c) for c in await commands.listed(uow, principal, state)]


@router.get(ONE, response_model=CountryCoalitionOut, responses=PROBLEMS)
async def get_coalition(
    coalition_id: UUID, uow: UnitOfWorkDep, principal: PrincipalDep
) -> CountryCoalitionOut:
    return CountryCoalitionOut.of(await commands.visible(uow, principal, coalition_id))


@router.get(
    f"{ONE}/summary",
    response_model=CoalitionSummaryOut,
    responses=PROBLEMS,
    summary="Who helps the state with what, and what is still missing",
)
async def summary(
    coalition_id: UUID, uow: UnitOfWorkDep, principal: PrincipalDep
) -> CoalitionSummaryOut:
    coalition = await commands.visible(uow, principal, coalition_id)
    return CoalitionSummaryOut.of(coalition, await commands.summary(uow, coalition))


@router.post(
    f"{ONE}/members",
    response_model=CountryCoalitionOut,
    responses=PROBLEMS,
    summary="Join (a party for itself), or add a member (the secretariat, the state)",
)
async def join(coalition_id: UUID, body: MemberIn, call: CallDep) -> Any:
    party = body.party or call.principal.party
    if party is None:
        raise Invalid("Name the party that joins.", rule="member-party", field="party")
    return await _written(
        call,
        200,
        lambda: commands.join(
            call.uow, call.principal, coalition_id, party, body.kind, clock.now()
        ),
    )


@router.post(
    f"{ONE}/members/{{party}}/leave",
    response_model=CountryCoalitionOut,
    responses=PROBLEMS,
    summary="Leave (a party for itself), or remove a member (the secretariat, the state)",
)
async def leave(coalition_id: UUID, party: str, call: CallDep) -> Any:
    return await _written(
        call,
        200,
        lambda: commands.leave(call.uow, call.principal, coalition_id, party, clock.now()),
    )


@router.post(
    f"{ONE}/lead",
    response_model=CountryCoalitionOut,
    responses=PROBLEMS,
    summary="Name the lead donor, one of the members (the secretariat, the state, the lead)",
)
async def change_lead(coalition_id: UUID, body: LeadIn, call: CallDep) -> Any:
    return await _written(
        call,
        200,
        lambda: commands.change_lead(
            call.uow, call.principal, coalition_id, body.party, clock.now()
        ),
    )


@router.post(
    f"{ONE}/dialogue",
    response_model=CountryCoalitionOut,
    responses=PROBLEMS,
    summary="Record a meeting, round table or field visit (the state, the lead, the secretariat)",
)
async def record_dialogue(coalition_id: UUID, body: DialogueIn, call: CallDep) -> Any:
    now = clock.now()
    return await _written(
        call,
        200,
        lambda: commands.record_dialogue(
            call.uow,
            call.principal,
            coalition_id,
            lambda: body.entry(call.principal.label, now),
            now,
        ),
    )


@router.post(
    f"{ONE}/close",
    response_model=CountryCoalitionOut,
    responses=PROBLEMS,
    summary="Close the coalition (the secretariat or the state)",
)
async def close(coalition_id: UUID, body: CloseIn, call: CallDep) -> Any:
    return await _written(
        call,
        200,
        lambda: commands.close(call.uow, call.principal, coalition_id, body.reason, clock.now()),
    )
