"""Across the real broker: a published request and an available source produce proposals; the
donor accepts; the inventory's answer completes the saga or re-opens the need.

The inventory is not run here: the tests publish the `FundsReserved` or
`FundsReservationFailed` event a reservation would produce, on the funds topic, as the inventory
does. The four services together are tested end to end under issue 7.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest

from services.matching.adapters.repository import MatchRepository
from services.requests.service import SERVICE as REQUESTS
from shared.events.inventory import FundsReservationFailed, FundsReserved, ReservationFailure
from shared.events.requests import Amount, RequestWithdrawn
from shared.topics import Stream
from tests.database import fetch
from tests.integration.matching.conftest import (
    NORWAY,
    OPERATOR,
    SECRETARIAT,
    changed,
    eventually,
    publish,
    published,
)
from tests.integration.requests.conftest import EVERYONE as REQUEST_PRINCIPALS
from tests.integration.requests.conftest import SECRETARIAT as REQUESTS_SECRETARIAT
from tests.integration.requests.flows import published as publish_request
from tests.kafka import read_topic
from tests.matching_factories import request_details, source, window
from tests.service_api import Api, in_process_api
from tests.system import Environment


@pytest.fixture
async def requests_api(environment: Environment) -> AsyncIterator[Api]:
    async for api in in_process_api(REQUESTS, environment, REQUEST_PRINCIPALS, workers=True):
        yield api


async def proposals_for(api: Api, request_id: object, status: str = "proposed") -> list[Any]:
    answer = await api.client.get(
        f"/v1/requests/{request_id}/proposals",
        params={"status": status},
        headers=api.headers_for(OPERATOR),
    )
    body: list[Any] = answer.json()
    return body


async def request_status(api: Api, request_id: str) -> str:
    answer = await api.client.get(
        f"/v1/requests/{request_id}", headers=api.headers_for(REQUESTS_SECRETARIAT)
    )
    status: str = answer.json()["status"]
    return status


async def test_a_published_request_is_proposed_accepted_reserved_and_funded(
    requests_api: Api, live_api: Api, environment: Environment
) -> None:
    resources = live_api.resources
    fund = source(window("2000000.00"))
    await publish(
        resources, resources.topics.global_(Stream.SOURCES), changed(fund), str(fund.source_id)
    )
    request = await publish_request(requests_api)

    found = await eventually(lambda: proposals_for(live_api, request["id"]), lambda p: len(p) == 1)
    proposal = found[0]
    accepted = await live_api.client.post(
        f"/v1/proposals/{proposal['id']}/accept", headers=live_api.headers_for(NORWAY)
    )
    matched = await eventually(
        lambda: request_status(requests_api, request["id"]), lambda s: s == "matched"
    )
    reserved = FundsReserved(
        reservation_id=uuid4(),
        match_id=UUID(proposal["id"]),
        request_id=UUID(request["id"]),
        source_id=fund.source_id,
        amount=Decimal(proposal["amount"]),
        currency="USD",
    )
    await publish(resources, resources.topics.global_(Stream.FUNDS), reserved, request["id"])
    funded = await eventually(
        lambda: request_status(requests_api, request["id"]), lambda s: s == "funded"
    )
    done = await eventually(
        lambda: proposals_for(live_api, request["id"], "reserved"), lambda p: len(p) == 1
    )

    assert proposal["amount"] == "1500000.00"
    assert proposal["regional_centre"] == "south-eastern-asia"
    assert accepted.status_code == 200, accepted.text
    assert (matched, funded) == ("matched", "funded")
    assert done[0]["id"] == proposal["id"]
    regional = await read_topic(
        environment.kafka_bootstrap_servers,
        resources.topics.regional("south-eastern-asia", Stream.MATCHES),
        3,
    )
    assert len(regional) >= 3  # proposed, accepted, coverage: the centre follows its region

    async def allocation_reads() -> set[UUID]:
        async with resources.unit_of_work() as uow:
            return {m.id for m in await MatchRepository(uow).live()}

    # The commitment stays reserved, but allocation no longer loads (and locks) it once the
    # funded request is closed to matching.
    await eventually(allocation_reads, lambda ids: UUID(proposal["id"]) not in ids)


async def test_a_failed_reservation_reopens_the_need_and_another_window_is_proposed(
    live_api: Api, environment: Environment
) -> None:
    resources = live_api.resources
    topics = resources.topics
    details = request_details(amount=Amount(value=Decimal("500000.00"), currency="USD"))
    first, second = window("800000.00"), window("800000.00")
    fund = source(first, second)
    await publish(resources, topics.global_(Stream.SOURCES), changed(fund), str(fund.source_id))
    await publish(
        resources, topics.global_(Stream.REQUESTS), published(details), str(details.request_id)
    )
    proposal = (
        await eventually(lambda: proposals_for(live_api, details.request_id), lambda p: len(p) == 1)
    )[0]
    await live_api.client.post(
        f"/v1/proposals/{proposal['id']}/accept", headers=live_api.headers_for(NORWAY)
    )

    failure = FundsReservationFailed(
        match_id=UUID(proposal["id"]),
        request_id=details.request_id,
        source_id=fund.source_id,
        amount=Decimal(proposal["amount"]),
        currency="USD",
        reason=ReservationFailure.CAPACITY_GONE,
        detail="the window was spent elsewhere",
    )
    sent = await publish(resources, topics.global_(Stream.FUNDS), failure, str(details.request_id))
    await publish(
        resources, topics.global_(Stream.FUNDS), failure, str(details.request_id)
    )  # twice
    again = await eventually(
        lambda: proposals_for(live_api, details.request_id),
        lambda p: len(p) == 1 and p[0]["window_id"] != proposal["window_id"],
    )

    failed = await proposals_for(live_api, details.request_id, "failed")
    coverage = await fetch(
        environment.database_url,
        "SELECT sequence, matched_amount FROM matching.coverage WHERE request_id = $1",
        details.request_id,
    )
    assert sent.id is not None
    assert [p["id"] for p in failed] == [proposal["id"]]
    assert failed[0]["reason"].startswith("capacity-gone")
    other = {str(first.window_id), str(second.window_id)} - {proposal["window_id"]}
    assert {again[0]["window_id"]} == other
    assert [(c["sequence"], c["matched_amount"]) for c in coverage] == [(2, Decimal("0.00"))]


async def test_secretariat_reallocation_over_http_is_idempotent(live_api: Api) -> None:
    headers = {**live_api.headers_for(SECRETARIAT), "Idempotency-Key": "nightly-1"}

    first = await live_api.client.post("/v1/allocations", headers=headers)
    second = await live_api.client.post("/v1/allocations", headers=headers)

    assert first.status_code == second.status_code == 200
    assert second.headers["idempotent-replayed"] == "true"


async def test_a_withdrawn_request_has_its_proposals_withdrawn(live_api: Api) -> None:
    resources = live_api.resources
    topics = resources.topics
    details = request_details()
    fund = source()
    await publish(resources, topics.global_(Stream.SOURCES), changed(fund), str(fund.source_id))
    key = str(details.request_id)
    await publish(resources, topics.global_(Stream.REQUESTS), published(details), key)
    await eventually(lambda: proposals_for(live_api, details.request_id), lambda p: len(p) == 1)

    gone = details.model_copy(update={"version": 5, "status": "withdrawn"})
    withdrawal = RequestWithdrawn(request=gone, from_status="published", actor="national:LAO")
    await publish(resources, topics.global_(Stream.REQUESTS), withdrawal, key)
    withdrawn = await eventually(
        lambda: proposals_for(live_api, details.request_id, "withdrawn"), lambda p: len(p) == 1
    )

    assert withdrawn[0]["reason"] == "request withdrawn"
    assert await proposals_for(live_api, details.request_id) == []
