"""Reading topics directly, as a regional centre or an operator tool would."""

from __future__ import annotations

import asyncio
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord
from aiokafka.admin import AIOKafkaAdminClient

from shared.events.envelope import Envelope, encode


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
