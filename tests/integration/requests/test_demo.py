"""The CCM demo data: loaded through the API, twice without duplicates, giving the note's report,
and Lao PDR's extension request granted with its assistance request published."""

from __future__ import annotations

from services.requests import demo
from services.requests.service import SERVICE as REQUESTS
from shared.principal import Principal
from tests.database import fetch
from tests.integration.requests.conftest import EVERYONE, LAO, SECRETARIAT
from tests.service_api import Api, api_fixtures
from tests.system import Environment

demo_api, _ = api_fixtures(REQUESTS, (*EVERYONE, demo.NETHERLANDS))


def _demo_keys(api: Api) -> dict[Principal, str]:
    """The keys the loader acts with besides the secretariat's: Lao PDR's and the Netherlands'."""
    return {
        p: api.headers_for(p)["Authorization"].removeprefix("Bearer ")
        for p in (LAO, demo.NETHERLANDS)
    }


async def test_the_ccm_2018_requests_load_once_and_report_states_by_obligation(
    demo_api: Api, environment: Environment
) -> None:
    api = demo_api
    keys = _demo_keys(api)
    api.client.headers.update(api.headers_for(SECRETARIAT))
    first = await demo.load(api.client, keys)
    second = await demo.load(api.client, keys)
    report = await api.client.get("/v1/reports/states-by-obligation")

    [row] = await fetch(
        environment.database_url,
        "SELECT count(*), count(*) FILTER (WHERE status = 'published') FROM requests.requests",
    )
    # 22 CCM requests, Sri Lanka's South-South request, Cambodia's biosafety request, and Lao
    # PDR's extension's resources
    assert first == second == 25
    assert tuple(row) == (25, 25)
    by_area = {r["area"]: r["states"] for r in report.json() if r["convention"] == "CCM"}
    assert by_area["stockpile-destruction"] == ["PER"]
    assert sorted(by_area["victim-assistance"]) == sorted(demo.OBLIGATIONS["victim-assistance"])
    assert len(by_area["survey-and-clearance"]) == 6
    assert by_area["other-munitions-destruction"] == ["MOZ"]
    apmbc = {r["area"]: r["states"] for r in report.json() if r["convention"] == "APMBC"}
    assert apmbc["mine-clearance"] == ["LKA"]


async def test_the_demo_extension_is_granted_and_its_request_published(
    demo_api: Api, environment: Environment
) -> None:
    api = demo_api
    keys = _demo_keys(api)
    api.client.headers.update(api.headers_for(SECRETARIAT))
    await demo.load(api.client, keys)

    [extension] = (await api.client.get("/v1/extension-requests")).json()["items"]
    request = await api.client.get(f"/v1/requests/{extension['assistance_request_id']}")
    [row] = await fetch(
        environment.database_url, "SELECT count(*) FROM requests.extension_requests"
    )

    assert (extension["state"], extension["status"], row[0]) == ("LAO", "granted", 1)
    assert extension["granted_deadline"] < extension["requested_deadline"]
    assert request.json()["status"] == "published"
    assert request.json()["deadline"] == extension["granted_deadline"]
