"""The local Kafka and PostgreSQL provide what the project relies on, and survive crashes."""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from collections.abc import Callable

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from deploy.local.stack import LocalStack

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def new_topic(bootstrap_servers: str, partitions: int = 3) -> str:
    name = f"infra-{uuid.uuid4().hex[:12]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, partitions, replication_factor=1)])
    finally:
        await admin.close()
    return name


async def consume_until(
    consumer: AIOKafkaConsumer, done: Callable[[list[ConsumerRecord]], bool]
) -> list[ConsumerRecord]:
    records: list[ConsumerRecord] = []
    async with asyncio.timeout(30):
        while not done(records):
            for batch in (await consumer.getmany(timeout_ms=500)).values():
                records.extend(batch)
    return records


async def test_idempotent_producer_and_group_consumer_keep_per_key_order(
    stack: LocalStack,
) -> None:
    bootstrap = stack.kafka_bootstrap_servers
    topic = await new_topic(bootstrap)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, acks="all")
    await producer.start()
    try:
        for i in range(100):
            await producer.send(topic, key=f"key-{i % 7}".encode(), value=str(i).encode())
        await producer.flush()
    finally:
        await producer.stop()

    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"group-{topic}",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        records = await consume_until(consumer, lambda got: len(got) >= 100)
        await consumer.commit()
        partitions = sorted(consumer.assignment())
        committed = [await consumer.committed(tp) for tp in partitions]
        end_offsets = await consumer.end_offsets(partitions)
    finally:
        await consumer.stop()

    values_by_key: dict[bytes, list[int]] = defaultdict(list)
    for record in records:
        values_by_key[record.key].append(int(record.value))
    assert sorted(int(record.value) for record in records) == list(range(100))
    assert all(values == sorted(values) for values in values_by_key.values())
    assert len(partitions) == 3
    assert committed == [end_offsets[tp] for tp in partitions]


async def test_read_committed_consumer_sees_committed_transactions_only(
    stack: LocalStack,
) -> None:
    bootstrap = stack.kafka_bootstrap_servers
    topic = await new_topic(bootstrap, partitions=1)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, transactional_id=f"tx-{topic}")
    await producer.start()
    try:
        async with producer.transaction():
            await producer.send_and_wait(topic, b"committed-1")
            await producer.send_and_wait(topic, b"committed-2")
        await producer.begin_transaction()
        await producer.send_and_wait(topic, b"aborted-1")
        await producer.abort_transaction()
        async with producer.transaction():
            await producer.send_and_wait(topic, b"last")
    finally:
        await producer.stop()

    assert await read_all(bootstrap, topic, "read_committed") == [
        b"committed-1",
        b"committed-2",
        b"last",
    ]
    # The aborted record did reach the log: only the isolation level hides it.
    assert b"aborted-1" in await read_all(bootstrap, topic, "read_uncommitted")


async def read_all(bootstrap: str, topic: str, isolation_level: str) -> list[bytes]:
    """Values of `topic` from the beginning up to the record `last`."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        isolation_level=isolation_level,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        records = await consume_until(
            consumer, lambda got: any(record.value == b"last" for record in got)
        )
    finally:
        await consumer.stop()
    return [record.value for record in records]


async def test_postgres_keeps_committed_rows_across_a_crash(stack: LocalStack) -> None:
    if stack.postgres is None:
        pytest.skip("DATABASE_URL names an external server")
    dsn = stack.database_url.replace("+asyncpg", "")
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("CREATE TABLE crash_probe (id int PRIMARY KEY, note text)")
        await conn.execute("INSERT INTO crash_probe VALUES (1, 'before the crash')")
        started_before = await conn.fetchval("SELECT pg_postmaster_start_time()")
    finally:
        await conn.close()

    stack.postgres.kill()
    assert not stack.postgres.running
    stack.postgres.start()

    conn = await asyncpg.connect(dsn)
    try:
        note = await conn.fetchval("SELECT note FROM crash_probe WHERE id = 1")
        started_after = await conn.fetchval("SELECT pg_postmaster_start_time()")
    finally:
        await conn.close()
    assert note == "before the crash"
    assert started_after > started_before


async def test_kafka_keeps_acknowledged_records_across_a_crash(stack: LocalStack) -> None:
    if stack.kafka is None:
        pytest.skip("KAFKA_BOOTSTRAP_SERVERS names an external broker")
    bootstrap = stack.kafka_bootstrap_servers
    topic = await new_topic(bootstrap, partitions=1)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(topic, b"last")
    finally:
        await producer.stop()

    stack.kafka.kill()
    assert not stack.kafka.running
    stack.kafka.start()

    assert await read_all(bootstrap, topic, "read_committed") == [b"last"]
