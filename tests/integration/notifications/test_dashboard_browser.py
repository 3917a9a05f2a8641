"""The operators' dashboard in headless Chromium, with the requests service running beside it."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, async_playwright, expect

from deploy.local.chromium import chromium_executable
from services.requests.service import SERVICE as REQUESTS
from shared.portal.session import COOKIE
from tests.factories import request_body
from tests.integration.notifications.conftest import LAO, OPERATOR, notifications
from tests.service_api import Api, over_http
from tests.system import OUTPUT, Environment

TITLE = "Clearance of cluster munition remnants in Xieng Khouang"


async def _submit(requests: Api) -> None:
    headers = requests.headers_for(LAO)
    created = await requests.client.post(
        "/v1/requests", json=request_body("LAO", title=TITLE), headers=headers
    )
    assert created.status_code == 201, created.text
    submitted = await requests.client.post(
        f"/v1/requests/{created.json()['id']}/submit", headers=headers
    )
    assert submitted.status_code == 200, submitted.text


async def _sign_in(page: Page, url: str, key: str) -> None:
    await page.goto(f"{url}/dashboard")
    await expect(page).to_have_url(f"{url}/portal/sign-in?next=/dashboard")
    await page.fill("#key", "ch_wrong_key")
    await page.click("button[type=submit]")
    await expect(page.get_by_role("alert")).to_contain_text("not valid")
    await page.fill("#key", key)
    await page.click("button[type=submit]")
    await expect(page).to_have_url(f"{url}/dashboard")


async def test_a_submitted_request_appears_live_on_the_dashboard(
    environment: Environment, request: pytest.FixtureRequest
) -> None:
    output = OUTPUT / request.node.name
    output.mkdir(parents=True, exist_ok=True)
    executable = chromium_executable()
    async with (
        notifications(environment, [OPERATOR]) as dashboard,
        over_http(REQUESTS, environment, [LAO]) as requests,
        async_playwright() as playwright,
    ):
        browser = await playwright.chromium.launch(executable_path=str(executable))
        page = await browser.new_page(viewport={"width": 1400, "height": 900})
        operator_key = dashboard.headers_for(OPERATOR)["Authorization"].removeprefix("Bearer ")
        await _sign_in(page, dashboard.url, operator_key)
        await expect(page.locator("#total-open")).to_have_text("0")
        await page.evaluate("window.notReloaded = true")

        await _submit(requests)

        item = page.locator("#feed li[data-type='request.submitted']")
        await expect(item).to_contain_text(TITLE, timeout=30_000)
        await expect(page.locator("#total-open")).to_have_text("1", timeout=30_000)
        region = page.locator("#by-region tr[data-key='south-eastern-asia'] td.open")
        await expect(region).to_have_text("1")
        assert await page.evaluate("window.notReloaded") is True
        await page.screenshot(path=str(output / "dashboard.png"), full_page=True)
        cookie = next(c for c in await page.context.cookies() if c["name"] == COOKIE)
        await browser.close()

    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Strict"
