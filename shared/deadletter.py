"""Replaying a service's dead-letter topic once the cause is fixed.

Each dead-lettered record goes back to the topic it came from (its `deadletter-topic` header),
with its original key, value and headers, so the consumers see it as if it were new; the inbox
still makes a repeat harmless. The replay reads with a consumer group of its own and commits as
it goes, so a second replay sends only what was dead-lettered since.
"""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord

from shared.settings import CommonSettings
from shared.topics import Topics

DEADLETTER_HEADER_PREFIX = "deadletter-"


async def replay(settings: CommonSettings, service: str, idle_seconds: float = 3.0) -> int:
    """Send back what `service`'s dead-letter topic holds and was not replayed; returns how many."""
    topics = Topics(settings.topic_prefix)
    consumer = AIOKafkaConsumer(
        topics.deadletter(service),
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=f"{settings.topic_prefix}.deadletter-replay.{service}",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap_servers, enable_idempotence=True, acks="all"
    )
    await consumer.start()
    await producer.start()
    replayed = 0
    try:
        while batches := await consumer.getmany(timeout_ms=int(idle_seconds * 1000)):
            records = [r for batch in batches.values() for r in batch]
            deliveries = [await _send_back(producer, r) for r in records if _origin(r)]
            await asyncio.gather(*deliveries)
            await consumer.commit()
            replayed += len(deliveries)
    finally:
        await producer.stop()
        await consumer.stop()
    return replayed


def _origin(record: ConsumerRecord[bytes, bytes]) -> str | None:
    """The topic the record was dead-lettered from; None for one not put there by a consumer."""
    topic = dict(record.headers).get("deadletter-topic")
    return topic.decode() if topic else None


async def _send_back(
    producer: AIOKafkaProducer, record: ConsumerRecord[bytes, bytes]
) -> asyncio.Future[object]:
    original = [(k, v) for k, v in record.headers if not k.startswith(DEADLETTER_HEADER_PREFIX)]
    future: asyncio.Future[object] = await producer.send(
        _origin(record) or "", value=record.value, key=record.key, headers=original
    )
    return future
