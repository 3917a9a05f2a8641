"""Consumer runner: consumer groups, an inbox of handled event ids, retries, then dead letters.

For each record: decode the CloudEvent; in one database transaction, claim its id in the inbox
(a repeat is skipped) and run the handler; commit; then commit the offsets. A crash anywhere
redelivers the record and the inbox drops the repeat, so every event has its effect once.

Failures come in two kinds. A record that cannot be decoded, or a handler that keeps failing on it
`max_attempts` times, goes to the service's dead-letter topic with the original value, headers and
the error, and the consumer goes on. An unreachable database is not the event's fault: the
consumer waits and tries again, however long it takes, so a PostgreSQL restart loses nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, KafkaError
from sqlalchemy import Column, DateTime, MetaData, PrimaryKeyConstraint, String, Table, Uuid, func
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from shared.db import is_database_away, is_transient_conflict
from shared.events import Envelope, EventPayload, MalformedEvent, decode
from shared.logs import event_id_var
from shared.telemetry import CONSUMER_LAG, EVENTS_CONSUMED, consuming
from shared.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

Handler = Callable[[UnitOfWork, Envelope[Any]], Awaitable[None]]
HandlerMap = Mapping[type[EventPayload], Handler]


def inbox_table(metadata: MetaData) -> Table:
    return Table(
        "inbox",
        metadata,
        Column("consumer", String(100), nullable=False),
        Column("event_id", Uuid, nullable=False),
        Column("event_type", String(200), nullable=False),
        Column("handled_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        PrimaryKeyConstraint("consumer", "event_id", name="pk_inbox"),
    )


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    backoff_seconds: float = 0.2
    backoff_max_seconds: float = 10.0

    def delay(self, attempt: int) -> float:
        return float(min(self.backoff_seconds * 2 ** (attempt - 1), self.backoff_max_seconds))


def _is_infrastructure_failure(error: BaseException) -> bool:
    """The database or network is away, or the transaction lost a lock race: retry without limit
    rather than dead-letter the event."""
    if is_transient_conflict(error) or is_database_away(error):
        return True
    if isinstance(error, (OperationalError, InterfaceError, OSError, ConnectionError)):
        return True
    return isinstance(error, DBAPIError) and bool(error.connection_invalidated)


class Consumer:
    """One consumer group of a service: the topics it reads and a handler per event type."""

    def __init__(
        self,
        *,
        name: str,
        group_id: str,
        bootstrap_servers: str,
        handlers: HandlerMap,
        unit_of_work: Callable[[], UnitOfWork],
        inbox: Table,
        producer: AIOKafkaProducer,
        deadletter_topic: str,
        topics: Sequence[str],
        retry: RetryPolicy = RetryPolicy(),
    ) -> None:
        if not topics:
            raise ValueError("a consumer needs topics")
        self.name = name
        self.group_id = group_id
        self.bootstrap_servers = bootstrap_servers
        self.handlers = {payload.cloudevent_type(): h for payload, h in handlers.items()}
        self.unit_of_work = unit_of_work
        self.inbox = inbox
        self.producer = producer
        self.deadletter_topic = deadletter_topic
        self.topics = tuple(topics)
        self.retry = retry
        self.handled = 0
        self.deadlettered = 0

    async def run(self) -> None:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap_servers,
            group_id=self.group_id,
            client_id=f"{self.group_id}-{self.name}",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            metadata_max_age_ms=10_000,
        )
        consumer.subscribe(topics=list(self.topics))
        try:
            await consumer.start()  # inside: a consumer cancelled while starting is stopped too
            while True:
                batches = await consumer.getmany(timeout_ms=1000, max_records=500)
                for partition, records in batches.items():
                    for record in records:
                        await self.process(record)
                    await self._commit(consumer, partition, records[-1].offset + 1)
                    self._measure_lag(consumer, partition, records[-1].offset + 1)
        finally:
            await consumer.stop()

    async def process(self, record: ConsumerRecord[bytes, bytes]) -> None:
        try:
            envelope = decode(record.value, record.key)
        except MalformedEvent as error:
            await self.deadletter(record, str(error))
            EVENTS_CONSUMED.labels(self.inbox.schema, self.name, "malformed", "deadlettered").inc()
            return
        handler = self.handlers.get(envelope.type)
        if handler is None:
            self._count(envelope, "ignored")  # topics carry several types; this needs some
            return
        token = event_id_var.set(str(envelope.id))
        try:
            with consuming(self.name, envelope, record.topic) as span:
                outcome = await self._handle(handler, envelope, record)
                span.set_attribute("clearinghouse.outcome", outcome)
        finally:
            event_id_var.reset(token)
        self._count(envelope, outcome)

    async def _handle(
        self, handler: Handler, envelope: Envelope[Any], record: ConsumerRecord[bytes, bytes]
    ) -> str:
        """Handle with retries; returns the outcome: handled, duplicate or deadlettered."""
        failures = 0
        while True:
            try:
                return "handled" if await self._handle_once(handler, envelope) else "duplicate"
            except asyncio.CancelledError:
                raise
            except Exception as error:
                if _is_infrastructure_failure(error):
                    log.warning(
                        "%s: database unavailable or lock race lost, retrying: %s", self.name, error
                    )
                    await asyncio.sleep(self.retry.backoff_max_seconds / 5)
                    continue
                failures += 1
                if failures >= self.retry.max_attempts:
                    log.exception("%s: %s failed %d times", self.name, envelope.id, failures)
                    await self.deadletter(record, f"{type(error).__name__}: {error}")
                    return "deadlettered"
                await asyncio.sleep(self.retry.delay(failures))

    async def _handle_once(self, handler: Handler, envelope: Envelope[Any]) -> bool:
        """Claim the event in the inbox and handle it, in one unit of work; False if seen before."""
        async with self.unit_of_work() as uow:
            claimed = await uow.session.execute(
                insert(self.inbox)
                .values(consumer=self.name, event_id=envelope.id, event_type=envelope.type)
                .on_conflict_do_nothing()
                .returning(self.inbox.c.event_id)
            )
            if claimed.first() is None:
                return False  # handled before: a redelivery
            await handler(uow, envelope)
        self.handled += 1
        return True

    def _count(self, envelope: Envelope[Any], outcome: str) -> None:
        EVENTS_CONSUMED.labels(self.inbox.schema, self.name, envelope.type, outcome).inc()

    def _measure_lag(
        self, consumer: AIOKafkaConsumer, partition: TopicPartition, next_offset: int
    ) -> None:
        highwater = consumer.highwater(partition)
        if highwater is not None:
            CONSUMER_LAG.labels(
                self.inbox.schema, self.name, partition.topic, str(partition.partition)
            ).set(max(highwater - next_offset, 0))

    async def deadletter(self, record: ConsumerRecord[bytes, bytes], error: str) -> None:
        headers = [*record.headers, *self._deadletter_headers(record, error)]
        while True:
            try:
                await self.producer.send_and_wait(
                    self.deadletter_topic, value=record.value, key=record.key, headers=headers
                )
                break
            except KafkaError:
                log.warning("%s: dead-letter topic unreachable, retrying", self.name)
                await asyncio.sleep(1)
        self.deadlettered += 1
        log.error(
            "%s: %s[%d]@%d dead-lettered: %s",
            self.name,
            record.topic,
            record.partition,
            record.offset,
            error,
        )

    def _deadletter_headers(
        self, record: ConsumerRecord[bytes, bytes], error: str
    ) -> list[tuple[str, bytes]]:
        return [
            ("deadletter-topic", record.topic.encode()),
            ("deadletter-partition", str(record.partition).encode()),
            ("deadletter-offset", str(record.offset).encode()),
            ("deadletter-consumer", self.name.encode()),
            ("deadletter-error", error[:2000].encode()),
            ("deadletter-at", datetime.now(UTC).isoformat().encode()),
        ]

    async def _commit(
        self, consumer: AIOKafkaConsumer, partition: TopicPartition, offset: int
    ) -> None:
        """Commit after the effects committed; a failed commit only means a harmless redelivery."""
        try:
            await consumer.commit({partition: offset})
        except (CommitFailedError, KafkaError) as error:
            log.info(
                "%s: offset commit skipped (%s); the inbox absorbs the redelivery", self.name, error
            )
