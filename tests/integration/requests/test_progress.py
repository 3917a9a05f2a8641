"""The requests service moves requests along on matching's and the inventory's events, once each."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from services.requests.app.workers import ExpirySweep
from shared.events import Envelope
from shared.events.inventory import FundsReserved
from shared.events.matching import RequestCoverageChanged
from shared.topics import Stream
from tests.database import fetch
from tests.integration.requests.conftest import SECRETARIAT
from tests.integration.requests.flows import create, published
from tests.kafka import publish
from tests.polling import eventually
from tests.service_api import Api
from tests.system import Environment


async def _status(api: Api, request_id: str) -> str:
    response = await api.client.get(
        f"/v1/requests/{request_id}", headers=api.headers_for(SECRETARIAT)
    )
    answer: str = response.json()["status"]
    return answer


async def _status_becomes(api: Api, request_id: str, status: str) -> None:
    async def reached() -> bool:
        return await _status(api, request_id) == status

    await eventually(reached)


async def _handled(environment: Environment, count: int) -> None:
    """Until the inbox holds `count` events: the consumer has had its say on all of them."""

    async def all_in() -> bool:
        [row] = await fetch(environment.database_url, "SELECT count(*) FROM requests.inbox")
        return int(row[0]) >= count

    await eventually(all_in)


def _coverage(request_id: str, sequence: int, matched: str, full: bool) -> Envelope[Any]:
    payload = RequestCoverageChanged(
        request_id=UUID(request_id),
        sequence=sequence,
        matched_amount=Decimal(matched),
        currency="USD",
        fully_matched=full,
    )
    return Envelope(payload=payload, key=request_id, source="/clearinghouse/matching")


def _reserved(request_id: str, amount: str) -> Envelope[Any]:
    payload = FundsReserved(
        reservation_id=uuid4(),
        match_id=uuid4(),
        request_id=UUID(request_id),
        source_id=uuid4(),
        amount=Decimal(amount),
        currency="USD",
    )
    return Envelope(payload=payload, key=request_id, source="/clearinghouse/inventory")


async def _publish_globally(api: Api, stream: Stream, *events: Envelope[Any]) -> None:
    """Put `events` on the global topic of `stream`, as matching or the inventory would."""
    servers = api.resources.settings.kafka_bootstrap_servers
    await publish(servers, api.resources.topics.global_(stream), *events)


async def _history(api: Api, request_id: str) -> list[tuple[str, str]]:
    response = await api.client.get(
        f"/v1/requests/{request_id}/history", headers=api.headers_for(SECRETARIAT)
    )
    return [(h["action"], h["to_status"]) for h in response.json()]


async def test_coverage_moves_a_request_to_partly_matched_then_matched_once(
    live_api: Api, environment: Environment
) -> None:
    request = await published(live_api)
    rid = request["id"]
    partly = _coverage(rid, 1, "500000.00", False)
    full = _coverage(rid, 2, "1500000.00", True)

    await _publish_globally(live_api, Stream.MATCHES, partly, partly)  # the same event twice
    await _status_becomes(live_api, rid, "partly_matched")
    await _publish_globally(
        live_api, Stream.MATCHES, full, _coverage(rid, 1, "0", False)
    )  # an old view comes late
    await _handled(environment, 3)

    await _status_becomes(live_api, rid, "matched")
    assert (await _history(live_api, rid))[-2:] == [
        ("coverage", "partly_matched"),
        ("coverage", "matched"),
    ]


async def test_reservations_that_cover_the_amount_fund_the_request(
    live_api: Api, environment: Environment
) -> None:
    request = await published(live_api)
    rid = request["id"]
    half = _reserved(rid, "750000.00")

    await _publish_globally(live_api, Stream.FUNDS, half, half)  # redelivered: counted once
    await _publish_globally(live_api, Stream.FUNDS, _reserved(rid, "100.00"))
    await _handled(environment, 2)
    assert await _status(live_api, rid) == "published"

    await _publish_globally(live_api, Stream.FUNDS, _reserved(rid, "749900.00"))
    await _status_becomes(live_api, rid, "funded")
    assert (await _history(live_api, rid))[-1] == ("fund", "funded")


async def test_the_sweep_expires_open_requests_past_their_deadline_only(
    api: Api, environment: Environment
) -> None:
    soon = (date.today() + timedelta(days=2)).isoformat()
    later = (date.today() + timedelta(days=30)).isoformat()
    due = await create(api, deadline=soon)
    not_due = await create(api, deadline=later)
    sweep = ExpirySweep(api.resources)

    in_a_week = datetime.now(UTC) + timedelta(days=7)
    expired = await sweep.sweep(in_a_week)
    again = await sweep.sweep(in_a_week)

    statuses = {r["id"]: await _status(api, r["id"]) for r in (due, not_due)}
    assert (expired, again) == (1, 0)
    assert statuses == {due["id"]: "expired", not_due["id"]: "draft"}
    [row] = await fetch(
        environment.database_url,
        "SELECT count(*) FROM requests.outbox WHERE event_type LIKE '%request.expired%'",
    )
    assert row[0] == 2  # one event, on the national and the regional topic
