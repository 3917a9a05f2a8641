"""Transactional outbox: events are rows written in the same transaction as the state they describe.

A relay publishes the rows in insertion order with an idempotent producer and marks them sent only
after the broker acknowledged them. A crash between the two publishes them again on restart, so
delivery is at least once; consumers drop the repeats with their inbox (shared.consumer).

Only one relay of a service publishes at a time (a transaction-scoped advisory lock), which keeps
the events of one key in order however many copies of the service run; the others stand by.
The relay wakes on a NOTIFY sent by the writing transaction at commit, and also sweeps on a timer,
so rows left by a crash or a lost notification go out too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import zlib
from collections.abc import Sequence
from dataclasses import KW_ONLY, dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from aiokafka import AIOKafkaProducer
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    LargeBinary,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    Uuid,
    delete,
    func,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import Sessions, Write, listen, ordered_insert, together
from shared.events import Envelope, encode
from shared.telemetry import EVENTS_PUBLISHED, OUTBOX_BACKLOG, current_traceparent

log = logging.getLogger(__name__)


def outbox_table(metadata: MetaData) -> Table:
    table = Table(
        "outbox",
        metadata,
        Column("id", BigInteger, primary_key=True, autoincrement=True),
        Column("event_id", Uuid, nullable=False),
        Column("event_type", String(200), nullable=False),
        Column("topic", String(249), nullable=False),
        Column("key", String(200), nullable=False),
        Column("headers", JSONB, nullable=False),
        Column("value", LargeBinary, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("sent_at", DateTime(timezone=True)),
        UniqueConstraint("event_id", "topic", name="uq_outbox_event_id_topic"),
    )
    Index("ix_outbox_unsent", table.c.id, postgresql_where=table.c.sent_at.is_(None))
    return table


class Outbox:
    """Where a unit of work puts the events it emits, before its one commit."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.channel = notify_channel(table)

    async def write(
        self,
        session: AsyncSession,
        envelopes: Sequence[tuple[Envelope[Any], Sequence[str]]],
        writes: Sequence[Write] = (),
    ) -> None:
        """Write each event once per topic, in one statement with `writes` (the other writes of
        the transaction that can go last) and the relay's wake-up; published after the
        surrounding transaction commits.

        Each event carries the current trace context, so its consumers continue the same trace.
        """
        traceparent = current_traceparent()
        rows = []
        for envelope, topics in envelopes:
            if envelope.traceparent is None:
                envelope = replace(envelope, traceparent=traceparent)
            message = encode(envelope)
            headers = {name: value.decode() for name, value in message.headers.items()}
            rows += [
                {
                    "event_id": envelope.id,
                    "event_type": envelope.type,
                    "topic": topic,
                    "key": envelope.key,
                    "headers": headers,
                    "value": message.value,
                }
                for topic in topics
            ]
        wake_relay = select(func.pg_notify(self.channel, ""))
        inserted = ordered_insert(self.table, rows)
        await session.execute(together([*writes, inserted], wake_relay))


def notify_channel(table: Table) -> str:
    return f"{table.schema}_outbox"


@dataclass
class OutboxRelay:
    """Publishes a service's outbox rows to Kafka, in order, and marks them sent."""

    table: Table
    sessions: Sessions
    producer: AIOKafkaProducer
    _: KW_ONLY
    listen_dsn: str
    batch_size: int = 500
    idle_poll_seconds: float = 1.0
    sent_retention: timedelta = timedelta(hours=24)
    published: int = field(default=0, init=False)
    _wakeup: asyncio.Event = field(default_factory=asyncio.Event, init=False)

    @property
    def lock_key(self) -> int:
        """The advisory lock only one relay of the service holds at a time."""
        return zlib.crc32(f"outbox:{self.table.schema}".encode())

    async def run(self) -> None:
        listener = asyncio.create_task(
            listen(self.listen_dsn, notify_channel(self.table), self._wakeup.set),
            name=f"{self.table.schema}-outbox-listen",
        )
        try:
            while True:
                try:
                    while await self.publish_batch() == self.batch_size:
                        pass
                    await self.measure_backlog()
                    await self.purge_sent()
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.warning("outbox relay pass failed; retrying", exc_info=True)
                    await asyncio.sleep(self.idle_poll_seconds)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wakeup.wait(), self.idle_poll_seconds)
                self._wakeup.clear()
        finally:
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listener

    async def publish_batch(self) -> int:
        """Publish up to one batch of unsent rows; returns how many were published."""
        t = self.table
        async with self.sessions.begin() as session:
            locked = await session.scalar(select(func.pg_try_advisory_xact_lock(self.lock_key)))
            if not locked:
                return 0
            rows = (
                await session.execute(
                    select(t.c.id, t.c.topic, t.c.key, t.c.headers, t.c.value)
                    .where(t.c.sent_at.is_(None))
                    .order_by(t.c.id)
                    .limit(self.batch_size)
                )
            ).all()
            if not rows:
                return 0
            deliveries = [
                await self.producer.send(
                    row.topic,
                    value=row.value,
                    key=row.key.encode(),
                    headers=[(name, value.encode()) for name, value in row.headers.items()],
                )
                for row in rows
            ]
            await asyncio.gather(*deliveries)
            await session.execute(
                update(t)
                .where(t.c.id.in_([row.id for row in rows]))
                .values(sent_at=datetime.now(UTC))
            )
        self.published += len(rows)
        EVENTS_PUBLISHED.labels(t.schema).inc(len(rows))
        return len(rows)

    async def measure_backlog(self) -> int:
        """Rows not yet acknowledged by the broker, for the `outbox_backlog` gauge."""
        t = self.table
        async with self.sessions() as session:
            backlog = await session.scalar(
                select(func.count()).select_from(t).where(t.c.sent_at.is_(None))
            )
        OUTBOX_BACKLOG.labels(t.schema).set(backlog or 0)
        return backlog or 0

    async def purge_sent(self) -> None:
        cutoff = datetime.now(UTC) - self.sent_retention
        async with self.sessions.begin() as session:
            await session.execute(delete(self.table).where(self.table.c.sent_at < cutoff))
