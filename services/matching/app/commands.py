"""The matching service's use cases: allocation against the database, a party's answer to a
proposal, the inventory's answers, coverage. Each works in the caller's unit of work and never
commits it; the unit of work publishes what the matches recorded when it commits.

Only one allocation runs at a time, across every copy of the service: a run holds a
transaction-scoped advisory lock, and locks the live matches it may withdraw, so a donor's
acceptance either happens before the run reads the match or waits and then finds it withdrawn.
"""

from __future__ import annotations

import logging
import zlib
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from uuid import UUID

from anyio import to_thread
from sqlalchemy import func, select

from services.matching.adapters.coalitions import CoalitionRepository
from services.matching.adapters.repository import AllocationQueue, MatchRepository, ReadModel
from services.matching.adapters.tables import TABLES
from services.matching.domain import planner, policy, steadiness
from services.matching.domain.coalitions import Coalition
from services.matching.domain.model import (
    COMMITTED,
    MATCHABLE_REQUESTS,
    Match,
    MatchStatus,
    committed_by_unit,
    next_coverage,
    open_needs,
)
from services.matching.metrics import ALLOCATION_DURATION
from services.matching.settings import MatchingSettings
from shared.auth import parties_with_keys, party_of_key
from shared.errors import Forbidden, NotFound
from shared.events.inventory import SourceDetails
from shared.events.requests import RequestDetails
from shared.geography import RegionalNetwork
from shared.principal import Principal
from shared.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)
ALLOCATION_LOCK = zlib.crc32(b"matching:allocation")

Decision = Callable[[Match, str, datetime], None]
"""A party's decision on a proposal (accept, decline), given who decides and when."""


def options_of(settings: MatchingSettings, network: RegionalNetwork) -> planner.Options:
    """How allocation runs, from the service's settings."""
    return planner.Options(
        network=network,
        weights=settings.weights,
        per_request=settings.candidates_per_request,
        proposal_ttl=timedelta(days=settings.proposal_ttl_days),
        time_limit=settings.allocation_time_limit_seconds,
        steady=steadiness.Steadiness(settings.steady_share, settings.steady_amount),
    )


async def load_snapshot(
    uow: UnitOfWork, now: datetime, live: list[Match] | None = None
) -> planner.Snapshot:
    """Open requests, one per need with what is still missing of it, active sources, live
    matches (locked, or `live` when the caller locked them already), the standing coalitions."""
    read_model = ReadModel(uow.session)
    repository = MatchRepository(uow)
    matches = await repository.live(lock=True) if live is None else live
    by_request: dict[UUID, list[Match]] = defaultdict(list)
    for m in matches:
        by_request[m.request_id].append(m)
    requests = [
        need
        for details, published_at in await read_model.open_requests(now.date())
        for need in open_needs(
            details, published_at, committed_by_unit(by_request[details.request_id])
        )
    ]
    open_ids = {r.request_id for r in requests}
    coalitions: dict[str, list[Coalition]] = defaultdict(list)
    for coalition in await CoalitionRepository(uow).standing():
        coalitions[coalition.state].append(coalition)
    return planner.Snapshot(
        requests=requests,
        sources=await answerable_sources(uow),
        matches=[m for m in matches if m.request_id in open_ids],
        refused=await repository.refused_pairs(),
        coalitions=coalitions,
    )


async def answerable_sources(uow: UnitOfWork) -> list[SourceDetails]:
    """The active sources someone can answer for: only these are proposed."""
    parties = await parties_with_keys(uow.session, TABLES.api_keys)
    sources = await ReadModel(uow.session).active_sources()
    return [s for s in sources if policy.answerable(s, parties)]


async def allocate(
    uow: UnitOfWork,
    options: planner.Options,
    scope: frozenset[UUID] | None,
    now: datetime,
    live: list[Match] | None = None,
    freed: frozenset[UUID] = frozenset(),
) -> planner.Plan:
    """One run: every open request when `scope` is None, else the requests in it and the
    hungry ones that what they let go, or the `freed` sources and windows, can give something.
    Stores the withdrawals and proposals; the unit of work tells them."""
    await uow.session.execute(select(func.pg_advisory_xact_lock(ALLOCATION_LOCK)))
    run = "full" if scope is None else "incremental"
    with ALLOCATION_DURATION.labels(run).time():  # from holding the lock to the stored matches
        snapshot = await load_snapshot(uow, now, live)
        # In a worker thread: a full run of a large picture takes seconds the API keeps answering.
        plan = await to_thread.run_sync(planner.plan, snapshot, scope, options, now, freed)
        repository = MatchRepository(uow)
        for match in plan.withdrawals:
            await repository.save(match)
        for match in plan.proposals:
            await repository.add(match)
    log.info("allocation (%s): %s", run, plan.summary())
    return plan


async def allocate_queued(uow: UnitOfWork, options: planner.Options, now: datetime) -> bool:
    """An incremental run for what events queued; False when nothing was queued."""
    queue = AllocationQueue(uow.session)
    if await queue.is_empty():
        return False
    await uow.session.execute(select(func.pg_advisory_xact_lock(ALLOCATION_LOCK)))
    # Live matches before the queue: a donor's answer locks its match and then queues its
    # request, so taking the locks in the same order keeps the two from deadlocking.
    live = await MatchRepository(uow).live(lock=True)
    queued = await queue.take()
    if not queued:
        return False
    scope = set(queued.get("request", set()))
    sources = queued.get("source", set())
    scope |= {m.request_id for m in live if m.source_id in sources}
    freed = frozenset(sources | queued.get("window", set()))
    await allocate(uow, options, frozenset(scope), now, live, freed)
    return True


