"""The operators' charts and a focal point's notifications in headless Chromium: the charts
change as events arrive, with no reload, the notifications page shows the new ones live, and
both pages pass the accessibility check."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from playwright.async_api import Browser, Page, Route, expect

from shared.events import EventPayload
from shared.events import matching as mat
from shared.events import requests as req
from shared.topics import Stream
from tests.browser import chromium, new_page, screenshots, serious_violations, sign_in
from tests.factories import envelope, match, request_event
from tests.integration.notifications.conftest import (
    LAO,
    OPERATOR,
    deliver,
    later,
    ledger_entry,
    notifications,
)
from tests.matching_factories import source
from tests.service_api import Api
from tests.system import Environment

TITLE = "Clearance of cluster munition remnants in Xieng Khouang"
NEED = "#chart-need-by-region tr[data-key='south-eastern-asia'][data-currency='USD']"
DRAWN = """id => {
  const chart = Chart.getChart(document.querySelector(`#${id} canvas`));
  return chart ? chart.data.datasets.map(d => d.data) : null;
}"""
DRAWN_AS = """([id, want]) => {
  const chart = Chart.getChart(document.querySelector(`#${id} canvas`));
  const drawn = chart ? chart.data.datasets.map(d => d.data) : null;
  return JSON.stringify(drawn) === JSON.stringify(want);
}"""


async def _tell(api: Api, stream: Stream, *payloads: EventPayload) -> None:
    key = str(uuid4())
    await deliver(api, stream, *(envelope(p, key, f"/clearinghouse/{stream}") for p in payloads))


def _key(api: Api, who: Any) -> str:
    return api.headers_for(who)["Authorization"].removeprefix("Bearer ")


async def _charts_draw_under_the_pages_own_policy(browser: Browser, api: Api) -> None:
    """Without the test's CSP bypass: the charts are drawn, and nothing is refused."""
    context = await browser.new_context()
    page = await context.new_page()
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Refused" in m.text else None)
    await sign_in(page, api.url, _key(api, OPERATOR), then="/dashboard")
    await page.wait_for_function("() => typeof Chart !== 'undefined'")
    assert await page.evaluate(DRAWN, "chart-need-by-region") is not None
    assert refused == []
    await context.close()


async def test_the_operators_charts_change_as_events_arrive(
    environment: Environment, request: pytest.FixtureRequest
) -> None:
    folder = screenshots(request)
    async with notifications(environment, [OPERATOR, LAO]) as api, chromium() as browser:
        page = await new_page(browser, 1400, 1000)
        await sign_in(page, api.url, _key(api, OPERATOR), then="/dashboard")
        await expect(page.locator("#chart-need-by-region")).to_contain_text("Nothing to show yet")
        await page.evaluate("window.notReloaded = true")

        submitted = request_event(req.RequestSubmitted, "LAO", title=TITLE)
        request_id = submitted.request.request_id
        await _tell(api, Stream.REQUESTS, submitted)
        need = page.locator(f"{NEED} td[data-series='need']")
        await expect(need).to_have_text("1,500,000.00", timeout=30_000)
        await expect(page.locator(f"{NEED} td[data-series='committed']")).to_have_text("0.00")
        await page.screenshot(path=str(folder / "dashboard-request-submitted.png"), full_page=True)
        assert await serious_violations(page) == []

        published = later(req.RequestPublished, request_id, title=TITLE)
        await _tell(api, Stream.REQUESTS, published)
        norway = source(donor="norway")
        proposal = match(request_id).model_copy(update={"source_id": norway.source_id})
        committed = ledger_entry(request_id, norway.source_id)
        await _tell(
            api, Stream.MATCHES, mat.MatchProposed(match=proposal, score=0.9, explanation={})
        )
        await _tell(api, Stream.FUNDS, committed)

        committed_cell = page.locator(f"{NEED} td[data-series='committed']")
        await expect(committed_cell).to_have_text("500,000.00", timeout=30_000)
        quick = "tr[data-key='a-day-or-less'] td[data-series='to first proposal']"
        proposals = page.locator(f"#chart-time-to-proposal {quick}")
        await expect(proposals).to_have_text("1")
        # The table is swapped in before its chart is drawn again: wait for the drawing.
        drawn = [[1500000.0], [0.0], [500000.0], [0.0]]  # need, pledged, committed, ...
        await page.wait_for_function(DRAWN_AS, arg=["chart-need-by-region", drawn])
        assert await page.evaluate(DRAWN, "chart-need-by-region") == drawn
        assert await page.evaluate("window.notReloaded") is True
        await page.locator("#chart-need-by-region details summary").click()
        await page.screenshot(path=str(folder / "dashboard-committed.png"), full_page=True)
        await page.locator("#charts").screenshot(path=str(folder / "charts.png"))
        assert await serious_violations(page) == []

        await _charts_draw_under_the_pages_own_policy(browser, api)
        await _focal_points_notifications(browser, api, folder, request_id)


