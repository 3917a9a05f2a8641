"""The demo loader allocates once and answers once, however often it is loaded: the donors of the
smallest request of each funded state (here the Lao PDR's; Cambodia has none) accept, the other
proposals stand."""

from __future__ import annotations

import httpx

from services.matching import demo
from tests.integration.matching.conftest import NORWAY, SECRETARIAT, SWEDEN, seed
from tests.matching_factories import request_details, source, window
from tests.service_api import Api


async def test_loading_the_demo_twice_creates_nothing_new(api: Api) -> None:
    await seed(
        api,
        [request_details(), request_details(state="THA")],
        [source(window("900000.00")), source(window("900000.00"), donor="sweden")],
    )
    transport = api.client._transport
    async with httpx.AsyncClient(
        transport=transport, base_url=str(api.client.base_url), headers=api.headers_for(SECRETARIAT)
    ) as client:
        keys = {
            donor: api.headers_for(donor)["Authorization"].removeprefix("Bearer ")
            for donor in (NORWAY, SWEDEN)
        }
        first = await demo.load(client, keys)
        second = await demo.load(client, keys)

    mine = await api.client.get("/v1/proposals", headers=api.headers_for(NORWAY))
    every = await api.client.get("/v1/proposals", headers=api.headers_for(SECRETARIAT))
    assert first == second == len(every.json()) >= 2
    assert {p["donor"] for p in mine.json()} == {"norway"}
    statuses = {(p["state"], p["status"]) for p in every.json()}
    assert statuses == {("LAO", "accepted"), ("THA", "proposed")}
