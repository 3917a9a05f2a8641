"""Many commitments and accepted matches on one window at once: never more than its capacity, and a
definite answer for every one.

Two copies of the service take the HTTP commitments, each request in its own transaction on its
own connection; three members of the reservations consumer group take the accepted matches, each
sent twice under different event ids and keys so that the copies meet in different consumers.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from services.inventory.service import SERVICE as INVENTORY
from shared.consumer import Consumer
from shared.events import Envelope
from shared.events.inventory import FundsReservationFailed, FundsReserved
from shared.events.matching import Match, MatchAccepted
from shared.runtime import build_workers
from shared.topics import Stream
from tests.database import fetch
from tests.integration.inventory.conftest import EVERYONE, NORWAY
from tests.integration.inventory.flows import register
from tests.inventory_factories import act_body, window_body
from tests.kafka import lag, read_events, send
from tests.polling import eventually
from tests.service_api import Api, in_process_api
from tests.system import Environment

CAPACITY = Decimal("1000000.00")
GRANT = Decimal("12500.00")
COMMITMENTS = MATCHES = 60  # each side asks for three quarters of the capacity: together, 1.5


def accepted(
    source: dict[str, Any], request_id: UUID | None = None, amount: Decimal = GRANT
) -> Match:
    return Match(
        match_id=uuid4(),
        request_id=request_id or uuid4(),
        state="KHM",
        regional_centre="south-eastern-asia",
        source_id=UUID(source["id"]),
        window_id=UUID(source["windows"][0]["id"]),
        donor="norway",
        amount=amount,
        currency="USD",
    )


def group_members(api: Api, count: int) -> list[Consumer]:
    """More members of the service's own reservations consumer group."""
    return [
        worker
        for _ in range(count)
        for worker in build_workers(INVENTORY, api.resources)
        if isinstance(worker, Consumer) and worker.name == "reservations"
    ]


async def commit(api: Api, source: dict[str, Any]) -> int:
    body = act_body(source["windows"][0]["id"], str(GRANT), request_id=uuid4())
    response = await api.client.post(
        f"/v1/sources/{source['id']}/commitments", json=body, headers=api.headers_for(NORWAY)
    )
    if response.status_code == 409:
        assert response.json()["rule"] == "capacity-exceeded"
    return response.status_code


async def answered(environment: Environment, count: int) -> bool | None:
    sql = "SELECT count(*) AS n FROM inventory.reservations"
    return True if (await fetch(environment.database_url, sql))[0]["n"] >= count else None


async def caught_up(resources: Any) -> bool | None:
    settings = resources.settings
    group = f"{settings.topic_prefix}.inventory.reservations"
    topic = resources.topics.global_(Stream.MATCHES)
    behind = await lag(settings.kafka_bootstrap_servers, group, topic, settings.topic_partitions)
    return True if behind == 0 else None


async def all_sent(environment: Environment) -> bool | None:
    sql = "SELECT count(*) AS n FROM inventory.outbox WHERE sent_at IS NULL"
    return True if (await fetch(environment.database_url, sql))[0]["n"] == 0 else None


async def test_one_window_is_never_overdrawn_and_everyone_gets_an_answer(
    live_api: Api, environment: Environment
) -> None:
    source = await register(
        live_api, windows=[window_body(str(CAPACITY))], min_grant=None, max_grant=None
    )
    resources = live_api.resources
    matches = [accepted(source) for _ in range(MATCHES)]
    members = group_members(live_api, 2)
    tasks = [asyncio.create_task(member.run()) for member in members]
    try:
        async for copy in in_process_api(INVENTORY, environment, EVERYONE, workers=False):
            # a second copy of the service, with its own connection pool
            topic = resources.topics.global_(Stream.MATCHES)
            sending = asyncio.create_task(send_twice(resources.producer, topic, matches))
            await eventually(lambda: answered(environment, 1), seconds=60)  # consumers at work
            statuses = await asyncio.gather(
                *(commit((live_api, copy)[n % 2], source) for n in range(COMMITMENTS))
            )
            await sending
        await eventually(lambda: answered(environment, MATCHES), seconds=120)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    await eventually(lambda: caught_up(resources), seconds=120)  # every copy handled
    await eventually(lambda: all_sent(environment), seconds=60)

    rows = await fetch(environment.database_url, "SELECT * FROM inventory.reservations")

    window = (await fetch(environment.database_url, "SELECT * FROM inventory.windows"))[0]
    entries = await fetch(
        environment.database_url, "SELECT sum(amount) AS total FROM inventory.ledger_entries"
    )
    statuses_seen = Counter(statuses)
    funds = await read_events(
        resources.settings.kafka_bootstrap_servers,
        resources.topics.global_(Stream.FUNDS),
        MATCHES + statuses_seen[201] + 1,  # answers and commitments, and one too many
        seconds=10,
    )
    answers = [f for f in funds if isinstance(f.payload, FundsReserved | FundsReservationFailed)]
    held = [r for r in rows if r["status"] == "held"]
    assert set(statuses_seen) <= {201, 409}, statuses_seen
    assert len(rows) == MATCHES
    assert {r["match_id"] for r in rows} == {m.match_id for m in matches}
    assert {r["reason"] for r in rows if r["status"] == "failed"} <= {"capacity-gone"}
    assert window["committed"] + window["reserved"] == CAPACITY  # all of it, and no more
    assert window["committed"] == entries[0]["total"] == statuses_seen[201] * GRANT
    assert window["reserved"] == sum(r["amount"] for r in held)
    assert statuses_seen[201] + len(held) == CAPACITY / GRANT
    assert len(answers) == MATCHES
    assert len(funds) == MATCHES + statuses_seen[201]
    reserved = [a for a in answers if isinstance(a.payload, FundsReserved)]
    assert len(reserved) == len(held) > 0
    assert statuses_seen[201] > 0
    assert {a.payload.match_id for a in answers} == {m.match_id for m in matches}  # type: ignore[attr-defined]


async def test_one_request_never_gets_more_than_the_maximum_grant_from_one_source(
    live_api: Api, environment: Environment
) -> None:
    """Eight acceptances of 100,000 for one request, each sent twice, taken by three consumers
    at once: the source's maximum grant of 400,000 holds, and the rest fail with the reason."""
    source = await register(live_api, windows=[window_body("5000000.00")], max_grant="400000.00")
    request_id = uuid4()
    matches = [accepted(source, request_id, Decimal("100000.00")) for _ in range(8)]
    members = group_members(live_api, 2)
    tasks = [asyncio.create_task(member.run()) for member in members]
    try:
        topic = live_api.resources.topics.global_(Stream.MATCHES)
        await send_twice(live_api.resources.producer, topic, matches)
        await eventually(lambda: answered(environment, len(matches)), seconds=120)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    rows = await fetch(environment.database_url, "SELECT * FROM inventory.reservations")

    held = [r for r in rows if r["status"] == "held"]
    assert len(rows) == len(matches)
    assert sum(r["amount"] for r in held) == Decimal("400000.00")
    assert Counter(r["reason"] for r in rows if r["status"] == "failed") == {
        "above-maximum-grant": 4
    }


async def send_twice(producer: Any, topic: str, matches: list[Match]) -> None:
    """Each acceptance twice, all at once: keyed by request, then by match, so that the two
    copies of one acceptance part ways and meet in different consumers."""
    envelopes = [
        Envelope(MatchAccepted(match=match, accepted_by="donor:norway"), str(key), "/tests")
        for match in matches
        for key in (match.request_id, match.match_id)
    ]
    await asyncio.gather(*(send(producer, topic, envelope) for envelope in envelopes))
