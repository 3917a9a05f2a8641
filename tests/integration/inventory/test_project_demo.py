"""The demo's follow-up carries the funded request out as a project with the state's progress
report, once however often it runs."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from uuid import UUID, uuid4

from services.inventory import demo
from services.inventory.app.commands import reserve
from services.inventory.domain.ledger import Acceptance
from shared.principal import Principal
from tests.database import fetch
from tests.integration.inventory.conftest import LAO, NORWAY, SECRETARIAT
from tests.integration.inventory.flows import register
from tests.integration.inventory.test_projects import announce
from tests.inventory_factories import window_body
from tests.service_api import Api
from tests.system import Environment


async def reserve_for(api: Api, request_id: UUID) -> None:
    """Norway's acceptance of a match for the request, as the inventory hears of it."""
    window = window_body(opens="2025-01-01", closes="2029-12-31")
    source = await register(api, NORWAY, windows=[window])
    accepted = Acceptance(
        match_id=uuid4(),
        request_id=request_id,
        state="LAO",
        source_id=UUID(source["id"]),
        window_id=UUID(source["windows"][0]["id"]),
        amount=Decimal("100000.00"),
        currency="USD",
        accepted_by="donor:norway",
    )
    async with api.resources.unit_of_work() as uow:
        await reserve(uow, accepted, datetime.now(UTC))
    api.client.headers.update(api.headers_for(SECRETARIAT))


def state_keys(api: Api) -> dict[Principal, str]:
    return {LAO: api.headers_for(LAO)["Authorization"].removeprefix("Bearer ")}


async def test_the_follow_up_starts_the_funded_requests_project_and_files_its_report_once(
    api: Api, environment: Environment
) -> None:
    request_id = await announce(api)
    await reserve_for(api, request_id)
    keys = state_keys(api)

    assert await demo.follow_up(api.client, keys) == 4
    assert await demo.follow_up(api.client, keys) == 4

    [project] = (await api.client.get("/v1/projects")).json()
    shown = (await api.client.get(f"/v1/projects/{project['id']}")).json()
    assert shown["implementing_partner"] == "norway"
    assert [(s["amount"], s["covered"]) for s in shown["schedule"]] == [
        ("20000.00", True),
        ("80000.00", False),
    ]
    assert [r["filed_by"] for r in shown["reports"]] == ["national:LAO"]
    assert {i["indicator"]: i["latest"] for i in shown["indicators"]} == {
        "survivors-assisted": "140",
        "officials-trained": "18",
    }
    [row] = await fetch(environment.database_url, "SELECT count(*) AS n FROM inventory.projects")
    assert row["n"] == 1


async def test_a_funded_request_of_a_convention_with_no_outline_gets_its_money_but_no_project(
    api: Api, environment: Environment
) -> None:
    """The Lao PDR's outline is for the CCM; a Lao request under the APMBC (posted by hand, say)
    is committed and disbursed like any other, and left without a project."""
    request_id = await announce(api, convention="APMBC", areas=("victim-assistance",))
    await reserve_for(api, request_id)

    assert await demo.follow_up(api.client, state_keys(api)) == 2

    assert (await api.client.get("/v1/projects")).json() == []
    ledger = (await api.client.get(f"/v1/ledger/requests/{request_id}")).json()
    assert (ledger["convention"], [b["disbursed"] for b in ledger["balances"]]) == (
        "APMBC",
        ["20000.00"],
    )
