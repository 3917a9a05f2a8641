"""Runs allocation against the database: load the picture, plan, store the proposals and their
events, all in the caller's transaction.

Only one run at a time, across every copy of the service: a run holds a transaction-scoped
advisory lock, and locks the live matches it may withdraw, so a donor's acceptance either
happens before the run reads the match or waits and then finds it withdrawn.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import zlib
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.matching import events, planner, scoring
from services.matching.domain import COMMITTED, OpenRequest, next_coverage
from services.matching.store import QUEUE_CHANNEL, AllocationQueue, MatchRepository, ReadModel
from shared.db import asyncpg_dsn, listen
from shared.runtime import Resources
from services.matching.settings import MatchingSettings
from services.matching.metrics import ALLOCATION_DURATION

log = logging.getLogger(__name__)
ALLOCATION_LOCK = zlib.crc32(b"matching:allocation")
MIN_GAP_SECONDS = 0.2


def options_of(resources: Resources) -> planner.Options:
    settings = resources.settings
    assert isinstance(settings, MatchingSettings)
    return planner.Options(
        network=resources.network,
        weights=scoring.Weights.of(settings),
        per_request=settings.candidates_per_request,
        proposal_ttl=timedelta(days=settings.proposal_ttl_days),
        time_limit=settings.allocation_time_limit_seconds,
    )


async def load_snapshot(session: AsyncSession, now: datetime) -> planner.Snapshot:
    """Open requests with what is still missing, active sources, live matches (locked)."""
    read_model = ReadModel(session)
    matches = await MatchRepository(session).live(lock=True)
    committed: dict[UUID, Decimal] = defaultdict(Decimal)
    has_commitment: set[UUID] = set()
    for m in matches:
        if m.status in COMMITTED:
            committed[m.request_id] += m.amount
            has_commitment.add(m.request_id)
    requests = []
    for details, published_at in await read_model.open_requests(now.date()):
        if details.amount is not None:
            remaining = max(details.amount.value - committed[details.request_id], Decimal(0))
        else:  # in kind: one donor is enough
            remaining = Decimal(0 if details.request_id in has_commitment else 1)
        requests.append(OpenRequest(details, published_at, remaining))
    open_ids = {r.request_id for r in requests}
    return planner.Snapshot(
        requests=requests,
        sources=await read_model.active_sources(),
        matches=[m for m in matches if m.request_id in open_ids],
        refused=await MatchRepository(session).refused_pairs(),
    )


async def allocate(
    session: AsyncSession, resources: Resources, scope: frozenset[UUID] | None, now: datetime
) -> planner.Plan:
    """One run: every open request when `scope` is None, else the requests in it (and the
    hungry ones). Stores the withdrawals and proposals and puts their events in the outbox."""
    await session.execute(select(func.pg_advisory_xact_lock(ALLOCATION_LOCK)))
    run = "full" if scope is None else "incremental"
    with ALLOCATION_DURATION.labels(run).time():  # from holding the lock to the flushed outbox
        snapshot = await load_snapshot(session, now)
        plan = planner.plan(snapshot, scope, options_of(resources), now)
        repository = MatchRepository(session)
        for match in plan.withdrawals:
            await repository.save(match)
            await events.publish(session, resources.outbox, resources.topics, match)
        for match in plan.proposals:
            await repository.add(match)
            await events.publish(session, resources.outbox, resources.topics, match)
    log.info("allocation (%s): %s", run, plan.summary())
    return plan


async def allocate_queued(session: AsyncSession, resources: Resources, now: datetime) -> bool:
    """An incremental run for what events queued; False when nothing was queued."""
    await session.execute(select(func.pg_advisory_xact_lock(ALLOCATION_LOCK)))
    # Live matches before the queue: a donor's answer locks its match and then queues its
    # request, so taking the locks in the same order keeps the two from deadlocking.
    live = await MatchRepository(session).live(lock=True)
    queued = await AllocationQueue(session).take()
    if not queued:
        return False
    scope = set(queued.get("request", set()))
    sources = queued.get("source", set())
    scope |= {m.request_id for m in live if m.source_id in sources}
    await allocate(session, resources, frozenset(scope), now)
    return True


async def refresh_coverage(session: AsyncSession, resources: Resources, request_id: UUID) -> None:
    """Announce the request's coverage if its commitments changed what it reports."""
    request = await ReadModel(session).request(request_id)
    if request is None:
        log.warning("coverage of unknown request %s not announced", request_id)
        return
    repository = MatchRepository(session)
    matches = await repository.of_requests([request_id], COMMITTED)
    coverage = next_coverage(await repository.coverage(request_id), request, matches)
    if coverage is not None:
        await repository.set_coverage(coverage)
        await events.publish_coverage(
            session, resources.outbox, resources.topics, coverage, request.regional_centre
        )


async def expire_proposals(session: AsyncSession, resources: Resources, now: datetime) -> int:
    """Expire unanswered proposals past their time and queue their requests."""
    repository = MatchRepository(session)
    expired = 0
    for match_id in await repository.due_to_expire(now):
        match = await repository.get(match_id, for_update=True)
        if match is not None and match.expire_if_due(now):
            await repository.save(match)
            await events.publish(session, resources.outbox, resources.topics, match)
            await AllocationQueue(session).add("request", match.request_id)
            expired += 1
    return expired


class AllocatorWorker:
    """Runs the queued incremental updates, expires proposals, and re-allocates everything on a
    timer. Its work is in the database (the queue), so a crash loses nothing."""

    def __init__(self, resources: Resources) -> None:
        settings = resources.settings
        assert isinstance(settings, MatchingSettings)
        self.resources = resources
        self.poll_seconds = settings.allocation_poll_seconds
        self.full_every = timedelta(seconds=settings.full_reallocation_seconds)
        self.last_full: datetime | None = None
        self.dsn = asyncpg_dsn(settings.service_database_url)
        self._wakeup = asyncio.Event()

    async def run(self) -> None:
        """A step soon after something is queued (a NOTIFY at the queuing commit), and at least
        every `poll_seconds`, for expiries, the full re-allocation and a lost notification.

        Steps are at least `MIN_GAP_SECONDS` apart, so a burst of changes is taken in one run:
        a run reads the whole open picture, and one per event would cost more than it saves.
        """
        listener = asyncio.create_task(listen(self.dsn, QUEUE_CHANNEL, self._wakeup.set))
        try:
            while True:
                self._wakeup.clear()
                await self.step(datetime.now(UTC))
                await asyncio.sleep(min(MIN_GAP_SECONDS, self.poll_seconds))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wakeup.wait(), self.poll_seconds)
        finally:
            listener.cancel()

    async def step(self, now: datetime) -> dict[str, Any]:
        sessions = self.resources.sessions
        async with sessions.begin() as session:
            expired = await expire_proposals(session, self.resources, now)
        if self.last_full is None or now - self.last_full >= self.full_every:
            async with sessions.begin() as session:
                await allocate(session, self.resources, None, now)
                await AllocationQueue(session).take()  # a full run covered what was queued
            self.last_full = now
            return {"expired": expired, "run": "full"}
        async with sessions.begin() as session:
            ran = await allocate_queued(session, self.resources, now)
        return {"expired": expired, "run": "incremental" if ran else None}


def workers(resources: Resources) -> list[AllocatorWorker]:
    return [AllocatorWorker(resources)]
