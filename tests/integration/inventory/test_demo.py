"""The demo sources load through the API, and loading them again creates nothing new."""

from __future__ import annotations

from services.inventory import demo
from services.inventory.service import SERVICE as INVENTORY
from shared.principal import Principal
from tests.database import fetch
from tests.integration.inventory.conftest import EVERYONE, SECRETARIAT
from tests.service_api import in_process_api
from tests.system import Environment


async def test_the_demo_loads_once_however_often_it_is_loaded(environment: Environment) -> None:
    # the demo's regional banks focus on the default network's centres, not the tests' two
    donors = tuple(Principal.for_donor(donor) for donor in demo.DONORS)  # as the demo issues
    api = in_process_api(
        INVENTORY, environment, (*EVERYONE, *donors), workers=False, regional_centres_file=None
    )
    async for service in api:
        service.client.headers.update(service.headers_for(SECRETARIAT))
        first = await demo.load(service.client, {})
        second = await demo.load(service.client, {})
        victim_assistance = await service.client.get(
            "/v1/sources",
            params={
                "convention": "APMBC",
                "area": "victim-assistance",
                "assistance_type": "financial",
                "limit": 200,
            },
        )
        for_nigeria = await service.client.get(
            "/v1/sources", params={"convention": "Stockholm", "eligible_for": "NGA", "limit": 200}
        )

    rows = await fetch(environment.database_url, "SELECT count(*) AS n FROM inventory.sources")
    assert first == second == len(demo.SOURCES) == rows[0]["n"]
    assert sorted(s["home_country"] for s in victim_assistance.json()["items"]) == [
        "AUT",
        "BEL",
        "CAN",
        "FRA",  # the indicators do not break its support down by area
        "NOR",
        "NZL",
    ]
    assert "African Development Bank" in {s["name"] for s in for_nigeria.json()["items"]}
    assert "Asian Development Bank" not in {s["name"] for s in for_nigeria.json()["items"]}
