"""Rebuild the read model from the topics, from the beginning.

`python -m services.matching rebuild` reads every request and source event and every ledger
entry the global topics hold (they keep events for ever), up to the end they had when the rebuild
started, and applies them to empty read-model tables in one transaction: other copies of the
service go on reading the old tables until it commits. The same functions apply the events as
the live consumer does, and each keeps the highest version of an aggregate (ledger entries never
change), so the order in which partitions are read does not matter and the result equals what
the live consumer built.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from sqlalchemy.ext.asyncio import AsyncSession

from services.matching.adapters.repository import ReadModel
from services.matching.app.handlers import READ_MODEL_HANDLERS
from services.matching.settings import MatchingSettings
from shared.db import create_engine, session_factory
from shared.events import MalformedEvent, decode
from shared.topics import Stream, Topics

log = logging.getLogger(__name__)
STREAMS = (Stream.REQUESTS, Stream.SOURCES, Stream.FUNDS)
ASSIGNMENT_TRIES = 600

Progress = Callable[[int, int], None]
"""Told after each batch: records read so far, and records to read in all."""


def _no_progress(read: int, total: int) -> None:
    pass


async def rebuild(settings: MatchingSettings, progress: Progress = _no_progress) -> int:
    """Replace the read model with one built from the topics; returns the events applied."""
    engine = create_engine(settings.service_database_url, pool_size=1)
    try:
        async with session_factory(engine).begin() as session:
            await ReadModel(session).clear()
            return await _replay(settings, session, progress)
    finally:
        await engine.dispose()


async def _replay(settings: MatchingSettings, session: AsyncSession, progress: Progress) -> int:
    names = {Topics(settings.topic_prefix).global_(stream) for stream in STREAMS}
    consumer = AIOKafkaConsumer(
        *names,
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=None,  # no group: every partition, from the beginning, nothing committed
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        partitions = list(await _every_partition(consumer, names))
        ends = await consumer.end_offsets(partitions)
        starts = await consumer.beginning_offsets(partitions)
        total = sum(ends[tp] - starts[tp] for tp in partitions)
        return await _apply_until(consumer, session, ends, lambda read: progress(read, total))
    finally:
        await consumer.stop()


async def _every_partition(consumer: AIOKafkaConsumer, names: set[str]) -> set[TopicPartition]:
    """The partitions of every topic, once the consumer has learnt them from the broker."""
    for _ in range(ASSIGNMENT_TRIES):
        assigned: set[TopicPartition] = consumer.assignment()
        if {partition.topic for partition in assigned} >= names:
            return assigned
        await asyncio.sleep(0.1)
    raise RuntimeError(f"the broker did not describe {sorted(names)}")


async def _apply_until(
    consumer: AIOKafkaConsumer,
    session: AsyncSession,
    ends: dict[TopicPartition, int],
    progress: Callable[[int], None],
) -> int:
    applied = read = 0
    remaining = {tp for tp, end in ends.items() if end > 0}
    while remaining:
        batches: dict[TopicPartition, list[Any]] = await consumer.getmany(
            *remaining, timeout_ms=1000
        )
        for partition, records in batches.items():
            for record in records:
                if record.offset < ends[partition]:
                    applied += await _apply(session, record)
                    read += 1
            if await consumer.position(partition) >= ends[partition]:
                remaining.discard(partition)
        progress(read)
    return applied


async def _apply(session: AsyncSession, record: Any) -> int:
    try:
        envelope = decode(record.value, record.key)
    except MalformedEvent as error:
        log.warning("skipped a malformed record at %s@%d: %s", record.topic, record.offset, error)
        return 0
    handler = READ_MODEL_HANDLERS.get(type(envelope.payload))
    if handler is None:
        return 0
    await handler(session, envelope)
    return 1
