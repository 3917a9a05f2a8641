"""The events the service takes in, the one handler that turns them into notifications, and the
alert sweep.

Every event of the other services goes the same way, in the consumer's transaction: the read
models learn from it, it is kept as it came (a request's journey), and its notifications are
stored with their webhook deliveries queued. The inbox makes all of that happen once per event.
"""

from __future__ import annotations

import asyncio
import zlib
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.notifications import feed, webhooks
from services.notifications.alerts import Alert, Thresholds, due_alerts
from services.notifications.domain import (
    ALERT_CLEARED,
    OPERATOR,
    SECRETARIAT,
    Notice,
    Severity,
    national,
    regional,
)
from services.notifications.notices import Known, notices_for, request_id_of
from services.notifications.repository import (
    AlertRepository,
    EventRepository,
    FeedRepository,
    ViewRepository,
)
from services.notifications.store import AlertRow
from shared.consumer import Handler
from shared.events import ALL_PAYLOADS, Envelope, EventPayload
from shared.events import access as acc
from shared.events import inventory as inv
from shared.events import requests as req
from shared.runtime import Resources, Subscription, Worker, service_settings
from services.notifications.settings import NotificationsSettings
from shared.topics import Stream

ALERT_LOCK = zlib.crc32(b"notifications:alerts")


async def _known(views: ViewRepository, payload: EventPayload) -> Known:
    """The read models' facts about what an event names only by id."""
    request_id = request_id_of(payload)
    request = await views.request_facts(request_id) if request_id else None
    source_id = getattr(payload, "source_id", None)
    source = await views.source(source_id) if isinstance(source_id, UUID) else None
    return Known(
        request=request,
        source_donor=source.donor if source else None,
        source_name=source.name if source else None,
    )


async def take_in(session: AsyncSession, envelope: Envelope[Any]) -> None:
    """Learn from one event, keep it, and store the notifications it yields."""
    payload = envelope.payload
    views = ViewRepository(session)
    if isinstance(payload, req.RequestEvent):
        await views.record_request(payload, envelope.time)
    if isinstance(payload, inv.SourceChanged):
        s = payload.source
        await views.record_source(s.source_id, s.version, s.name, s.donor)
    await EventRepository(session).add(envelope, request_id_of(payload))
    notices = notices_for(payload, await _known(views, payload))
    await FeedRepository(session).add(notices, envelope.id, envelope.time)


FEED_HANDLERS: dict[type[EventPayload], Handler] = {
    payload: take_in for payload in ALL_PAYLOADS if payload not in acc.PAYLOADS
}


def subscriptions(resources: Resources) -> list[Subscription]:
    """One consumer group reads every tier it needs: all request events are on the national
    topic; matches, funds and sources on the global one."""
    return [
        Subscription(
            name="feed",
            handlers=FEED_HANDLERS,
            topics=lambda topics: [
                topics.national(Stream.REQUESTS),
                topics.global_(Stream.MATCHES),
                topics.global_(Stream.FUNDS),
                topics.global_(Stream.SOURCES),
            ],
        )
    ]


def alert_notices(alert: AlertRow, *, cleared: bool) -> list[Notice]:
    """An alert is told to its state, its centre, the secretariat and the operators."""
    audiences = [national(alert.state), SECRETARIAT, OPERATOR]
    if alert.region:
        audiences.append(regional(alert.region))
    return [
        Notice(
            audience,
            ALERT_CLEARED if cleared else alert.kind,
            Severity.INFO if cleared else Severity(alert.severity),
            f"Cleared: {alert.summary}" if cleared else alert.summary,
            alert.subject,
            alert.state,
            alert.region,
            alert.request_id,
        )
        for audience in audiences
    ]


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
            await self.sweep(datetime.now(UTC))
            await asyncio.sleep(self.interval_seconds)

    async def sweep(self, now: datetime) -> tuple[int, int]:
        """Returns how many alerts were raised and how many cleared."""
        async with self.resources.sessions.begin() as session:
            await session.execute(select(func.pg_advisory_xact_lock(ALERT_LOCK)))
            due = due_alerts(await ViewRepository(session).requests(), now, self.thresholds)
            alerts = AlertRepository(session)
            standing = {(a.kind, a.subject): a for a in await alerts.standing()}
            for key in due.keys() - standing.keys():
                await self._raise(session, due[key], now)
            for key in standing.keys() - due.keys():
                await self._clear(session, standing[key], now)
        return len(due.keys() - standing.keys()), len(standing.keys() - due.keys())

    async def _raise(self, session: AsyncSession, alert: Alert, now: datetime) -> None:
        alert_id = await AlertRepository(session).raise_(alert, now)
        row = await session.get(AlertRow, alert_id)
        assert row is not None
        await FeedRepository(session).add(alert_notices(row, cleared=False), alert_id, now)

    async def _clear(self, session: AsyncSession, alert: AlertRow, now: datetime) -> None:
        await AlertRepository(session).clear(alert.id, now)
        await FeedRepository(session).add(alert_notices(alert, cleared=True), uuid4(), now)


def workers(resources: Resources) -> list[Worker]:
    return [AlertSweep(resources), webhooks.WebhookSender(resources), feed.FeedSignal(resources)]
