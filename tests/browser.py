"""Pages in headless Chromium: a browser, signing in to the portal, and the accessibility check.

The check runs axe-core (vendored under `browser_assets/`, MPL-2.0) in the page and gives the
violations of serious or critical impact, which the browser tests require to be none.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from deploy.local.chromium import chromium_executable
from tests.system import OUTPUT

AXE = Path(__file__).parent / "browser_assets" / "axe-4.14.1.min.js"
SERIOUS = ("serious", "critical")


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(chromium_executable()))
        try:
            yield browser
        finally:
            await browser.close()


async def new_page(browser: Browser, width: int = 1280, height: int = 900) -> Page:
    """A page in a context of its own (its own cookies). The context lets the test inject
    axe-core although the portal's Content-Security-Policy refuses inline scripts."""
    context = await browser.new_context(
        bypass_csp=True, viewport={"width": width, "height": height}
    )
    return await context.new_page()


async def sign_in(page: Page, url: str, key: str, then: str = "/portal") -> None:
    """Sign in on the portal page of the service at `url`, landing on `then`."""
    await page.goto(f"{url}{then}")
    await page.fill("#key", key)
    await page.click("form[action='/portal/sign-in'] button[type=submit]")
    await expect(page).to_have_url(f"{url}{then}")


async def serious_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is now."""
    await page.add_script_tag(path=str(AXE))
    results = await page.evaluate("async () => await axe.run(document)")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]]}
        for v in results["violations"]
        if v["impact"] in SERIOUS
    ]


def screenshots(request: pytest.FixtureRequest) -> Path:
    """Where a browser test keeps its screenshots (kept as test artifacts)."""
    folder = OUTPUT / request.node.name
    folder.mkdir(parents=True, exist_ok=True)
    return folder
