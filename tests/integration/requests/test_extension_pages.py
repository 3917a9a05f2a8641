"""The extension requests' portal pages over HTTP: what each office sees, and each step taken from
the page once, refused with the refusal beside its form and nothing changed."""

from __future__ import annotations

import httpx
from lxml import html

from services.requests.service import SERVICE as REQUESTS
from shared.principal import Principal
from tests.database import fetch
from tests.integration.requests.conftest import BALKANS, DONOR, KHM, LAO, SECRETARIAT
from tests.integration.requests.extension_flows import (
    CAST,
    GRANTED,
    MNE,
    NETHERLANDS,
    analysed,
    filed,
)
from tests.portal_pages import FORM, page_as, sign_in
from tests.service_api import Api, api_fixtures
from tests.system import Environment

ext_api, _ = api_fixtures(REQUESTS, CAST)


async def test_the_list_shows_each_office_what_it_may_see(ext_api: Api) -> None:
    extension = await filed(ext_api)

    for who, sees in ((LAO, True), (MNE, True), (SECRETARIAT, True), (KHM, False), (DONOR, False)):
        page = await page_as(ext_api, who, "/portal/extensions")
        rows = html.fromstring(page.text).xpath("//tr[@data-extension]/@data-extension")
        assert page.status_code == 200
        assert rows == ([extension["id"]] if sees else []), who.label


async def test_the_page_of_one_shows_the_plan_and_the_linked_request(ext_api: Api) -> None:
    extension = await analysed(ext_api)

    page = await page_as(ext_api, LAO, f"/portal/extensions/{extension['id']}")
    hidden = await page_as(ext_api, BALKANS, f"/portal/extensions/{extension['id']}")
    tree = html.fromstring(page.text)

    assert tree.xpath("string(//*[@id='status'])") == "analysed"
    assert tree.xpath("string(//*[@id='cost'])") == "9,000,000.00 USD"
    link = f"/portal/requests/{extension['assistance_request_id']}"
    assert tree.xpath("//a[@id='assistance-request']/@href") == [link]
    assert "Savannakhet and Xekong" in tree.xpath("string(//*[@id='questions'])")
    assert tree.xpath("//form[starts-with(@class, 'step-')]") == []  # the decision is not LAO's
    assert hidden.status_code == 404


async def _step(
    api: Api, who: Principal, extension_id: str, step: str, **fields: str
) -> httpx.Response:
    await sign_in(api, who)
    page = await api.client.get(f"/portal/extensions/{extension_id}")
    form = html.fromstring(page.text).xpath(f"//form[@class='step-{step}']")[0]
    values = {i.name: i.value for i in form.xpath(".//input[@type='hidden']")}
    return await api.client.post(
        f"/portal/extensions/{extension_id}/{step}", data={**values, **fields}
    )


async def test_each_office_takes_its_step_from_the_page(ext_api: Api) -> None:
    extension = await filed(ext_api)
    xid = extension["id"]

    asked = await _step(ext_api, MNE, xid, "questions", question="Which provinces first?")
    answered = await _step(ext_api, LAO, xid, "answers", answer="Savannakhet")
    analysed_ = await _step(ext_api, NETHERLANDS, xid, "analysis", analysis="Realistic")
    decided = await _step(
        ext_api, SECRETARIAT, xid, "decision", granted="yes", new_deadline=GRANTED, meeting="13MSP"
    )
    answer = await ext_api.client.get(
        f"/v1/extension-requests/{xid}", headers=ext_api.headers_for(LAO)
    )

    assert [r.status_code for r in (asked, answered, analysed_, decided)] == [303] * 4
    assert (answer.json()["status"], answer.json()["granted_deadline"]) == ("granted", GRANTED)


async def test_a_refused_step_is_shown_beside_its_form_and_changes_nothing(
    ext_api: Api, environment: Environment
) -> None:
    extension = await analysed(ext_api)
    before = await fetch(environment.database_url, "SELECT count(*) FROM requests.outbox")

    refused = await _step(
        ext_api,
        SECRETARIAT,
        extension["id"],
        "decision",
        granted="yes",
        new_deadline="2020-01-01",
        meeting="13MSP",
    )
    tree = html.fromstring(refused.text)

    assert refused.status_code == 422
    assert "must come after the current deadline" in tree.xpath("string(//*[@role='alert'])")
    assert tree.xpath("//input[@name='new_deadline']/@value") == ["2020-01-01"]
    assert await fetch(environment.database_url, "SELECT count(*) FROM requests.outbox") == before


async def test_a_step_not_the_offices_is_refused_with_403(ext_api: Api) -> None:
    extension = await filed(ext_api)
    await sign_in(ext_api, LAO)

    refused = await ext_api.client.post(
        f"/portal/extensions/{extension['id']}/analysis",
        content="analysis=mine&idempotency_key=k1",
        headers=FORM,
    )

    assert refused.status_code == 403
    assert "analysis group" in refused.text
