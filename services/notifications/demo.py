"""Demo data: the secretariat's webhooks and the facts states reported in seed 002, recorded
through the service's own API.

Two subscriptions of the secretariat, as its own systems would register them: its case system
hears of every request that waits on the secretariat (an endorsement to publish, a submission no
centre reviews), and its duty inbox gets the alerts. Their URLs use the reserved `.invalid` domain,
so on a demo machine every attempt fails, and after `NOTIFICATIONS_WEBHOOK_PAUSE_AFTER_FAILURES`
failures in a row the subscription is paused and the feed says so: the pause and replay can be
seen without any receiver. Point them at a real receiver with a new registration.

The state reports are the states seed 002's table of the Oslo Action Plan indicators names for
the facts only a state can report (national financial commitments, innovative financing, the
information on its needs, the individualised approach, an in-country platform for dialogue,
coordinating support, sharing practices), recorded by the secretariat on their word. The table is
of 2020; the reports are dated 30 April 2026 (the day Article 7 reports are due), as the
inventory demo's windows are open in 2025-2029, so that this year's indicator reports show them:
the date is illustrative. Seed 002 counts 9 states sharing practices and names 11; all 11 are
recorded.
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


REPORTED_ON = "2026-04-30"
STATE_REPORTS: dict[str, tuple[str, ...]] = {
    "national-financial-commitment": (
        *("AFG", "AGO", "BIH", "KHM", "HRV", "COL", "MRT", "NER", "SRB", "SEN", "SDN", "SSD"),
        *("TJK", "THA", "TUR", "GBR", "YEM", "ZWE"),
    ),
    "innovative-financing": ("AGO",),
    "needs-information": (
        *("AFG", "AGO", "BIH", "TCD", "COL", "IRQ", "MRT", "NER", "SEN", "SRB", "SOM", "SSD"),
        *("TJK", "THA", "UKR", "YEM", "ZWE"),
    ),
    "individualised-approach-follow-up": ("NER",),
    "dialogue-platform": ("AGO", "BIH", "TJK"),
    "coordinating-support": ("BEL", "CAN", "IRL", "NLD", "NZL", "GBR"),
    "sharing-practices": (
        *("AFG", "ARG", "BRN", "KHM", "HRV", "ECU", "EST", "LTU", "ESP", "THA", "TUR"),
    ),
}
"""Seed 002's states for each fact a state reports of itself, for the Mine Ban Convention."""


def state_reports() -> list[tuple[str, dict[str, Any]]]:
    """Each demo state report with its idempotency key."""
    return [
        (
            f"demo-state-report-{fact}-{state}",
            {
                "state": state,
                "convention": "APMBC",
                "fact": fact,
                "reported_on": REPORTED_ON,
                "note": "Oslo Action Plan indicators (seed 002)",
            },
        )
        for fact, states in STATE_REPORTS.items()
        for state in states
    ]


async def load(client: httpx.AsyncClient, keys: Mapping[Principal, str]) -> int:
    """Register the demo subscriptions and record the state reports, as the secretariat;
    loading twice replays the first answers."""
    writes = [
        *(("/v1/subscriptions", key, body) for key, body in SUBSCRIPTIONS),
        *(("/v1/state-reports", key, body) for key, body in state_reports()),
    ]
    for path, key, body in writes:
        response = await client.post(path, json=body, headers={"Idempotency-Key": key})
        response.raise_for_status()
    return len(writes)
