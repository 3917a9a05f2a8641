"""Demo data for `make run`, through matching's own API with fixed Idempotency-Keys (loading twice
changes nothing).

First two country coalitions (`coalitions.py`), so that the allocation prefers their members:
one under the CCM in South East Europe, one under the Mine Ban Convention's individualised
approach. Requests and sources reach matching as events from the other services' demos, so then
comes one full allocation over them, and two answers: the donors proposed for the Lao PDR's
smallest request, and for Cambodia's biosafety request, accept, each with its own key (the
secretariat for a source no donor answers for), so that the two requests go on to be funded
while the others' proposals stand."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import httpx

from services.matching.coalitions_demo import load_coalitions
from shared.principal import Principal

ALLOCATION_KEY = "demo-allocation-v1"
FUNDED_STATES = ("LAO", "KHM")
"""The states whose smallest request the demo's donors accept in full: the Lao PDR's (under the
CCM) and Cambodia's (its only one, under the Cartagena Protocol)."""


async def load(client: httpx.AsyncClient, keys: Mapping[Principal, str]) -> int:
    """Allocate once and accept one request's proposals; returns how many proposals were made
    (standing or accepted, created now or found from before)."""
    await load_coalitions(client, keys)
    allocated = await client.post("/v1/allocations", headers={"Idempotency-Key": ALLOCATION_KEY})
    allocated.raise_for_status()
    standing = await _proposals(client)
    accepted_now = [p for state in FUNDED_STATES for p in _smallest_request_of(standing, state)]
    for proposal in accepted_now:
        answering = Principal.for_donor(proposal["donor"]) if proposal["donor"] else None
        key = keys[answering or Principal.secretariat()]
        accepted = await client.post(
            f"/v1/proposals/{proposal['id']}/accept",
            headers={
                "Authorization": f"Bearer {key}",
                "Idempotency-Key": f"demo-accept-{proposal['id']}",
            },
        )
        accepted.raise_for_status()
    return sum([len(await _proposals(client, status)) for status in ("proposed", "accepted")])


async def _proposals(client: httpx.AsyncClient, status: str = "proposed") -> list[dict[str, Any]]:
    answer = await client.get("/v1/proposals", params={"status": status, "limit": 500})
    answer.raise_for_status()
    found: list[dict[str, Any]] = answer.json()
    return found


def _smallest_request_of(proposals: list[dict[str, Any]], state: str) -> list[dict[str, Any]]:
    """The proposals for the state's request that is proposed the least in all."""
    totals: dict[str, Decimal] = {}
    for p in proposals:
        if p["state"] == state:
            totals[p["request_id"]] = totals.get(p["request_id"], Decimal(0)) + Decimal(p["amount"])
    if not totals:
        return []
    smallest = min(totals, key=lambda request_id: (totals[request_id], request_id))
    return [p for p in proposals if p["request_id"] == smallest]
