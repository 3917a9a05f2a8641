"""The demo webhooks and state reports: recorded through the API, twice without duplicates."""

from __future__ import annotations

from services.notifications import demo
from tests.database import fetch
from tests.integration.notifications.conftest import SECRETARIAT
from tests.service_api import Api
from tests.system import Environment


async def test_the_demo_subscriptions_and_state_reports_load_once(
    service: Api, environment: Environment
) -> None:
    service.client.headers.update(service.headers_for(SECRETARIAT))
    first = await demo.load(service.client, {})
    second = await demo.load(service.client, {})
    listed = await service.client.get("/v1/subscriptions")

    rows = await fetch(
        environment.database_url,
        "SELECT audience, status FROM notifications.subscriptions ORDER BY created_at",
    )
    reports = await fetch(
        environment.database_url, "SELECT count(*) FROM notifications.state_reports"
    )
    assert first == second == len(demo.SUBSCRIPTIONS) + len(demo.state_reports())
    assert len(demo.SUBSCRIPTIONS) == 2
    assert reports[0][0] == len(demo.state_reports()) == 57
    assert [tuple(row) for row in rows] == [("secretariat", "active")] * 2
    assert {s["url"] for s in listed.json()} == {body["url"] for _, body in demo.SUBSCRIPTIONS}
