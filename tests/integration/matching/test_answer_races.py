"""Donors' answers and re-allocations write the same matches: donors accept and decline their
proposals while the secretariat re-allocates everything and the allocator runs what the answers
queued, all at once. Every call gets a definite answer (never a 500), an accepted proposal stays
accepted, and no request or window is given more than it has."""

from __future__ import annotations

import asyncio
from collections import Counter
from decimal import Decimal
from typing import Any

from shared.events.requests import Amount
from tests.database import fetch
from tests.integration.matching.conftest import NORWAY, SECRETARIAT, SWEDEN, seed
from tests.matching_factories import request_details, source, window
from tests.service_api import Api
from tests.system import Environment

REQUESTS = 16
NEED = Decimal("100000.00")
CAPACITY = Decimal("900000.00")  # each; together, more than the need, less than twice it
REALLOCATIONS = 6
DONORS = {"norway": NORWAY, "sweden": SWEDEN}
LIVE = ("proposed", "accepted")


async def answer(api: Api, proposal: dict[str, Any], number: int) -> tuple[str, int]:
    """Every other proposal accepted, the rest declined, by the donor it is for."""
    action = "accept" if number % 2 == 0 else "decline"
    body = {} if action == "accept" else {"reason": "outside our priorities"}
    response = await api.client.post(
        f"/v1/proposals/{proposal['id']}/{action}",
        json=body,
        headers=api.headers_for(DONORS[proposal["donor"]]),
    )
    return action, response.status_code


async def reallocate(api: Api) -> int:
    response = await api.client.post("/v1/allocations", headers=api.headers_for(SECRETARIAT))
    return response.status_code


async def test_answers_and_reallocations_never_collide(
    live_api: Api, environment: Environment
) -> None:
    amount = Amount(value=NEED, currency="USD")
    await seed(
        live_api,
        [request_details(amount=amount) for _ in range(REQUESTS)],
        [source(window(str(CAPACITY))), source(window(str(CAPACITY)), donor="sweden")],
    )
    assert await reallocate(live_api) == 200
    listed = await live_api.client.get(
        "/v1/proposals", params={"status": "proposed"}, headers=live_api.headers_for(SECRETARIAT)
    )
    proposals = listed.json()

    answers, allocations = await asyncio.gather(
        asyncio.gather(*(answer(live_api, p, n) for n, p in enumerate(proposals))),
        asyncio.gather(*(reallocate(live_api) for _ in range(REALLOCATIONS))),
    )

    matches = await fetch(
        environment.database_url,
        "SELECT id::text AS id, request_id, window_id, amount, status FROM matching.matches",
    )
    status = {m["id"]: m["status"] for m in matches}
    accepted = [
        p["id"]
        for p, (action, code) in zip(proposals, answers, strict=True)
        if action == "accept" and code == 200
    ]
    given: Counter[Any] = Counter()
    taken: Counter[Any] = Counter()
    for m in matches:
        if m["status"] in LIVE:
            given[m["request_id"]] += m["amount"]
            taken[m["window_id"]] += m["amount"]

    assert len(proposals) >= REQUESTS
    assert {code for _, code in answers} <= {200, 409}, answers
    assert set(allocations) == {200}, allocations
    assert accepted
    assert {status[i] for i in accepted} == {"accepted"}
    assert max(given.values()) <= NEED
    assert max(taken.values()) <= CAPACITY
