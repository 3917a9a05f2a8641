"""The live stream: scope, resumption with Last-Event-ID without gaps or repeats, commit order."""

from __future__ import annotations

import asyncio
from uuid import uuid4

from services.notifications.adapters.repository import FeedRepository
from services.notifications.domain.model import OPERATOR, Draft, Notice, Severity
from shared.events import requests as req
from shared.topics import Stream
from tests.database import fetch
from tests.factories import NOW, envelope, request_event
from tests.integration.notifications.conftest import (
    LAO,
    SECRETARIAT,
    SOUTH_EAST_ASIA,
    deliver,
    feed,
)
from tests.integration.notifications.sse import read_events
from tests.polling import eventually
from tests.service_api import Api

SOURCE = "/clearinghouse/requests"


async def _submit(service: Api, *states: str) -> None:
    events = [
        request_event(req.RequestSubmitted, s, None if s == "PER" else _centre(s)) for s in states
    ]
    await deliver(
        service, Stream.REQUESTS, *(envelope(e, str(e.request.request_id), SOURCE) for e in events)
    )


def _centre(state: str) -> str:
    return "western-balkans" if state in ("MNE", "ALB") else "south-eastern-asia"


async def test_a_centre_resumes_its_stream_without_gaps_or_repeats(service: Api) -> None:
    headers = service.headers_for(SOUTH_EAST_ASIA)
    await _submit(service, "LAO", "KHM", "MNE", "PER")  # 4 of these in the centre's scope
    first = await read_events(service.client, 3, headers=headers, after=0)

    await _submit(service, "MNE", "LAO", "VNM")  # 4 more in scope
    last_seen = str(first[-1][0])
    rest = await read_events(service.client, 5, headers={**headers, "Last-Event-ID": last_seen})

    expected = sorted(item["id"] for item in await feed(service, SOUTH_EAST_ASIA))
    received = [notification_id for notification_id, _ in first + rest]
    assert len(expected) == 8
    assert received == expected  # in order, each once, across the reconnection
    assert {data["audience"] for _, data in first + rest} == {
        "regional:south-eastern-asia",
        "national:LAO",
        "national:KHM",
        "national:VNM",
    }


async def test_a_stream_without_last_event_id_starts_with_what_comes_next(service: Api) -> None:
    await _submit(service, "LAO")
    opened = asyncio.Event()
    reading = asyncio.create_task(
        read_events(service.client, 1, headers=service.headers_for(LAO), opened=opened)
    )
    await opened.wait()
    await _submit(service, "LAO")
    [(notification_id, data)] = await reading
    newest = await feed(service, LAO)
    assert notification_id == newest[0]["id"] == max(i["id"] for i in newest)
    assert data["audience"] == "national:LAO"


async def test_ids_are_committed_in_order_so_a_stream_never_skips_one(service: Api) -> None:
    """A second writer waits for the first to commit before it takes an id."""
    units_of_work = service.resources.unit_of_work
    opened = asyncio.Event()
    reading = asyncio.create_task(
        read_events(service.client, 2, headers=service.headers_for(SECRETARIAT), opened=opened)
    )
    await opened.wait()

    first = units_of_work()
    uow_a = await first.__aenter__()
    [id_a] = await FeedRepository(uow_a).add([_notice("first")], uuid4(), NOW)

    async def second_writer() -> list[int]:
        async with units_of_work() as uow_b:
            return await FeedRepository(uow_b).add([_notice("second")], uuid4(), NOW)

    writer_b = asyncio.create_task(second_writer())
    await _wait_for_lock_waiters(service, 1)  # B is blocked behind A, holding no id yet
    await first.__aexit__(None, None, None)
    [id_b] = await writer_b

    received = await reading
    assert id_a < id_b
    assert [notification_id for notification_id, _ in received] == [id_a, id_b]
    assert [data["summary"] for _, data in received] == ["first", "second"]


def _notice(summary: str) -> Notice:
    return Draft("request.submitted", summary, "test").to(OPERATOR, Severity.INFO)


async def test_an_unknown_or_foreign_last_event_id_is_refused(service: Api) -> None:
    await _submit(service, "KHM")
    [khm_only] = await feed(service, SECRETARIAT, audience="national:KHM")
    for last_event_id, status in [("999999", 404), (str(khm_only["id"]), 404), ("seven", 422)]:
        response = await service.client.get(
            "/v1/stream",
            headers={**service.headers_for(LAO), "Last-Event-ID": last_event_id},
        )
        assert response.status_code == status, (last_event_id, response.text)
        assert response.json()["field"] == "header.Last-Event-ID"


async def _wait_for_lock_waiters(service: Api, count: int) -> None:
    async def waiting() -> bool:
        rows = await fetch(
            service.resources.settings.database_url,
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted",
        )
        return int(rows[0][0]) >= count

    await eventually(waiting)