async def reallocate_everything(
    uow: UnitOfWork, principal: Principal, options: planner.Options, now: datetime
) -> planner.Plan:
    """The secretariat's full re-allocation, now."""
    if not policy.may_reallocate(principal):
        raise Forbidden("Only the secretariat re-allocates.")
    return await allocate(uow, options, None, now)


async def refresh_coverage(uow: UnitOfWork, request_id: UUID) -> None:
    """Announce the request's coverage if its commitments changed what it reports."""
    request = await ReadModel(uow.session).request(request_id)
    if request is None:
        log.warning("coverage of unknown request %s not announced", request_id)
        return
    repository = MatchRepository(uow)
    matches = await repository.of_requests([request_id], COMMITTED)
    coverage = next_coverage(await repository.coverage(request_id), request, matches)
    if coverage is not None:
        await repository.set_coverage(coverage, request.regional_centre)


async def expire_proposals(uow: UnitOfWork, now: datetime) -> int:
    """Expire unanswered proposals past their time and queue their requests."""
    repository = MatchRepository(uow)
    expired = 0
    for match_id in await repository.due_to_expire(now):
        match = await repository.get(match_id, for_update=True)
        if match is not None and match.expire_if_due(now):
            await repository.save(match)
            await _queue_freed(uow, match)
            expired += 1
    return expired


async def answer_proposal(
    uow: UnitOfWork, principal: Principal, match_id: UUID, decide: Decision, now: datetime
) -> Match:
    """The answer of the party that answers for the proposal's source."""
    repository = MatchRepository(uow)
    match = await repository.get(match_id, for_update=True)
    if match is None or not policy.can_see(principal, match):
        raise NotFound(f"No proposal {match_id}.")
    if not policy.may_answer(principal, match):
        raise Forbidden(f"{principal.label} does not answer for this source.")
    decide(match, principal.label, now)
    await repository.save(match)
    await refresh_coverage(uow, match.request_id)
    if match.status is MatchStatus.DECLINED:  # another donor may take its place
        await _queue_freed(uow, match)
    return match


async def _queue_freed(uow: UnitOfWork, *ended: Match) -> None:
    """Queue the requests of matches that ended and the windows whose capacity they free, so
    that the next run re-allocates the requests and offers the freed room to hungry ones."""
    queue = AllocationQueue(uow.session)
    await queue.add("request", *(m.request_id for m in ended))
    await queue.add("window", *(m.window_id for m in ended))


async def request_changed(uow: UnitOfWork, request: RequestDetails, seen_at: datetime) -> None:
    """Keep the read model; withdraw the proposals of a request that closed; queue it when a run
    has something to do: it can be matched, or the windows it was proposed are free again.

    A draft's submission and endorsement queue nothing, so they do not hold the allocator busy
    just before the publication it must answer at once."""
    if not await ReadModel(uow.session).record_request(request, seen_at):
        return  # an older version than we have: nothing to do
    if request.status in MATCHABLE_REQUESTS:
        await AllocationQueue(uow.session).add("request", request.request_id)
    elif withdrawn := await _withdraw_proposals(uow, request, seen_at):
        await _queue_freed(uow, *withdrawn)


async def _withdraw_proposals(
    uow: UnitOfWork, request: RequestDetails, at: datetime
) -> list[Match]:
    """Withdraw the open proposals of a request no longer matchable."""
    repository = MatchRepository(uow)
    live = await repository.of_requests([request.request_id], [MatchStatus.PROPOSED], lock=True)
    for match in live:
        match.withdraw(steadiness.request_closed(request.status), at)
        await repository.save(match)
    return live


async def key_changed(uow: UnitOfWork, key_id: str) -> None:
    """A donor's key issued or revoked can give its sources a party to answer them, or take the
    last one away: the allocator looks at those sources again now, not at the next full run."""
    donor = await party_of_key(uow.session, TABLES.api_keys, key_id)
    if donor is None:
        return
    sources = [
        s.source_id for s in await ReadModel(uow.session).active_sources() if s.donor == donor
    ]
    if sources:
        await AllocationQueue(uow.session).add("source", *sources)


async def source_changed(uow: UnitOfWork, source: SourceDetails) -> None:
    if await ReadModel(uow.session).record_source(source):
        await AllocationQueue(uow.session).add("source", source.source_id)


async def funds_answered(
    uow: UnitOfWork, match_id: UUID, apply: Callable[[Match], bool]
) -> Match | None:
    """The inventory's answer to an acceptance; a repeat or a stray answer changes nothing."""
    repository = MatchRepository(uow)
    match = await repository.get(match_id, for_update=True)
    if match is None or not apply(match):
        log.info("inventory answer for match %s changes nothing", match_id)
        return None
    await repository.save(match)
    await refresh_coverage(uow, match.request_id)
    return match


async def funds_reserved(uow: UnitOfWork, match_id: UUID, amount: Decimal, at: datetime) -> None:
    await funds_answered(uow, match_id, lambda m: m.funds_reserved(amount, at))


async def reservation_failed(uow: UnitOfWork, match_id: UUID, reason: str, at: datetime) -> None:
    """The need is open again: the request is re-allocated without that window."""
    if match := await funds_answered(uow, match_id, lambda m: m.reservation_failed(reason, at)):
        await _queue_freed(uow, match)
