"""A request's way through review on the portal's pages, in headless Chromium: the focal point
writes it in the form (a refused field first), the centre endorses it from its queue, the
secretariat publishes it, and the focal point sees it published with its history."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from services.requests.service import SERVICE as REQUESTS
from tests.browser import chromium, new_page, screenshots, serious_violations, sign_in
from tests.integration.requests.conftest import LAO, SECRETARIAT, SOUTH_EAST_ASIA
from tests.service_api import Keys, over_http
from tests.system import Environment

TITLE = "Clearance of cluster munition remnants in Xieng Khouang"


async def _accessible(page: Page, folder: Path, name: str) -> None:
    """The page has no serious accessibility violation; its screenshot is kept."""
    assert await serious_violations(page) == [], name
    await page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


async def _write_request(page: Page, folder: Path) -> None:
    """The focal point fills the form in, with an e-mail address that is not one."""
    await page.click("text=New request")
    await expect(page.get_by_role("heading", level=1)).to_contain_text("New request")
    await _accessible(page, folder, "2-request-form")
    await page.select_option("#f-convention", "CCM")
    await page.check("#f-areas-CCM-survey-and-clearance")
    await page.check("#f-assistance_types-financial")
    await page.fill("#f-title", TITLE)
    await page.fill("#f-description", "Clearance of the confirmed hazardous areas.")
    await page.fill("#f-amount-value", "1500000")
    await page.fill("#f-amount-currency", "USD")
    await page.select_option("#f-in_kind-0-unit", "expert-days")
    await page.fill("#f-in_kind-0-quantity", "120")
    await page.fill("#f-in_kind-0-description", "Technical survey experts")
    await page.fill("#f-deadline", (date.today() + timedelta(days=365)).isoformat())
    await page.fill("#f-contact-name", "National focal point")
    await page.fill("#f-contact-email", "focal.point-at-example.org")
    await page.click("button:has-text('Create draft')")


async def test_a_request_is_written_reviewed_and_published_on_the_portal(
    environment: Environment, request: pytest.FixtureRequest
) -> None:
    folder = screenshots(request)
    offices = [LAO, SOUTH_EAST_ASIA, SECRETARIAT]
    keys = Keys.issue(offices)
    async with over_http(REQUESTS, environment, offices, keys=keys) as api, chromium() as browser:
        focal_point = await new_page(browser)
        await sign_in(focal_point, api.url, keys.key(LAO), "/portal/requests")
        await _accessible(focal_point, folder, "1-requests-list")

        await _write_request(focal_point, folder)
        email = focal_point.locator("#f-contact-email")
        await expect(email).to_have_attribute("aria-invalid", "true")
        await expect(focal_point.locator("#f-contact-email-error")).to_be_visible()
        await expect(focal_point.locator("#f-title")).to_have_value(TITLE)
        await expect(focal_point.locator("#f-in_kind-0-quantity")).to_have_value("120")
        await _accessible(focal_point, folder, "3-field-refused")
        await email.fill("focal.point@example.org")
        await focal_point.click("button:has-text('Create draft')")
        await expect(focal_point.locator("#status")).to_have_text("draft")
        request_url = focal_point.url
        request_id = request_url.rsplit("/", 1)[1]
        await _accessible(focal_point, folder, "4-draft")
        await focal_point.click("form.change-submit button")
        await expect(focal_point.locator("#status")).to_have_text("submitted")

        centre = await new_page(browser)
        await sign_in(centre, api.url, keys.key(SOUTH_EAST_ASIA), "/portal/queue")
        row = centre.locator(f"tr[data-request='{request_id}']")
        await expect(row).to_contain_text(TITLE)
        await expect(row).to_contain_text("Lao")
        await _accessible(centre, folder, "5-review-queue")
        await row.locator("button:has-text('Endorse')").click()
        await expect(centre).to_have_url(f"{api.url}/portal/queue")
        await expect(row).to_have_count(0)

        secretariat = await new_page(browser)
        await sign_in(secretariat, api.url, keys.key(SECRETARIAT), f"/portal/requests/{request_id}")
        await expect(secretariat.locator("#status")).to_have_text("endorsed")
        await secretariat.click("button:has-text('Publish')")
        await expect(secretariat.locator("#status")).to_have_text("published")
        await secretariat.screenshot(path=str(folder / "6-published.png"), full_page=True)

        await focal_point.goto(request_url)
        await expect(focal_point.locator("#status")).to_have_text("published")
        history = focal_point.locator("#history tbody tr")
        await expect(history).to_have_count(4)
        actions = await history.evaluate_all("rows => rows.map(r => r.dataset.action)")
        actors = await history.locator("td:nth-child(2)").all_inner_texts()
        await _accessible(focal_point, folder, "7-published-with-history")
        await focal_point.set_viewport_size({"width": 390, "height": 844})
        await focal_point.screenshot(path=str(folder / "8-on-a-phone.png"), full_page=True)

    assert actions == ["create", "submit", "endorse", "publish"]
    assert actors == [
        "national:LAO",
        "national:LAO",
        "regional:south-eastern-asia",
        "secretariat",
    ]
