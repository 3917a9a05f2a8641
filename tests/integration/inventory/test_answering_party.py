"""Sources nobody can answer for: a donor whose keys are all revoked leaves its sources without an
answering party, and the report lists them; a source naming no donor is the secretariat's."""

from __future__ import annotations

from tests.database import fetch
from tests.integration.inventory.conftest import SECRETARIAT
from tests.integration.inventory.flows import register
from tests.service_api import Api
from tests.system import Environment


async def test_the_report_lists_the_sources_whose_donor_holds_no_key(
    api: Api, environment: Environment
) -> None:
    norways = await register(api, SECRETARIAT, donor="norway", name="Norway: mine action")
    await register(api, SECRETARIAT, donor=None, name="Global Environment Facility")
    before = await api.client.get(
        "/v1/reports/unanswered-sources", headers=api.headers_for(SECRETARIAT)
    )
    await fetch(
        environment.database_url,
        "UPDATE inventory.api_keys SET revoked_at = now() WHERE donor = 'norway'",
    )

    after = await api.client.get(
        "/v1/reports/unanswered-sources", headers=api.headers_for(SECRETARIAT)
    )

    assert before.status_code == after.status_code == 200
    assert before.json() == []
    assert after.json() == [
        {"source_id": norways["id"], "name": "Norway: mine action", "donor": "norway"}
    ]