async def test_an_event_that_arrives_while_the_charts_are_fetched_is_not_lost(
    environment: Environment,
) -> None:
    """The first fetch of the charts is answered late, after a second event has reached the
    feed and asked for the charts again: the page still shows the second event."""
    async with notifications(environment, [OPERATOR]) as api, chromium() as browser:
        page = await new_page(browser, 1400, 1000)
        await sign_in(page, api.url, _key(api, OPERATOR), then="/dashboard")
        await page.evaluate(
            """() => document.body.addEventListener("htmx:trigger", e => {
                 if (e.target.id === "charts") window.chartFetches = (window.chartFetches || 0) + 1;
               })"""
        )
        fetched, release = asyncio.Event(), asyncio.Event()

        async def answer_the_first_late(route: Route) -> None:
            if fetched.is_set():
                await route.continue_()
                return
            response = await route.fetch()  # the charts as they stood before the second event
            fetched.set()
            await release.wait()
            await route.fulfill(response=response)

        await page.route("**/dashboard/charts*", answer_the_first_late)
        await _tell(api, Stream.REQUESTS, request_event(req.RequestSubmitted, "LAO", title=TITLE))
        await asyncio.wait_for(fetched.wait(), 30)
        await _tell(api, Stream.REQUESTS, request_event(req.RequestSubmitted, "LAO", title=TITLE))
        await expect(page.locator("#feed li[data-type='request.submitted']")).to_have_count(2)
        await page.wait_for_function("() => window.chartFetches >= 2")
        release.set()

        need = page.locator(f"{NEED} td[data-series='need']")
        await expect(need).to_have_text("3,000,000.00", timeout=30_000)


async def _focal_points_notifications(
    browser: Browser, api: Api, folder: Path, request_id: UUID
) -> None:
    """Lao PDR's focal point reads its notifications, filters them, and sees new ones come."""
    page: Page = await new_page(browser, 390, 844)  # a phone
    await sign_in(page, api.url, _key(api, LAO), then="/portal/notifications")
    items = page.locator("#feed li")
    await expect(items.first).to_contain_text(TITLE)
    await expect(page.locator("#feed li[data-type='match.proposed']")).to_have_count(1)
    await page.screenshot(path=str(folder / "notifications-phone.png"), full_page=True)
    assert await serious_violations(page) == []

    await page.select_option("#f-type", "request.funded")
    await page.click("form.filters button[type=submit]")
    await expect(page.locator("#no-notifications")).to_be_visible()
    funded = later(req.RequestFunded, request_id, title=TITLE)
    await _tell(api, Stream.REQUESTS, funded)
    await expect(page.locator("#feed li[data-type='request.funded']")).to_contain_text(
        TITLE, timeout=30_000
    )
    await expect(page.locator("#no-notifications")).to_be_hidden()
    await page.screenshot(path=str(folder / "notifications-funded-live.png"), full_page=True)
    assert await serious_violations(page) == []
