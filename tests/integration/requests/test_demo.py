"""The CCM demo data: loaded through the API, twice without duplicates, giving the note's report."""

from __future__ import annotations

from services.requests import demo
from tests.database import fetch
from tests.integration.requests.conftest import SECRETARIAT
from tests.service_api import Api
from tests.system import Environment


async def test_the_ccm_2018_requests_load_once_and_report_states_by_obligation(
    api: Api, environment: Environment
) -> None:
    api.client.headers.update(api.headers_for(SECRETARIAT))
    first = await demo.load(api.client, {})
    second = await demo.load(api.client, {})
    report = await api.client.get("/v1/reports/states-by-obligation")

    [row] = await fetch(
        environment.database_url,
        "SELECT count(*), count(*) FILTER (WHERE status = 'published') FROM requests.requests",
    )
    assert first == second == 23  # 22 CCM requests and Sri Lanka's South-South request
    assert tuple(row) == (23, 23)
    by_area = {r["area"]: r["states"] for r in report.json() if r["convention"] == "CCM"}
    assert by_area["stockpile-destruction"] == ["PER"]
    assert sorted(by_area["victim-assistance"]) == sorted(demo.OBLIGATIONS["victim-assistance"])
    assert len(by_area["survey-and-clearance"]) == 6
    assert by_area["other-munitions-destruction"] == ["MOZ"]
    apmbc = {r["area"]: r["states"] for r in report.json() if r["convention"] == "APMBC"}
    assert apmbc["mine-clearance"] == ["LKA"]
