"""What is waiting where: each service's outbox backlog and each consumer group's lag."""

from __future__ import annotations

from collections.abc import Iterable

import asyncpg
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient
from sqlalchemy.engine import make_url

from shared.settings import CommonSettings


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


async def consumer_lag(settings: CommonSettings) -> dict[str, int]:
    """Records not yet processed, per consumer group of this deployment's topic prefix."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    reader = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    await reader.start()
    try:
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
    finally:
        await reader.stop()
        await admin.close()
