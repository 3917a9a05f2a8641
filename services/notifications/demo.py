"""Demo data: the secretariat's webhooks, registered through the service's own API.

Two subscriptions of the secretariat, as its own systems would register them: its case system
hears of every request that waits on the secretariat (an endorsement to publish, a submission no
centre reviews), and its duty inbox gets the alerts. Their URLs use the reserved `.invalid` domain,
so on a demo machine every attempt fails, and after `NOTIFICATIONS_WEBHOOK_PAUSE_AFTER_FAILURES`
failures in a row the subscription is paused and the feed says so: the pause and replay can be
seen without any receiver. Point them at a real receiver with a new registration.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from shared.principal import Principal

SUBSCRIPTIONS: list[tuple[str, dict[str, Any]]] = [
    (
        "demo-webhook-secretariat-case-system",
        {
            "url": "https://cases.secretariat.invalid/clearinghouse/webhooks",
            "types": ["request.endorsed", "request.submitted", "request.expired"],
            "min_severity": "warning",
            "description": "Secretariat case system: requests waiting on the secretariat",
        },
    ),
    (
        "demo-webhook-duty-inbox-alerts",
        {
            "url": "https://duty-inbox.secretariat.invalid/hooks/alerts",
            "types": ["alert.deadline-near", "alert.unmatched", "alert.state-waiting"],
            "description": "Duty inbox: alerts on deadlines and neglected requests",
        },
    ),
]


async def load(client: httpx.AsyncClient, keys: Mapping[Principal, str]) -> int:
    """Register the demo subscriptions; loading twice replays the first answers."""
    for key, body in SUBSCRIPTIONS:
        response = await client.post(
            "/v1/subscriptions", json=body, headers={"Idempotency-Key": key}
        )
        response.raise_for_status()
    return len(SUBSCRIPTIONS)
