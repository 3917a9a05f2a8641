"""The country coalitions' use cases: propose one, members joining and leaving, the lead, the
dialogue log, closing, and the summary of who gives what. Each works in the caller's unit of work
and never commits it; the unit of work publishes what the coalition recorded when it commits.

Every change queues the state's open requests for the allocator, since the coalition's members
are preferred for them (`domain/scoring.py`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from services.matching.adapters.coalitions import CoalitionRepository
from services.matching.adapters.repository import LIVE, AllocationQueue, MatchRepository, ReadModel
from services.matching.domain import policy
from services.matching.domain.coalition_summary import (
    LEDGER_KINDS,
    Given,
    Summary,
    coalition_requests,
    summarise,
)
from services.matching.domain.coalitions import Coalition, DialogueEntry, MemberKind
from services.matching.domain.model import MATCHABLE_REQUESTS
from shared.errors import Forbidden, NotFound
from shared.principal import Principal
from shared.unit_of_work import UnitOfWork

Change = Callable[[Coalition], object]
"""What a command does to the coalition, once it may."""


@dataclass(frozen=True)
class Permission:
    """Who may make a change: the policy's rule, its name and whom it admits, for a refusal."""

    allows: Callable[[Coalition], bool]
    rule: str
    who: str


async def propose(
    uow: UnitOfWork,
    principal: Principal,
    *,
    state: str | None,
    convention: str,
    areas: list[str],
    title: str,
    members: list[tuple[str, MemberKind]],
    lead: str | None,
    now: datetime,
) -> Coalition:
    if not policy.may_propose_coalition(principal, state or ""):
        raise Forbidden(
            f"{principal.label} may not propose a coalition around {state}: the secretariat or "
            "the state's own focal point does.",
            rule="coalition-proposer",
        )
    centre = uow.network.centre_of(state) if state else None
    coalition = Coalition.propose(
        state=state,
        regional_centre=centre.id if centre else None,
        convention=convention,
        areas=areas,
        title=title,
        members=members,
        lead=lead,
        actor=principal.label,
        now=now,
    )
    await CoalitionRepository(uow).add(coalition)
    await _queue_state(uow, coalition)
    return coalition


async def visible(uow: UnitOfWork, principal: Principal, coalition_id: UUID) -> Coalition:
    """The coalition, if the principal may see it; else as if it did not exist."""
    coalition = await CoalitionRepository(uow).get(coalition_id)
    if coalition is None or not policy.can_see_country_coalition(principal, coalition):
        raise NotFound(f"No coalition {coalition_id}.")
    return coalition


async def listed(uow: UnitOfWork, principal: Principal, state: str | None) -> list[Coalition]:
    where = {"state": state} if state else {}
    return policy.visible_coalitions(principal, await CoalitionRepository(uow).listed(**where))


async def _changed(
    uow: UnitOfWork,
    principal: Principal,
    coalition_id: UUID,
    may: Permission,
    change: Change,
) -> Coalition:
    """Load the coalition for a change, check the principal may make it, make it, store it."""
    repository = CoalitionRepository(uow)
    coalition = await repository.get(coalition_id, for_update=True)
    if coalition is None or not (
        policy.can_see_country_coalition(principal, coalition) or may.allows(coalition)
    ):  # a party joining for itself finds the coalition it is not yet part of
        raise NotFound(f"No coalition {coalition_id}.")
    if not may.allows(coalition):
        raise Forbidden(f"{principal.label} may not do that: {may.who} may.", rule=may.rule)
    change(coalition)
    await repository.save(coalition)
    await _queue_state(uow, coalition)
    return coalition


def _membership(principal: Principal, party: str) -> Permission:
    """Who may add or remove `party`."""
    return Permission(
        lambda c: policy.may_change_membership(principal, c, party),
        "coalition-membership",
        "a party for itself, the secretariat or the coalition's state",
    )


async def join(
    uow: UnitOfWork,
    principal: Principal,
    coalition_id: UUID,
    party: str,
    kind: MemberKind,
    now: datetime,
) -> Coalition:
    return await _changed(
        uow,
        principal,
        coalition_id,
        _membership(principal, party),
        lambda c: c.join(party, kind, principal.label, now),
    )


async def leave(
    uow: UnitOfWork, principal: Principal, coalition_id: UUID, party: str, now: datetime
) -> Coalition:
    return await _changed(
        uow,
        principal,
        coalition_id,
        _membership(principal, party),
        lambda c: c.leave(party, principal.label, now),
    )


async def change_lead(
    uow: UnitOfWork, principal: Principal, coalition_id: UUID, party: str, now: datetime
) -> Coalition:
    return await _changed(
        uow,
        principal,
        coalition_id,
        Permission(
            lambda c: policy.may_change_lead(principal, c),
            "coalition-lead",
            "the secretariat, the coalition's state or its lead",
        ),
        lambda c: c.change_lead(party, principal.label, now),
    )


async def record_dialogue(
    uow: UnitOfWork,
    principal: Principal,
    coalition_id: UUID,
    entry: Callable[[], DialogueEntry],
    now: datetime,
) -> Coalition:
    """Add an entry to the dialogue log; `entry` builds it (checking its follow-ups) once the
    principal may record it."""
    return await _changed(
        uow,
        principal,
        coalition_id,
        Permission(
            lambda c: policy.may_record_dialogue(principal, c),
            "coalition-dialogue",
            "the secretariat, the coalition's state or its lead",
        ),
        lambda c: c.record_dialogue(entry(), now),
    )


async def close(
    uow: UnitOfWork, principal: Principal, coalition_id: UUID, reason: str | None, now: datetime
) -> Coalition:
    return await _changed(
        uow,
        principal,
        coalition_id,
        Permission(
            lambda c: policy.may_close_coalition(principal, c),
            "coalition-close",
            "the secretariat or the coalition's state",
        ),
        lambda c: c.close(principal.label, reason, now),
    )


async def summary(uow: UnitOfWork, coalition: Coalition) -> Summary:
    """Who gives the coalition's state what of its requests' need, and what is missing."""
    read_model = ReadModel(uow.session)
    requests = await read_model.requests_of_state(coalition.state, coalition.convention)
    ids = [r.request_id for r in coalition_requests(coalition, requests)]
    matches = await MatchRepository(uow).of_requests(ids, LIVE)
    entries = [e for e in await read_model.ledger_of_requests(ids) if e.kind in LEDGER_KINDS]
    sources = await read_model.sources({e.source_id for e in entries})
    ledger = [
        Given(
            sources[e.source_id].donor if e.source_id in sources else None,
            e.kind,
            e.amount,
            e.unit or e.currency or "",
        )
        for e in entries
    ]
    return summarise(coalition, requests, matches, ledger)


async def _queue_state(uow: UnitOfWork, coalition: Coalition) -> None:
    """The allocator looks again at the state's open requests under the coalition."""
    requests = await ReadModel(uow.session).requests_of_state(coalition.state, coalition.convention)
    await AllocationQueue(uow.session).add(
        "request",
        *(
            r.request_id
            for r in coalition_requests(coalition, requests)
            if r.status in MATCHABLE_REQUESTS
        ),
    )
