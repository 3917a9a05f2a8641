"""Webhook deliveries, signed the Standard Webhooks way, retried, and paused when they keep failing.

Each delivery has one id, sent as `webhook-id` on every attempt, so a receiver that got an attempt
whose answer was lost can tell the retry is a repeat. `webhook-timestamp` is the attempt's time and
`webhook-signature` the HMAC-SHA256 of `id.timestamp.body` under each valid secret of the
subscription (the new one and, for a while after a rotation, the old one), computed by the
`standardwebhooks` library.

A failed attempt (no answer within the timeout, a refused connection, or any status but 2xx) is
retried after an exponential backoff with full jitter. A subscription whose attempts fail
`webhook_pause_after_failures` times in a row is paused: its waiting deliveries are held, its owner
and the operators are told, and the owner replays them once the receiver is fixed. A delivery that
fails `webhook_max_attempts` times is given up (and can be replayed too).

Deliveries are rows queued in the same transaction as their notification, so none is lost; any
copy of the service may send them: a sender leases the rows it works on.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import ipaddress
import json
import logging
import random
import secrets
import socket
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID, uuid4

import httpx
from sqlalchemy import func, select
from standardwebhooks.webhooks import Webhook

from services.notifications.domain import OPERATOR, SUBSCRIPTION_PAUSED, Notice, Severity
from services.notifications.repository import DELIVERY_CHANNEL, FeedRepository
from services.notifications.store import AttemptRow, EventRow, NotificationRow, SubscriptionRow
from services.notifications.webhook_repository import (
    DELIVERED,
    FAILED,
    PAUSED,
    PENDING,
    DeliveryRepository,
    Outgoing,
    SubscriptionRepository,
)
from shared.db import asyncpg_dsn, listen
from shared.runtime import Resources, service_settings
from services.notifications.settings import NotificationsSettings
from services.notifications.metrics import WEBHOOK_DELIVERIES, WEBHOOK_DURATION

log = logging.getLogger(__name__)
BATCH = 50
SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def webhook_id(delivery_id: UUID) -> str:
    return f"msg_{delivery_id.hex}"


def signed_headers(message_id: str, body: str, keys: list[str], at: datetime) -> dict[str, str]:
    signatures = " ".join(Webhook(key).sign(message_id, at, body) for key in keys)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signatures,
        "content-type": "application/json",
    }


def body_of(notification: NotificationRow, event: EventRow | None) -> str:
    """The JSON a receiver gets: the same bytes on every attempt of a delivery."""
    document: dict[str, Any] = {
        "type": notification.kind,
        "timestamp": notification.occurred_at.isoformat(),
        "data": {
            "notification_id": notification.id,
            "audience": notification.audience,
            "severity": notification.severity,
            "summary": notification.summary,
            "subject": notification.subject,
            "state": notification.state,
            "region": notification.region,
            "request_id": str(notification.request_id) if notification.request_id else None,
            "event": None
            if event is None
            else {
                "id": str(event.event_id),
                "type": event.type,
                "source": event.source,
                "time": event.occurred_at.isoformat(),
                "data": event.data,
            },
        },
    }
    return json.dumps(document, separators=(",", ":"), sort_keys=True)


async def refused_address(url: str, allow_private: bool) -> str | None:
    """Why a webhook may not be sent to `url`, or None when it may.

    Only http and https, to a host that does not resolve to a loopback, private, link-local or
    otherwise non-public address (unless the settings allow them, as tests must). A host that
    does not resolve yet is accepted: each attempt checks again before it connects.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return "only http and https URLs are accepted"
    if not parts.hostname:
        return "the URL has no host"
    if allow_private:
        return None
    for address in await _addresses(parts.hostname):
        if not address.is_global:
            return f"{parts.hostname} is {address}, a loopback or private address"
    return None


async def _addresses(host: str) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    with contextlib.suppress(ValueError):
        return [ipaddress.ip_address(host)]
    try:
        found = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError:
        return []
    return [ipaddress.ip_address(info[4][0]) for info in found]


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str | None
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    @property
    def kind(self) -> str:
        """The metric's outcome: delivered, rejected (an answer but not 2xx), or unreachable."""
        if self.ok:
            return "delivered"
        return "unreachable" if self.status_code is None else "rejected"


def backoff(attempt: int, base: float, cap: float, rng: random.Random) -> float:
    """Exponential backoff with full jitter: anywhere up to base·2^(attempt-1), at most `cap`."""
    return rng.uniform(0, min(cap, base * 2 ** (attempt - 1)))


