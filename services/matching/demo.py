"""Demo data for `make run`: matching owns no input of its own (requests and sources reach it as
events from the other services' demos), so its demo is one full allocation over them, asked for
through its own API with a fixed Idempotency-Key: loading twice allocates once."""

from __future__ import annotations

import httpx

ALLOCATION_KEY = "demo-allocation-v1"


async def load(client: httpx.AsyncClient) -> int:
    """Allocate once; returns how many proposals stand (created now or found from before)."""
    allocated = await client.post("/v1/allocations", headers={"Idempotency-Key": ALLOCATION_KEY})
    allocated.raise_for_status()
    standing = await client.get("/v1/proposals", params={"status": "proposed", "limit": 500})
    standing.raise_for_status()
    return len(standing.json())
