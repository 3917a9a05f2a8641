"""The live feed: notifications as they are committed, to any number of streams, resumable.

A stream remembers the last id it sent and asks for the rows after it. Ids become visible in
increasing order (see `repository`), so "after the last id" misses nothing and repeats nothing,
across reconnections too: a client that comes back with `Last-Event-ID` continues where it was.

One LISTEN connection per process wakes every open stream when notifications are committed;
streams also look on their own every `stream_poll_seconds`, so a lost NOTIFY, or a process that
runs the API without its workers, only delays them.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from services.notifications.access import Scope
from services.notifications.repository import FEED_CHANNEL, FeedFilter, FeedRepository
from services.notifications.store import NotificationRow
from shared.db import asyncpg_dsn, listen
from shared.runtime import Resources

BATCH = 200


class FeedSignal:
    """Wakes the streams of this process when new notifications are committed."""

    def __init__(self, resources: Resources) -> None:
        self.dsn = asyncpg_dsn(resources.settings.service_database_url)
        self._changed = asyncio.Event()

    def waiter(self) -> asyncio.Event:
        """Take this before looking for rows, wait on it after: no wake-up falls in between."""
        return self._changed

    def _wake(self) -> None:
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    async def run(self) -> None:
        await listen(self.dsn, FEED_CHANNEL, self._wake)


def signal_of(resources: Resources) -> FeedSignal | None:
    return next((w for w in resources.workers if isinstance(w, FeedSignal)), None)


async def follow(
    resources: Resources, scope: Scope, where: FeedFilter, after: int, poll_seconds: float
) -> AsyncIterator[NotificationRow]:
    """Every notification in scope and filter after id `after`, as it is committed, for ever."""
    signal = signal_of(resources)
    while True:
        changed = signal.waiter() if signal else asyncio.Event()
        async with resources.sessions() as session:
            rows = await FeedRepository(session).after(scope, where, after, BATCH)
        for row in rows:
            yield row
            after = row.id or after
        if len(rows) < BATCH:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), poll_seconds)
