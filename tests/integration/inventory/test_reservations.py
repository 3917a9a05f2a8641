"""Accepted matches arrive over Kafka and get exactly one answer each, however often they come."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from services.inventory.service import SERVICE as INVENTORY
from services.requests.adapters.events import details
from shared.consumer import Consumer
from shared.events import Envelope
from shared.events.inventory import (
    FundsReservationFailed,
    FundsReserved,
    ReservationFailure,
    SourceChanged,
)
from shared.events.matching import Match, MatchAccepted
from shared.events.requests import RequestWithdrawn
from shared.runtime import build_workers
from shared.topics import Stream
from tests.database import fetch
from tests.factories import draft_request
from tests.integration.inventory.flows import register
from tests.kafka import read_events, send
from tests.polling import eventually
from tests.service_api import Api
from tests.system import Environment


def accepted(
    source: dict[str, Any], state: str = "LAO", source_id: UUID | None = None
) -> Envelope[Any]:
    match = Match(
        match_id=uuid4(),
        request_id=uuid4(),
        state=state,
        regional_centre=None,
        source_id=source_id or UUID(source["id"]),
        window_id=UUID(source["windows"][0]["id"]),
        donor="norway",
        amount=Decimal("300000.00"),
        currency="USD",
    )
    payload = MatchAccepted(match=match, accepted_by="donor:norway")
    return Envelope(payload=payload, key=str(match.request_id), source="/tests/matching")


async def reservations(environment: Environment, count: int) -> list[Any] | None:
    rows = await fetch(
        environment.database_url, "SELECT * FROM inventory.reservations ORDER BY created_at"
    )
    return rows if len(rows) >= count else None


async def all_sent(environment: Environment) -> bool | None:
    unsent = await fetch(
        environment.database_url,
        "SELECT count(*) AS n FROM inventory.outbox WHERE sent_at IS NULL",
    )
    return True if unsent[0]["n"] == 0 else None


def replaying_consumer(live_api: Api) -> Consumer:
    """The reservations consumer under another name and group: it reads every event again,
    and its inbox, empty, lets every one through to the handler."""
    resources = live_api.resources
    (original,) = [
        w for w in build_workers(INVENTORY, resources) if getattr(w, "name", "") == "reservations"
    ]
    return Consumer(
        name="reservations-replay",
        group_id=f"{original.group_id}-replay",
        bootstrap_servers=original.bootstrap_servers,
        handlers={MatchAccepted: original.handlers[MatchAccepted.cloudevent_type()]},
        unit_of_work=resources.unit_of_work,
        inbox=INVENTORY.tables.inbox,
        producer=resources.producer,
        deadletter_topic=original.deadletter_topic,
        topics=original.topics,
    )


async def test_an_accepted_match_is_answered_once_whatever_the_redeliveries(
    live_api: Api, environment: Environment
) -> None:
    resources = live_api.resources
    matches = resources.topics.global_(Stream.MATCHES)
    source = await register(live_api)
    good, ineligible = accepted(source), accepted(source, state="NOR")
    unknown = accepted(source, source_id=uuid4())
    for envelope in (good, ineligible, unknown):
        await send(resources.producer, matches, envelope)
    await eventually(lambda: reservations(environment, 3))

    again = Envelope(payload=good.payload, key=good.key, source=good.source)  # a new event id
    for envelope in (good, again):
        await send(resources.producer, matches, envelope)
    replay = replaying_consumer(live_api)
    task = asyncio.create_task(replay.run())
    try:
        await eventually(lambda: _at_least(replay, 4))  # good, ineligible, unknown, again
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    await eventually(lambda: all_sent(environment))

    rows = await fetch(environment.database_url, "SELECT * FROM inventory.reservations")
    window = await fetch(environment.database_url, "SELECT reserved FROM inventory.windows")
    answers = await read_events(
        resources.settings.kafka_bootstrap_servers,
        resources.topics.global_(Stream.FUNDS),
        4,
        seconds=5,
    )
    changes = await read_events(
        resources.settings.kafka_bootstrap_servers, resources.topics.global_(Stream.SOURCES), 2
    )
    centre = await read_events(
        resources.settings.kafka_bootstrap_servers,
        resources.topics.regional("south-eastern-asia", Stream.FUNDS),
        2,
    )

    good_match = good.payload.match.match_id
    assert sorted((r["match_id"], r["status"]) for r in rows) == sorted(
        [
            (good_match, "held"),
            (ineligible.payload.match.match_id, "failed"),
            (unknown.payload.match.match_id, "failed"),
        ]
    )
    assert window[0]["reserved"] == Decimal("300000.00")
    assert len(answers) == 3
    reserved = next(a.payload for a in answers if isinstance(a.payload, FundsReserved))
    failed = [a.payload for a in answers if isinstance(a.payload, FundsReservationFailed)]
    assert (reserved.match_id, reserved.amount) == (good_match, Decimal("300000.00"))
    assert {(f.match_id, f.reason) for f in failed} == {
        (ineligible.payload.match.match_id, ReservationFailure.NOT_ELIGIBLE),
        (unknown.payload.match.match_id, ReservationFailure.UNKNOWN_SOURCE),
    }
    assert {a.key for a in answers} == {good.key, ineligible.key, unknown.key}
    assert [c.payload.change for c in changes if isinstance(c.payload, SourceChanged)] == [
        "registered",
        "ledger",
    ]
    assert changes[1].payload.source.windows[0].available == Decimal("700000.00")
    assert {a.payload.match_id for a in centre} == {good_match, unknown.payload.match.match_id}


async def _at_least(consumer: Consumer, handled: int) -> bool | None:
    return True if consumer.handled >= handled else None


async def test_a_withdrawn_request_gives_back_what_was_held_for_it(
    live_api: Api, environment: Environment
) -> None:
    resources = live_api.resources
    source = await register(live_api)
    match = accepted(source)
    await send(resources.producer, resources.topics.global_(Stream.MATCHES), match)
    await eventually(lambda: reservations(environment, 1))
    request = draft_request()
    request.id = match.payload.match.request_id
    withdrawn = RequestWithdrawn(
        request=details(request), from_status="published", actor="national:LAO"
    )
    await send(
        resources.producer,
        resources.topics.global_(Stream.REQUESTS),
        Envelope(payload=withdrawn, key=str(request.id), source="/tests/requests"),
    )

    async def released() -> Any:
        rows = await fetch(environment.database_url, "SELECT status FROM inventory.reservations")
        return rows if rows[0]["status"] == "released" else None

    await eventually(released)
    window = await fetch(environment.database_url, "SELECT reserved FROM inventory.windows")
    assert window[0]["reserved"] == 0
