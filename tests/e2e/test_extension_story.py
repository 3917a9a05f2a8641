"""An extension request across the four services, each its own process, on the real broker and
database: Lao PDR asks to extend its CCM Article 4 deadline; the analysis group the secretariat
named (here Norway) asks a question, the state answers, the group writes its analysis; the
secretariat records the grant; the linked assistance request, carrying the granted deadline, goes
through review to publication and matching proposes for it; the operators' feed tells each step
to those who should hear of it."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from tests.browser import chromium, new_page, screenshots, serious_violations, sign_in
from tests.e2e.story import clients, system
from tests.e2e.test_story import feed_about, proposed, register_source, step
from tests.factories import extension_body
from tests.polling import eventually
from tests.system import Environment, running

COST = "400000.00"
GRANTED = "2029-08-01"
STEPS = {
    "extension.submitted",
    "extension.question-asked",
    "extension.answered",
    "extension.analysed",
    "extension.decided",
}


async def test_an_extension_is_granted_and_its_resources_matched(
    environment: Environment, request: pytest.FixtureRequest
) -> None:
    processes = system(environment)
    with running(*processes.values()):
        async with clients(environment, processes) as cast:
            source = await register_source(cast)
            group = "/v1/analysis-groups/CCM/members"
            await step(cast, "requests", group, "secretariat", {"member": "donor:norway"})
            body = extension_body(cost={"value": COST, "currency": "USD"})
            filed = await cast["requests"].post(
                "/v1/extension-requests",
                json=body,
                headers=cast.as_("state", idempotency_key="lao-extension"),
            )
            assert filed.status_code == 201, filed.text
            path = f"/v1/extension-requests/{filed.json()['id']}"
            request_id = filed.json()["assistance_request_id"]
            await step(cast, "requests", f"{path}/questions", "donor", {"question": "Where?"})
            await step(cast, "requests", f"{path}/answers", "state", {"answer": "Xekong"})
            await step(cast, "requests", f"{path}/analysis", "donor", {"analysis": "Sound"})
            decision = {"granted": True, "new_deadline": GRANTED, "meeting": "13MSP"}
            decided = await step(cast, "requests", f"{path}/decision", "secretariat", decision)
            for action, who in (("submit", "state"), ("endorse", "centre")):
                await step(cast, "requests", f"/v1/requests/{request_id}/{action}", who, {})
            published = await step(
                cast, "requests", f"/v1/requests/{request_id}/publish", "secretariat"
            )
            proposal = await proposed(cast, request_id)

            async def operators_told() -> dict[str, str] | None:
                seen = await feed_about(cast, "operator", request_id)
                return seen if set(seen) >= STEPS else None

            operator = await eventually(operators_told, seconds=60)
            state = await feed_about(cast, "state", request_id)
            donor = await feed_about(cast, "donor", request_id)
            other_state = await feed_about(cast, "other state", request_id)
            page = f"/portal/extensions/{filed.json()['id']}"
            seen = await page_of(processes["requests"].url, cast.keys["donor"], page, request)

    assert (decided["status"], decided["granted_deadline"]) == ("granted", GRANTED)
    assert (published["status"], published["deadline"]) == ("published", GRANTED)
    assert proposal["source_id"] == source["id"]
    assert Decimal(proposal["amount"]) == Decimal(COST)
    assert set(operator) >= STEPS
    assert state["extension.question-asked"] == state["extension.decided"] == "warning"
    assert donor["extension.submitted"] == donor["extension.answered"] == "warning"  # the group
    assert other_state == {}
    assert "Sound" in seen.text  # the group's analysis, on the extension's page
    assert seen.violations == []  # axe-core: no serious accessibility violations


@dataclass
class Seen:
    text: str
    violations: list[dict[str, Any]]


async def page_of(url: str, key: str, path: str, request: pytest.FixtureRequest) -> Seen:
    """The extension's page in Chromium as a member of the analysis group sees it."""
    async with chromium() as browser:
        page = await new_page(browser)
        await sign_in(page, url, key, then=path)
        await page.screenshot(path=str(screenshots(request) / "extension.png"), full_page=True)
        return Seen(await page.locator("main").inner_text(), await serious_violations(page))
