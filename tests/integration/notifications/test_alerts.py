"""Alerts raised once from the read model of requests, and cleared when resolved."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import UUID

from services.notifications.app.workers import AlertSweep
from shared.events import requests as req
from shared.principal import Principal
from shared.topics import Stream
from tests.factories import envelope, request_event
from tests.integration.notifications.conftest import (
    BALKANS,
    KHM,
    LAO,
    OPERATOR,
    SOUTH_EAST_ASIA,
    deliver,
    feed,
)
from tests.service_api import Api

SOURCE = "/clearinghouse/requests"
NOW = datetime.now(UTC)


def _published(state: str, deadline_in: int) -> req.RequestEvent:
    return request_event(
        req.RequestPublished,
        state,
        status="published",
        from_status="endorsed",
        version=4,
        deadline=date.today() + timedelta(days=deadline_in),
    )


async def _tell(service: Api, event: req.RequestEvent, days_ago: int = 0) -> None:
    at = NOW - timedelta(days=days_ago)
    await deliver(
        service, Stream.REQUESTS, envelope(event, str(event.request.request_id), SOURCE, at)
    )


async def _alerts(service: Api, who: Principal) -> list[tuple[str, str]]:
    response = await service.client.get("/v1/alerts", headers=service.headers_for(who))
    assert response.status_code == 200, response.text
    return sorted((a["type"], a["state"]) for a in response.json())


async def test_alerts_are_raised_once_and_cleared_when_resolved(service: Api) -> None:
    neglected = _published("LAO", deadline_in=300)
    urgent = _published("KHM", deadline_in=10)
    fresh = _published("KHM", deadline_in=300)
    submitted = request_event(req.RequestSubmitted, "LAO", request_id=neglected.request.request_id)
    await _tell(service, submitted, days_ago=45)
    for event, days_ago in ((neglected, 40), (urgent, 2), (fresh, 2)):
        await _tell(service, event, days_ago)
    sweep = AlertSweep(service.resources)

    first, again = await sweep.sweep(NOW), await sweep.sweep(NOW)

    assert (first, again) == ((3, 0), (0, 0))
    assert await _alerts(service, OPERATOR) == [
        ("alert.deadline-near", "KHM"),
        ("alert.state-waiting", "LAO"),
        ("alert.unmatched", "LAO"),
    ]
    assert await _alerts(service, KHM) == [("alert.deadline-near", "KHM")]
    assert len(await _alerts(service, SOUTH_EAST_ASIA)) == 3
    assert await _alerts(service, BALKANS) == []
    told = await feed(service, LAO, type="alert.unmatched")
    assert [(t["audience"], t["severity"]) for t in told] == [("national:LAO", "warning")]

    await _tell(service, _next(neglected, req.RequestFunded, "funded"))
    await _tell(service, _next(urgent, req.RequestWithdrawn, "withdrawn"))
    cleared = await sweep.sweep(NOW)

    assert cleared == (0, 3)
    assert await _alerts(service, OPERATOR) == []
    notices = await feed(service, OPERATOR, type="alert.cleared", audience="operator")
    assert len(notices) == 3
    assert all(n["summary"].startswith("Cleared: ") for n in notices)


def _next(event: req.RequestEvent, kind: type[req.RequestEvent], status: str) -> req.RequestEvent:
    r = event.request
    return kind(
        request=r.model_copy(update={"status": status, "version": r.version + 1}),
        from_status=r.status,
        actor="test",
    )


async def test_the_journey_of_a_request_spans_its_events(service: Api) -> None:
    event = _published("LAO", deadline_in=300)
    request_id: UUID = event.request.request_id
    await _tell(service, request_event(req.RequestSubmitted, "LAO", request_id=request_id), 3)
    await _tell(service, event, 1)

    mine = await service.client.get(
        f"/v1/requests/{request_id}/journey", headers=service.headers_for(LAO)
    )
    foreign = await service.client.get(
        f"/v1/requests/{request_id}/journey", headers=service.headers_for(KHM)
    )
    assert [step["type"] for step in mine.json()] == [
        "org.clearinghouse.request.submitted.v1",
        "org.clearinghouse.request.published.v1",
    ]
    assert foreign.status_code == 404
