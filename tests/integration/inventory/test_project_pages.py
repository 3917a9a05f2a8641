"""The portal's project pages over HTTP: the list and the page each office reads, the budget,
the schedule against the ledger, the indicators and reports; the state files a report from the
page, once per form, and a refused one keeps nothing."""

from __future__ import annotations

import re
from urllib.parse import urlencode

from shared.portal.forms import FORM_KEY
from tests.database import fetch
from tests.integration.inventory.conftest import BALKANS, CAMBODIA, LAO, NORWAY, OPERATOR
from tests.integration.inventory.test_projects import STARTS, TODAY, funded, start
from tests.portal_pages import FORM, page_as
from tests.service_api import Api
from tests.system import Environment


def _form_key(html: str) -> str:
    found = re.search(rf'name="{FORM_KEY}" value="([^"]+)"', html)
    assert found, "no report form"
    return found.group(1)


async def _reports(environment: Environment) -> int:
    rows = await fetch(
        environment.database_url, "SELECT count(*) AS n FROM inventory.project_reports"
    )
    return int(rows[0]["n"])


async def test_the_offices_taking_part_see_the_project_with_its_budget_schedule_and_results(
    api: Api,
) -> None:
    scene = await funded(api)
    created = await start(api, scene.request_id)
    for who in (LAO, NORWAY, OPERATOR):
        listed = await page_as(api, who, "/portal/projects")
        assert listed.status_code == 200
        assert f'data-project="{created["id"]}"' in listed.text, who
        page = await page_as(api, who, f"/portal/projects/{created['id']}")
        assert page.status_code == 200
        assert 'data-funder="norway"' in page.text
        assert "80,000.00 USD" in page.text
        assert "Survivors and victims assisted" in page.text
        assert page.text.count('class="covered">yes') == 1  # the first instalment, paid
    for who in (BALKANS, CAMBODIA):
        listed = await page_as(api, who, "/portal/projects")
        assert created["id"] not in listed.text
        page = await page_as(api, who, f"/portal/projects/{created['id']}")
        assert page.status_code == 404
    assert (await page_as(api, LAO, "/portal/projects/not-an-id")).status_code == 404


async def test_the_state_files_a_report_from_the_page_once_and_a_refused_one_keeps_nothing(
    api: Api, environment: Environment
) -> None:
    scene = await funded(api)
    created = await start(api, scene.request_id)
    path = f"/portal/projects/{created['id']}"
    norway_page = await page_as(api, NORWAY, path)
    assert "File a progress report" not in norway_page.text  # a funder, not the partner
    page = await page_as(api, LAO, path)
    key = _form_key(page.text)
    backwards = {
        FORM_KEY: key,
        "period_start": TODAY.isoformat(),
        "period_end": STARTS.isoformat(),
        "value.survivors-assisted": "120",
    }
    refused = await api.client.post(f"{path}/reports", content=urlencode(backwards), headers=FORM)
    assert refused.status_code == 422
    assert "cannot end before it starts" in refused.text
    assert await _reports(environment) == 0
    fields = {**backwards, "period_start": STARTS.isoformat(), "period_end": TODAY.isoformat()}
    fields["challenges"] = "Flooded roads"
    for _ in range(2):  # sent twice: filed once
        filed = await api.client.post(f"{path}/reports", content=urlencode(fields), headers=FORM)
        assert filed.status_code == 303
    assert await _reports(environment) == 1
    shown = await api.client.get(path)
    assert "Flooded roads" in shown.text
    latest = shown.text.split('data-indicator="survivors-assisted"')[1].split("</tr>")[0]
    assert 'class="number latest">120' in latest
