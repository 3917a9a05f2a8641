"""Sending one webhook attempt over HTTP, and the address check made before every connection.

The body is the same bytes on every attempt of a delivery; the headers are signed anew each time
(`domain.webhooks`). A receiver's answer, or the failure to get one, becomes an `Outcome`.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import socket
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from services.notifications.adapters.tables import EventRow, NotificationRow
from services.notifications.adapters.webhook_repository import Outgoing
from services.notifications.domain.webhooks import Outcome, signed_headers, webhook_id


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


RESOLVE_SECONDS = 2.0
"""How long a registration waits for the host's addresses: where no DNS answers, it goes on as
for a host that does not resolve yet."""


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
        async with asyncio.timeout(RESOLVE_SECONDS):
            loop = asyncio.get_running_loop()
            found = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (OSError, TimeoutError):
        return []
    return [ipaddress.ip_address(info[4][0]) for info in found]


async def post(client: httpx.AsyncClient, outgoing: Outgoing, allow_private: bool) -> Outcome:
    """One attempt at a delivery: checked, signed, sent; what came back, or what went wrong."""
    started = time.monotonic()
    url = outgoing.subscription.url
    refused = await refused_address(url, allow_private)
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
