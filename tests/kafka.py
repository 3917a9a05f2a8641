"""Reading topics directly, as a regional centre or an operator tool would."""

from __future__ import annotations

import asyncio
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from shared.events import Envelope, EventPayload, decode, encode


async def read_topic(
    bootstrap_servers: str, topic: str, expected: int, *, seconds: float = 30
) -> list[ConsumerRecord[bytes, bytes]]:
    """Records from the beginning of `topic`, until `expected` arrived or `seconds` passed."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap_servers, auto_offset_reset="earliest", group_id=None
    )
    await consumer.start()
    records: list[ConsumerRecord[bytes, bytes]] = []
    try:
        async with asyncio.timeout(seconds):
            while len(records) < expected:
                batches = await consumer.getmany(timeout_ms=500)
                records += [record for batch in batches.values() for record in batch]
    except TimeoutError:
        pass
    finally:
        await consumer.stop()
    return records


async def publish(bootstrap_servers: str, topic: str, *envelopes: Envelope[Any]) -> None:
    """Publish events as another service's relay would: structured CloudEvents, keyed."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap_servers, enable_idempotence=True)
    await producer.start()
    try:
        for envelope in envelopes:
            message = encode(envelope)
            await producer.send_and_wait(
                topic,
                message.value,
                key=envelope.key.encode(),
                headers=list(message.headers.items()),
            )
    finally:
        await producer.stop()


async def delete_topics(bootstrap_servers: str, prefix: str) -> None:
    """Delete every topic whose name starts with `prefix`."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        names = [name for name in await admin.list_topics() if name.startswith(prefix)]
        if names:
            await admin.delete_topics(names)
    finally:
        await admin.close()


async def send(producer: AIOKafkaProducer, topic: str, envelope: Envelope[Any]) -> None:
    """Send one event as a service's relay would."""
    message = encode(envelope)
    await producer.send_and_wait(
        topic,
        value=message.value,
        key=envelope.key.encode(),
        headers=list(message.headers.items()),
    )


async def read_events(
    bootstrap_servers: str, topic: str, expected: int, *, seconds: float = 30
) -> list[Envelope[EventPayload]]:
    """The CloudEvents on `topic`, decoded, until `expected` arrived or `seconds` passed."""
    records = await read_topic(bootstrap_servers, topic, expected, seconds=seconds)
    return [decode(record.value, record.key) for record in records]


async def lag(bootstrap_servers: str, group: str, topic: str, partitions: int) -> int:
    """How many records of `topic` the consumer group `group` has not committed yet."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap_servers, group_id=group)
    await consumer.start()
    try:
        assigned = [TopicPartition(topic, p) for p in range(partitions)]
        ends = await consumer.end_offsets(assigned)
        return sum([ends[p] - (await consumer.committed(p) or 0) for p in assigned])
    finally:
        await consumer.stop()
