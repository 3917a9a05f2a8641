"""One request's way through the portal, each office in its own browser, the four services each
its own process on the real broker and database: the focal point writes it in the form (a field
refused first, then corrected) and submits it; the centre endorses it from its queue; the
secretariat publishes it; the donor accepts the proposal for it; the focal point sees it funded;
and the operator's charts move with it (its need by region, the time it took to fund). Every
main page passes axe-core with no serious violation, and each step's screenshot is kept."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser import chromium, new_page, screenshots, serious_violations, sign_in
from tests.e2e.story import Clients, clients, system
from tests.e2e.test_story import register_source
from tests.system import Environment, running

TITLE = "Clearance of cluster munition remnants in Xieng Khouang"
LAO_USD = "#chart-need-by-region tr[data-key='south-eastern-asia'][data-currency='USD']"
FUNDED_IN_A_DAY = (
    "#chart-time-to-proposal tr[data-key='a-day-or-less'] td[data-series='to funding']"
)
SLOW = 90_000  # milliseconds: the steps that wait for events to cross the services


async def _look(page: Page, folder: Path, name: str) -> None:
    """The page has no serious accessibility violation; its screenshot is kept."""
    assert await serious_violations(page) == [], name
    await page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


async def _office(browser: Browser, cast: Clients, who: str, url: str, then: str) -> Page:
    page = await new_page(browser)
    await sign_in(page, url, cast.keys[who], then)
    return page


async def _write_and_submit(page: Page, folder: Path) -> str:
    """The focal point fills the form in, first with an e-mail address that is not one; the
    refusal is shown beside the field, the rest kept; then corrected, saved and submitted."""
    await page.select_option("#f-convention", "CCM")
    await page.check("#f-areas-CCM-survey-and-clearance")
    await page.check("#f-assistance_types-financial")
    await page.fill("#f-title", TITLE)
    await page.fill("#f-description", "Clearance of the confirmed hazardous areas.")
    await page.fill("#f-amount-value", "400000")
    await page.fill("#f-amount-currency", "USD")
    await page.fill("#f-deadline", (date.today() + timedelta(days=200)).isoformat())
    await page.fill("#f-contact-name", "National focal point")
    await page.fill("#f-contact-email", "focal.point-at-example.org")
    await page.click("button:has-text('Create draft')")
    await expect(page.locator("#f-contact-email")).to_have_attribute("aria-invalid", "true")
    await expect(page.locator("#f-contact-email-error")).to_be_visible()
    await expect(page.locator("#f-title")).to_have_value(TITLE)
    await _look(page, folder, "2-state-field-refused")
    await page.fill("#f-contact-email", "focal.point@example.org")
    await page.click("button:has-text('Create draft')")
    await expect(page.locator("#status")).to_have_text("draft")
    await page.click("form.change-submit button")
    await expect(page.locator("#status")).to_have_text("submitted")
    await _look(page, folder, "3-state-submitted")
    return page.url.rsplit("/", 1)[1]


async def _until_shown(page: Page, selector: str) -> None:
    """Reload until `selector` is on the page: what it shows arrives by events."""
    for _ in range(SLOW // 1000):
        if await page.locator(selector).count():
            return
        await page.wait_for_timeout(1000)
        await page.reload()
    await expect(page.locator(selector)).to_have_count(1)


async def test_each_office_does_its_part_of_a_request_in_the_browser(
    environment: Environment, request: pytest.FixtureRequest
) -> None:
    folder = screenshots(request)
    processes = system(environment)
    urls = {name: process.url for name, process in processes.items()}
    with running(*processes.values()):
        async with clients(environment, processes) as cast, chromium() as browser:
            await register_source(cast)
            operator = await _office(browser, cast, "operator", urls["notifications"], "/dashboard")
            await expect(operator.locator("#chart-need-by-region")).to_contain_text("Nothing")
            await _look(operator, folder, "1-operator-before")

            state = await _office(browser, cast, "state", urls["requests"], "/portal/requests/new")
            request_id = await _write_and_submit(state, folder)
            request_page = state.url

            centre = await _office(browser, cast, "centre", urls["requests"], "/portal/queue")
            row = centre.locator(f"tr[data-request='{request_id}']")
            await expect(row).to_contain_text(TITLE)
            await _look(centre, folder, "4-centre-queue")
            await row.locator("button:has-text('Endorse')").click()
            await expect(row).to_have_count(0)

            secretariat = await _office(
                browser, cast, "secretariat", urls["requests"], f"/portal/requests/{request_id}"
            )
            await secretariat.click("button:has-text('Publish')")
            await expect(secretariat.locator("#status")).to_have_text("published")
            await _look(secretariat, folder, "5-secretariat-published")

            donor = await _office(browser, cast, "donor", urls["matching"], "/portal/proposals")
            await _until_shown(donor, f"tr[data-proposal]:has-text('{TITLE}')")
            proposal = donor.locator(f"tr[data-proposal]:has-text('{TITLE}')")
            await _look(donor, folder, "6-donor-proposal")
            await proposal.locator("button:has-text('Accept')").click()
            await expect(donor.locator(f"tr[data-proposal]:has-text('{TITLE}')")).to_contain_text(
                "accepted", ignore_case=True
            )

            await state.goto(request_page)
            await _until_shown(state, "#status:has-text('funded')")
            await _look(state, folder, "7-state-funded")

            await expect(operator.locator(FUNDED_IN_A_DAY)).to_have_text("1", timeout=SLOW)
            await _look(operator, folder, "8-operator-after")
            need = await operator.locator(f"{LAO_USD} td[data-series='need']").text_content()

    assert need is not None
    assert need.replace(",", "") == "400000.00"
