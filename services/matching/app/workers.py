"""The allocator: runs the queued incremental updates, expires proposals, and re-allocates
everything on a timer. Its work is in the database (the queue), so a crash loses nothing."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime, timedelta
from typing import Any

from services.matching.adapters.repository import QUEUE_CHANNEL, AllocationQueue
from services.matching.app.commands import allocate, allocate_queued, expire_proposals, options_of
from services.matching.settings import MatchingSettings
from shared import clock
from shared.db import asyncpg_dsn, listen
from shared.runtime import Resources, service_settings

MAX_GAP_SECONDS = 0.2


class AllocatorWorker:
    """One step after another, each in units of work of its own (see `run`)."""

    def __init__(self, resources: Resources) -> None:
        settings = service_settings(resources, MatchingSettings)
        self.resources = resources
        self.options = options_of(settings, resources.network)
        self.poll_seconds = settings.allocation_poll_seconds
        self.full_every = timedelta(seconds=settings.full_reallocation_seconds)
        self.last_full: datetime | None = None
        self.dsn = asyncpg_dsn(settings.service_database_url)
        self._wakeup = asyncio.Event()

    async def run(self) -> None:
        """A step soon after something is queued (a NOTIFY at the queuing commit), and at least
        every `poll_seconds`, for expiries, the full re-allocation and a lost notification.

        After a step, the next waits as long as that one took (at most `MAX_GAP_SECONDS`): a
        light load is answered at once, and under a heavy one a burst of changes is taken in one
        run, so the allocator takes at most about half of a core: a run reads the whole open
        picture, and one per event would cost more than it saves.
        """
        listener = asyncio.create_task(listen(self.dsn, QUEUE_CHANNEL, self._wakeup.set))
        loop = asyncio.get_running_loop()
        try:
            while True:
                self._wakeup.clear()
                started = loop.time()
                await self.step(clock.now())
                gap = min(loop.time() - started, MAX_GAP_SECONDS, self.poll_seconds)
                await asyncio.sleep(gap)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wakeup.wait(), self.poll_seconds)
        finally:
            listener.cancel()

    async def step(self, now: datetime) -> dict[str, Any]:
        unit_of_work = self.resources.unit_of_work
        async with unit_of_work() as uow:
            expired = await expire_proposals(uow, now)
        if self.last_full is None or now - self.last_full >= self.full_every:
            async with unit_of_work() as uow:
                await allocate(uow, self.options, None, now)
                await AllocationQueue(uow.session).take()  # a full run covered what was queued
            self.last_full = now
            return {"expired": expired, "run": "full"}
        async with unit_of_work() as uow:
            ran = await allocate_queued(uow, self.options, now)
        return {"expired": expired, "run": "incremental" if ran else None}


def workers(resources: Resources) -> list[AllocatorWorker]:
    return [AllocatorWorker(resources)]
