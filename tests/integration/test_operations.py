"""The operator's view: outbox backlog per service and lag per consumer group."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from aiokafka import AIOKafkaConsumer, TopicPartition

from deploy.local import status
from deploy.local.__main__ import DEFINITIONS
from services.requests.service import SERVICE as REQUESTS
from services.requests.settings import RequestsSettings
from shared.events import Envelope
from shared.outbox import Outbox
from shared.runtime import running_service
from shared.topics import Stream
from tests.factories import submitted_event
from tests.kafka import publish
from tests.system import Environment


async def test_status_shows_unsent_outbox_rows_and_unprocessed_records(
    environment: Environment,
) -> None:
    settings = environment.settings(RequestsSettings)
    async with running_service(REQUESTS, settings, workers=False) as resources:
        topic = resources.topics.national(Stream.REQUESTS)
        async with resources.sessions.begin() as session:  # no relay runs: it stays unsent
            await Outbox(REQUESTS.tables.outbox).write(session, [(_event(), [topic])])
        await publish(settings.kafka_bootstrap_servers, topic, _event(), _event(), _event())
        group = f"{settings.topic_prefix}.operator-test"
        async with reading(settings, topic, group) as (reader, partition):
            await reader.commit({partition: 1})  # read one

        backlog = await status.outbox_backlog(settings, DEFINITIONS)
        lag = await status.consumer_lag(settings)

    assert backlog == {"requests": 1, "inventory": 0, "matching": 0, "notifications": 0}
    assert lag[group] == 2


@contextlib.asynccontextmanager
async def reading(
    settings: RequestsSettings, topic: str, group: str
) -> AsyncIterator[tuple[AIOKafkaConsumer, TopicPartition]]:
    """A consumer of the group that has fetched the topic's records and committed nothing yet;
    with the partition they are on (the tests' events share one key)."""
    reader = AIOKafkaConsumer(
        topic,
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await reader.start()
    try:
        [partition] = await reader.getmany(timeout_ms=10_000)
        yield reader, partition
    finally:
        await reader.stop()


def _event() -> Envelope[object]:
    return Envelope(payload=submitted_event(), key="one-key", source="/tests")


async def test_settling_waits_for_a_subscription_that_has_read_nothing_yet(
    environment: Environment,
) -> None:
    """What the demo waits for between its loaders: a consumer group that has committed nothing
    is behind by every record on its topics, not (as lag by committed offsets says) by none."""
    settings = environment.settings(RequestsSettings)
    feed = f"{settings.topic_prefix}.notifications.feed"
    async with running_service(REQUESTS, settings, workers=False) as resources:
        topic = resources.topics.national(Stream.REQUESTS)
        await publish(settings.kafka_bootstrap_servers, topic, _event(), _event(), _event())
        async with reading(settings, topic, feed) as (reader, partition):
            before = await status.settle(settings, DEFINITIONS.values(), seconds=0)
            lag = await status.consumer_lag(settings)
            await reader.commit({partition: 3})  # read all
        after = await status.unread(settings, DEFINITIONS.values())

    assert lag.get(feed, 0) == 0
    assert before[feed] == 3
    assert after[feed] == 0
