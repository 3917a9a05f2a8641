"""A donor's journey through the portal in headless Chromium: its proposals with their
explanation, an acceptance, a decline refused without a reason and then given one, the coalition
it joined, and its source's capacity used on the inventory's pages, one sign-in for both."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from playwright.async_api import Page, expect

from services.inventory.service import SERVICE as INVENTORY
from services.matching.service import SERVICE as MATCHING
from shared.events.requests import Amount
from shared.topics import Stream
from tests.browser import chromium, new_page, screenshots, serious_violations, sign_in
from tests.integration.matching.conftest import NORWAY, eventually, publish, published
from tests.inventory_factories import source_body
from tests.matching_factories import request_details
from tests.service_api import Api, Keys, over_http
from tests.system import Environment, free_port

ACCEPTED = "Survey and clearance in Xieng Khouang"
DECLINED = "Survey and clearance in Savannakhet"
FUND = "Norway: mine action in South-eastern Asia"


async def _proposed(matching: Api, inventory: Api) -> dict[str, Any]:
    """Norway's fund registered on the inventory, two of Lao PDR's requests published: the
    allocator proposes the fund for both (at most its 500,000 maximum grant each)."""
    registered = await inventory.client.post(
        "/v1/sources",
        json=source_body(name=FUND, regional_focus=["south-eastern-asia"]),
        headers=inventory.headers_for(NORWAY),
    )
    assert registered.status_code == 201, registered.text
    topic = matching.resources.topics.global_(Stream.REQUESTS)
    for title in (ACCEPTED, DECLINED):
        details = request_details(
            title=title, amount=Amount(value=Decimal("800000.00"), currency="USD")
        )
        await publish(matching.resources, topic, published(details), str(details.request_id))

    async def proposals() -> list[Any]:
        answer = await matching.client.get("/v1/proposals", headers=matching.headers_for(NORWAY))
        found: list[Any] = answer.json()
        return found

    await eventually(proposals, lambda found: len(found) == 2)
    source: dict[str, Any] = registered.json()
    return source


def _row(page: Page, title: str) -> Any:
    return page.locator("tr[data-proposal]", has_text=title)


async def _accessible(page: Page) -> None:
    assert await serious_violations(page) == []


async def test_a_donor_answers_its_proposals_and_sees_its_capacity_used(
    environment: Environment, request: pytest.FixtureRequest
) -> None:
    shots = screenshots(request)
    keys = Keys.issue([NORWAY])
    ports = {"matching": free_port(), "inventory": free_port()}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    async with (
        over_http(
            INVENTORY, environment, [NORWAY], keys=keys, port=ports["inventory"], portal_urls=urls
        ) as inventory,
        over_http(
            MATCHING,
            environment,
            [NORWAY],
            keys=keys,
            port=ports["matching"],
            portal_urls=urls,
            allocation_poll_seconds=0.2,
        ) as matching,
        chromium() as browser,
    ):
        fund = await _proposed(matching, inventory)
        page = await new_page(browser)
        await sign_in(page, matching.url, keys.key(NORWAY), then="/portal/proposals")
        await expect(page.locator("h1")).to_have_text("Proposals")
        await expect(page.locator("tr[data-proposal]")).to_have_count(2)
        await _accessible(page)
        await page.screenshot(path=str(shots / "1-proposals.png"), full_page=True)

        accepted = _row(page, ACCEPTED)
        await accepted.locator("summary").click()
        explanation = accepted.locator("details")
        await expect(explanation.locator("li[data-rule='recipient-eligible']")).to_be_visible()
        await expect(explanation).to_contain_text("guaranteed this request")
        await page.screenshot(path=str(shots / "2-explanation.png"), full_page=True)

        await accepted.get_by_role("button", name="Accept").click()
        await expect(_row(page, ACCEPTED).locator(".status")).to_have_text("accepted")
        await page.screenshot(path=str(shots / "3-accepted.png"), full_page=True)

        declined = _row(page, DECLINED)
        await declined.get_by_label("Reason for declining").fill("   ")  # blank, once trimmed
        await declined.get_by_role("button", name="Decline").click()
        error = _row(page, DECLINED).locator(".field-error")
        await expect(error).to_contain_text("Say why you decline")
        await expect(_row(page, DECLINED).locator(".status")).to_have_text("proposed")
        await _accessible(page)
        await page.screenshot(path=str(shots / "4-decline-refused.png"), full_page=True)

        reason = _row(page, DECLINED).get_by_label("Reason for declining")
        await reason.fill("Outside our 2027 priorities")
        await _row(page, DECLINED).get_by_role("button", name="Decline").click()
        await expect(_row(page, DECLINED).locator(".status")).to_have_text("declined")
        await expect(_row(page, DECLINED)).to_contain_text("Outside our 2027 priorities")
        await page.screenshot(path=str(shots / "5-declined.png"), full_page=True)

        await page.get_by_role("link", name="Coalitions").click()
        coalition = page.locator("section[data-coalition]", has_text=ACCEPTED)
        await expect(coalition.locator("tr[data-need='money'] .committed")).to_have_text(
            "500,000.00 USD"
        )
        await _accessible(page)
        await page.screenshot(path=str(shots / "6-coalitions.png"), full_page=True)

        await eventually(lambda: _held(inventory, fund["id"]), lambda held: held == 1)
        await page.get_by_role("link", name="Sources").click()
        await expect(page).to_have_url(f"{inventory.url}/portal/sources")
        window = page.locator(f"section[data-source='{fund['id']}'] tr[data-window]")
        await expect(window.locator(".used")).to_have_text("500,000.00 USD")
        await expect(window.locator(".left")).to_have_text("500,000.00 USD")
        await _accessible(page)
        await page.screenshot(path=str(shots / "7-sources.png"), full_page=True)

        await page.get_by_role("link", name=FUND).click()
        await expect(page.locator("h1")).to_have_text(FUND)
        await expect(page.locator("#reservation-lines tbody tr")).to_contain_text(ACCEPTED)
        await _accessible(page)
        await page.screenshot(path=str(shots / "8-source.png"), full_page=True)

        phone = await new_page(browser, width=390, height=844)
        await sign_in(phone, matching.url, keys.key(NORWAY), then="/portal/proposals")
        await _accessible(phone)
        await phone.screenshot(path=str(shots / "9-proposals-on-a-phone.png"), full_page=True)


async def _held(inventory: Api, source_id: str) -> int:
    answer = await inventory.client.get(
        "/v1/reservations",
        params={"source_id": source_id, "status": "held"},
        headers=inventory.headers_for(NORWAY),
    )
    return len(answer.json())