class WebhookSender:
    """Sends due deliveries, records every attempt, retries, pauses failing subscriptions."""

    def __init__(self, resources: Resources, rng: random.Random | None = None) -> None:
        settings = service_settings(resources, NotificationsSettings)
        self.resources = resources
        self.settings = settings
        self.rng = rng or random.Random()
        self.lease = timedelta(seconds=settings.webhook_timeout_seconds + 30)
        self._wakeup = asyncio.Event()

    async def run(self) -> None:
        dsn = asyncpg_dsn(self.settings.service_database_url)
        listener = asyncio.create_task(listen(dsn, DELIVERY_CHANNEL, self._wakeup.set))
        try:
            async with httpx.AsyncClient(
                timeout=self.settings.webhook_timeout_seconds, follow_redirects=False
            ) as client:
                while True:
                    while await self.send_due(client) == BATCH:
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
        async with self.resources.sessions.begin() as session:
            claimed = await DeliveryRepository(session).claim_due(
                datetime.now(UTC), self.lease, BATCH
            )
        await asyncio.gather(*(self._attempt(client, delivery_id) for delivery_id in claimed))
        return len(claimed)

    async def _attempt(self, client: httpx.AsyncClient, delivery_id: UUID) -> None:
        async with self.resources.sessions() as session:
            outgoing = await DeliveryRepository(session).outgoing(delivery_id, datetime.now(UTC))
        if outgoing is None or outgoing.delivery.status != PENDING:
            return
        outcome = await self._post(client, outgoing)
        WEBHOOK_DELIVERIES.labels("notifications", outcome.kind).inc()
        if outcome.status_code is not None:
            WEBHOOK_DURATION.labels("notifications").observe(outcome.duration_ms / 1000)
        await self._record(delivery_id, outcome)

    async def _post(self, client: httpx.AsyncClient, outgoing: Outgoing) -> Outcome:
        started = time.monotonic()
        url = outgoing.subscription.url
        refused = await refused_address(url, self.settings.webhook_allow_private_addresses)
        if refused is not None:
            return Outcome(None, refused, 0)
        body = body_of(outgoing.notification, outgoing.event)
        headers = signed_headers(
            webhook_id(outgoing.delivery.id), body, outgoing.secrets, datetime.now(UTC)
        )
        try:
            response = await client.post(url, content=body.encode(), headers=headers)
        except httpx.HTTPError as error:
            elapsed = int((time.monotonic() - started) * 1000)
            return Outcome(None, f"{type(error).__name__}: {error}"[:500], elapsed)
        elapsed = int((time.monotonic() - started) * 1000)
        failure = None if response.is_success else f"answered {response.status_code}"
        return Outcome(response.status_code, failure, elapsed)

    async def _record(self, delivery_id: UUID, outcome: Outcome) -> None:
        now = datetime.now(UTC)
        async with self.resources.sessions.begin() as session:
            deliveries = DeliveryRepository(session)
            locked = await deliveries.locked(delivery_id)
            if locked is None:
                return  # the subscription was removed meanwhile
            delivery, subscription = locked
            number = await session.scalar(
                select(func.count()).where(AttemptRow.delivery_id == delivery_id)  # type: ignore[arg-type]
            )
            deliveries.add_attempt(
                AttemptRow(
                    delivery_id=delivery_id,
                    number=(number or 0) + 1,
                    at=now,
                    status_code=outcome.status_code,
                    error=outcome.error,
                    duration_ms=outcome.duration_ms,
                )
            )
            delivery.attempts += 1
            delivery.lease_until = None
            if outcome.ok:
                delivery.status, delivery.delivered_at, delivery.last_error = DELIVERED, now, None
                subscription.consecutive_failures = 0
                return
            delivery.last_error = outcome.error
            subscription.consecutive_failures += 1
            if subscription.status == PAUSED:
                delivery.status = PAUSED
            elif subscription.consecutive_failures >= self.settings.webhook_pause_after_failures:
                await SubscriptionRepository(session).pause(subscription, now)
                delivery.status = PAUSED
                await FeedRepository(session).add(
                    _paused_notices(subscription, outcome), uuid4(), now
                )
            elif delivery.attempts >= self.settings.webhook_max_attempts:
                delivery.status = FAILED
            else:
                delay = backoff(
                    delivery.attempts,
                    self.settings.webhook_backoff_seconds,
                    self.settings.webhook_backoff_max_seconds,
                    self.rng,
                )
                delivery.next_attempt_at = now + timedelta(seconds=delay)


def _paused_notices(subscription: SubscriptionRow, outcome: Outcome) -> list[Notice]:
    summary = (
        f"Webhook to {subscription.url} paused after {subscription.consecutive_failures} failed "
        f"attempts in a row (last: {outcome.error}); replay it once the receiver is fixed"
    )
    return [
        Notice(audience, SUBSCRIPTION_PAUSED, Severity.WARNING, summary, str(subscription.id))
        for audience in sorted({subscription.audience, OPERATOR})
    ]
