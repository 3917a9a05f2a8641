"""What is waiting where: each service's outbox backlog and each consumer group's lag."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Iterable

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from sqlalchemy.engine import make_url

from shared.runtime import ServiceDefinition, all_subscriptions, consumer_group
from shared.settings import CommonSettings
from shared.topics import Topics

SETTLE_POLL_SECONDS = 0.25


async def outbox_backlog(settings: CommonSettings, services: Iterable[str]) -> dict[str, int]:
    """Rows each service wrote to its outbox that the broker has not acknowledged yet."""
    url = make_url(settings.database_url).set(drivername="postgresql")
    connection = await asyncpg.connect(url.render_as_string(hide_password=False))
    try:
        return {
            service: await connection.fetchval(
                f'SELECT count(*) FROM "{service}".outbox WHERE sent_at IS NULL'
            )
            for service in services
        }
    finally:
        await connection.close()


@contextlib.asynccontextmanager
async def _broker(
    settings: CommonSettings,
) -> AsyncIterator[tuple[AIOKafkaAdminClient, AIOKafkaConsumer]]:
    """An admin client for groups and topics, and a consumer of no group for offsets."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    reader = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    await reader.start()
    try:
        yield admin, reader
    finally:
        await reader.stop()
        await admin.close()


async def consumer_lag(settings: CommonSettings) -> dict[str, int]:
    """Records not yet processed, per consumer group of this deployment's topic prefix."""
    async with _broker(settings) as (admin, reader):
        groups = [
            group_id
            for group_id, *_ in await admin.list_consumer_groups()
            if group_id.startswith(f"{settings.topic_prefix}.")
        ]
        lag = {}
        for group in sorted(groups):
            committed = await admin.list_consumer_group_offsets(group)
            ends = await reader.end_offsets(list(committed))
            lag[group] = sum(ends[tp] - meta.offset for tp, meta in committed.items())
        return lag


async def unread(
    settings: CommonSettings, definitions: Iterable[ServiceDefinition]
) -> dict[str, int]:
    """Records on each subscription's topics that its consumer group has not processed yet.

    Unlike `consumer_lag`, a partition the group has never committed on counts from its first
    record, so a subscription that has read nothing yet is not mistaken for one that is done."""
    async with _broker(settings) as (admin, reader):
        return await _unread(admin, reader, settings.topic_prefix, definitions)


async def _unread(
    admin: AIOKafkaAdminClient,
    reader: AIOKafkaConsumer,
    prefix: str,
    definitions: Iterable[ServiceDefinition],
) -> dict[str, int]:
    existing = {
        topic["topic"]: [partition["partition"] for partition in topic["partitions"]]
        for topic in await admin.describe_topics()  # every topic: none is created by asking
    }
    topics = Topics(prefix)
    found = {}
    for definition in definitions:
        for subscription in all_subscriptions(definition):
            partitions = [
                TopicPartition(topic, partition)
                for topic in subscription.topics(topics)
                for partition in existing.get(topic, ())
            ]
            group = consumer_group(prefix, definition, subscription)
            committed = await admin.list_consumer_group_offsets(group)
            firsts = await reader.beginning_offsets(partitions)
            ends = await reader.end_offsets(partitions)
            found[group] = sum(
                ends[tp] - max(firsts[tp], committed[tp].offset if tp in committed else -1)
                for tp in partitions
            )
    return found


async def settle(
    settings: CommonSettings, definitions: Iterable[ServiceDefinition], seconds: float
) -> dict[str, int]:
    """Wait up to about `seconds` until every event written is on the broker and read by every
    subscription; returns what is still waiting (nothing when settled), by outbox and group.
    The broker's clients are opened once for all the polls."""
    definitions = list(definitions)
    deadline = time.monotonic() + seconds
    async with _broker(settings) as (admin, reader):
        while True:
            try:
                waiting = {
                    **await outbox_backlog(settings, (d.name for d in definitions)),
                    **await _unread(admin, reader, settings.topic_prefix, definitions),
                }
            except KafkaError as error:  # the broker not ready to say, such as a coordinator
                waiting = {type(error).__name__: 1}
            waiting = {where: count for where, count in waiting.items() if count}
            if not waiting or time.monotonic() > deadline:
                return waiting
            await asyncio.sleep(SETTLE_POLL_SECONDS)
