"""The API docs in headless Chromium with every request off this machine refused: Swagger UI and
ReDoc still render the service's operations, since every page, script, style and font they load
comes from the service. (ReDoc's bundle also shows its maker's logo from its CDN, an image the
page does without.)"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.async_api import Route, async_playwright, expect

from deploy.local.chromium import chromium_executable
from services.requests.service import SERVICE as REQUESTS
from tests.service_api import over_http
from tests.system import OUTPUT, Environment

LOCAL = {"127.0.0.1", "localhost"}
NEEDED = {"document", "script", "stylesheet", "font", "fetch", "xhr"}  # what rendering waits on


async def offline(route: Route) -> None:
    """What a machine without outside network answers: nothing, for any other host."""
    if urlsplit(route.request.url).hostname in LOCAL:
        await route.continue_()
    else:
        await route.abort("internetdisconnected")


@pytest.mark.parametrize(
    ("page_path", "operation"),
    [
        ("/docs", ".opblock-summary-path[data-path='/v1/requests']"),
        ("/redoc", "li[data-item-id^='tag/requests'], label[type='operation']"),
    ],
    ids=["swagger-ui", "redoc"],
)
async def test_the_api_docs_render_the_operations_offline(
    environment: Environment, page_path: str, operation: str, request: pytest.FixtureRequest
) -> None:
    output = OUTPUT / request.node.name
    output.mkdir(parents=True, exist_ok=True)
    refused: list[tuple[str, str]] = []
    async with over_http(REQUESTS, environment, []) as api, async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(chromium_executable()))
        page = await browser.new_page(viewport={"width": 1400, "height": 900})
        page.on("requestfailed", lambda failed: refused.append((failed.resource_type, failed.url)))
        await page.route("**/*", offline)
        await page.goto(f"{api.url}{page_path}")
        await expect(page.locator(operation).first).to_be_visible(timeout=30_000)
        await page.screenshot(path=str(output / "docs.png"))
        await browser.close()

    assert [(kind, url) for kind, url in refused if kind in NEEDED] == []
