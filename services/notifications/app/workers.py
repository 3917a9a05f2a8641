"""The service's workers: the alert sweep, the webhook sender, and the signal of the live feed.

The live feed sends notifications as they are committed, to any number of streams, resumable.
A stream remembers the last id it sent and asks for the rows after it. Ids become visible in
increasing order (see `adapters.repository`), so "after the last id" misses nothing and repeats
nothing, across reconnections too: a client that comes back with `Last-Event-ID` continues where
it was. One LISTEN connection per process wakes every open stream when notifications are
committed; streams also look on their own every `stream_poll_seconds`, so a lost NOTIFY, or a
process that runs the API without its workers, only delays them.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from uuid import UUID

import httpx

from services.notifications.adapters.repository import (
    DELIVERY_CHANNEL,
    FEED_CHANNEL,
    FeedFilter,
    FeedReader,
)
from services.notifications.adapters.tables import NotificationRow
from services.notifications.adapters.webhook_client import post
from services.notifications.app.commands import (
    claim_deliveries,
    outgoing,
    record_attempt,
    sweep_alerts,
)
from services.notifications.domain.alerts import Thresholds
from services.notifications.domain.policy import Scope
from services.notifications.domain.webhooks import RetryRules
from services.notifications.metrics import WEBHOOK_DELIVERIES, WEBHOOK_DURATION
from services.notifications.settings import NotificationsSettings
from shared import clock
from shared.db import asyncpg_dsn, listen
from shared.runtime import Resources, Worker, service_settings

FEED_BATCH = 200
DELIVERY_BATCH = 50


class AlertSweep:
    """Raises the alerts that became due and clears those resolved, once a minute.

    Any copy of the service may sweep; an advisory lock makes the sweeps take turns, and the
    alerts table allows one standing alert per kind and subject.
    """

    def __init__(self, resources: Resources) -> None:
        self.resources = resources
        settings = service_settings(resources, NotificationsSettings)
        self.interval_seconds = settings.alert_sweep_seconds
        self.thresholds = Thresholds(
            deadline_days=settings.alert_deadline_days,
            unmatched_days=settings.alert_unmatched_days,
            waiting_states=settings.alert_waiting_states,
            waiting_min_days=settings.alert_waiting_min_days,
        )

    async def run(self) -> None:
        while True:
            await self.sweep(clock.now())
            await asyncio.sleep(self.interval_seconds)

    async def sweep(self, now: datetime) -> tuple[int, int]:
        """Returns how many alerts were raised and how many cleared."""
        async with self.resources.unit_of_work() as uow:
            return await sweep_alerts(uow, self.thresholds, now)


class WebhookSender:
    """Sends due deliveries, records every attempt, retries, pauses failing subscriptions."""

    def __init__(self, resources: Resources, rng: random.Random | None = None) -> None:
        settings = service_settings(resources, NotificationsSettings)
        self.resources = resources
        self.settings = settings
        self.rng = rng or random.Random()
        self.lease = timedelta(seconds=settings.webhook_timeout_seconds + 30)
        self.rules = RetryRules(
            max_attempts=settings.webhook_max_attempts,
            pause_after_failures=settings.webhook_pause_after_failures,
            backoff_seconds=settings.webhook_backoff_seconds,
            backoff_max_seconds=settings.webhook_backoff_max_seconds,
        )
        self._wakeup = asyncio.Event()

    async def run(self) -> None:
        dsn = asyncpg_dsn(self.settings.service_database_url)
        listener = asyncio.create_task(listen(dsn, DELIVERY_CHANNEL, self._wakeup.set))
        try:
            async with httpx.AsyncClient(
                timeout=self.settings.webhook_timeout_seconds, follow_redirects=False
            ) as client:
                while True:
                    while await self.send_due(client) == DELIVERY_BATCH:
                        pass
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(
                            self._wakeup.wait(), self.settings.webhook_poll_seconds
                        )
                    self._wakeup.clear()
        finally:
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listener

    async def send_due(self, client: httpx.AsyncClient) -> int:
        """One batch of due deliveries, sent concurrently; returns how many were attempted."""
        async with self.resources.unit_of_work() as uow:
            claimed = await claim_deliveries(uow, clock.now(), self.lease, DELIVERY_BATCH)
        await asyncio.gather(*(self._attempt(client, delivery_id) for delivery_id in claimed))
        return len(claimed)

    async def _attempt(self, client: httpx.AsyncClient, delivery_id: UUID) -> None:
        """Read what to send, send it with no transaction open, then record what came of it."""
        async with self.resources.unit_of_work() as uow:
            found = await outgoing(uow, delivery_id, clock.now())
        if found is None:
            return
        outcome = await post(client, found, self.settings.webhook_allow_private_addresses)
        WEBHOOK_DELIVERIES.labels("notifications", outcome.kind).inc()
        if outcome.status_code is not None:
            WEBHOOK_DURATION.labels("notifications").observe(outcome.duration_ms / 1000)
        async with self.resources.unit_of_work() as uow:
            await record_attempt(uow, delivery_id, outcome, self.rules, self.rng, clock.now())


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
    """Every notification in scope and filter after id `after`, as it is committed, for ever.

    Each look is a read of its own (`resources.sessions`): no transaction stays open between."""
    signal = signal_of(resources)
    while True:
        changed = signal.waiter() if signal else asyncio.Event()
        async with resources.sessions() as session:
            rows = await FeedReader(session).after(scope, where, after, FEED_BATCH)
        for row in rows:
            yield row
            after = row.id or after
        if len(rows) < FEED_BATCH:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), poll_seconds)


def workers(resources: Resources) -> list[Worker]:
    return [AlertSweep(resources), WebhookSender(resources), FeedSignal(resources)]
