"""What a consumer cannot handle goes to the dead-letter topic, and the consumer goes on."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

from sqlalchemy import select

from services.notifications.adapters.tables import NotificationRow
from services.notifications.service import SERVICE as NOTIFICATIONS
from services.notifications.settings import NotificationsSettings
from shared import deadletter
from shared.consumer import Consumer, HandlerMap, RetryPolicy
from shared.events import Envelope
from shared.events.requests import RequestSubmitted
from shared.runtime import Resources, running_service
from shared.topics import Stream
from shared.unit_of_work import UnitOfWork
from tests.factories import submitted_event
from tests.kafka import read_topic, send
from tests.polling import eventually
from tests.system import Environment


def submitted() -> Envelope[RequestSubmitted]:
    payload = submitted_event()
    return Envelope(payload=payload, key=str(payload.request.request_id), source="/tests")


async def notified(resources: Resources, event_id: UUID, *, seconds: float = 30) -> bool:
    async with asyncio.timeout(seconds):
        while True:
            async with resources.sessions() as session:
                found = await session.scalar(
                    select(NotificationRow.id).where(NotificationRow.event_id == event_id)
                )
            if found is not None:
                return True
            await asyncio.sleep(0.2)


def _consumer(
    resources: Resources, name: str, handlers: HandlerMap, *, max_attempts: int
) -> Consumer:
    """A consumer of the global requests topic in the notifications service's schema."""
    settings = resources.settings
    return Consumer(
        name=name,
        group_id=f"{settings.topic_prefix}.{name}",
        bootstrap_servers=settings.kafka_bootstrap_servers,
        handlers=handlers,
        unit_of_work=resources.unit_of_work,
        inbox=NOTIFICATIONS.tables.inbox,
        producer=resources.producer,
        deadletter_topic=resources.topics.deadletter("notifications"),
        topics=[resources.topics.global_(Stream.REQUESTS)],
        retry=RetryPolicy(max_attempts=max_attempts, backoff_seconds=0.05),
    )


def headers_of(record: Any) -> dict[str, str]:
    return {name: value.decode() for name, value in record.headers}


async def test_a_malformed_record_is_deadlettered_and_the_next_one_handled(
    environment: Environment,
) -> None:
    settings = environment.settings(NotificationsSettings)
    async with running_service(NOTIFICATIONS, settings) as resources:
        topic = resources.topics.national(Stream.REQUESTS)
        good = submitted()
        await resources.producer.send_and_wait(
            topic, value=b"{not a cloud event", key=b"k1", headers=[("origin", b"test")]
        )
        await send(resources.producer, topic, good)

        assert await notified(resources, good.id)
        deadletters = await read_topic(
            settings.kafka_bootstrap_servers, resources.topics.deadletter("notifications"), 1
        )

    assert len(deadletters) == 1
    record = deadletters[0]
    headers = headers_of(record)
    assert record.value == b"{not a cloud event"
    assert record.key == b"k1"
    assert headers["origin"] == "test"
    assert headers["deadletter-topic"] == topic
    assert headers["deadletter-consumer"] == "feed"
    assert "not a CloudEvent" in headers["deadletter-error"]


async def test_a_handler_that_keeps_failing_is_retried_then_deadlettered(
    environment: Environment,
) -> None:
    settings = environment.settings(NotificationsSettings)
    attempts: list[UUID] = []
    handled: list[UUID] = []
    good_handled = asyncio.Event()

    async def flaky(uow: UnitOfWork, envelope: Envelope[RequestSubmitted]) -> None:
        if envelope.payload.request.title == "poison":
            attempts.append(envelope.id)
            raise ValueError("cannot handle this one")
        handled.append(envelope.id)
        good_handled.set()

    async with running_service(NOTIFICATIONS, settings, workers=False) as resources:
        topic = resources.topics.global_(Stream.REQUESTS)
        consumer = _consumer(resources, "flaky", {RequestSubmitted: flaky}, max_attempts=3)
        good = submitted()
        # One key, so one partition: the poison comes first, and the good event only after it
        # was dead-lettered. On two partitions the good one could be handled first.
        poison = Envelope(submitted_event(title="poison"), key=good.key, source="/tests")
        await send(resources.producer, topic, poison)
        await send(resources.producer, topic, good)
        task = asyncio.create_task(consumer.run())
        try:
            await asyncio.wait_for(good_handled.wait(), 30)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        deadletters = await read_topic(
            settings.kafka_bootstrap_servers, resources.topics.deadletter("notifications"), 1
        )

    assert attempts == [poison.id] * 3
    assert handled == [good.id]
    assert consumer.deadlettered == 1
    assert len(deadletters) == 1
    assert "ValueError: cannot handle this one" in headers_of(deadletters[0])["deadletter-error"]


async def test_a_replay_sends_deadlettered_events_back_once_the_cause_is_fixed(
    environment: Environment,
) -> None:
    settings = environment.settings(NotificationsSettings)
    broken = True
    handled: list[UUID] = []

    async def fragile(uow: UnitOfWork, envelope: Envelope[RequestSubmitted]) -> None:
        if broken:
            raise RuntimeError("the bug before the fix")
        handled.append(envelope.id)

    async with running_service(NOTIFICATIONS, settings, workers=False) as resources:
        topic = resources.topics.global_(Stream.REQUESTS)
        consumer = _consumer(resources, "fragile", {RequestSubmitted: fragile}, max_attempts=2)
        event = submitted()
        await send(resources.producer, topic, event)
        task = asyncio.create_task(consumer.run())
        try:
            await eventually(lambda: consumer.deadlettered == 1)
            broken = False
            replayed = await deadletter.replay(settings, "notifications")
            await eventually(lambda: handled == [event.id])
            again = await deadletter.replay(settings, "notifications", idle_seconds=1)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        records = await read_topic(settings.kafka_bootstrap_servers, topic, 2)

    assert (replayed, again) == (1, 0)
    assert records[0].value == records[1].value
    assert not any(name.startswith("deadletter-") for name, _ in records[1].headers)
