"""The operator's view: outbox backlog per service and lag per consumer group."""

from __future__ import annotations

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
        reader = AIOKafkaConsumer(
            topic,
            bootstrap_servers=settings.kafka_bootstrap_servers,
            group_id=group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
        )
        await reader.start()
        try:
            [partition] = await reader.getmany(max_records=1, timeout_ms=10_000)
            await reader.commit({TopicPartition(topic, partition.partition): 1})  # read one
        finally:
            await reader.stop()

        backlog = await status.outbox_backlog(settings, DEFINITIONS)
        lag = await status.consumer_lag(settings)

    assert backlog == {"requests": 1, "inventory": 0, "matching": 0, "notifications": 0}
    assert lag[group] == 2


def _event() -> Envelope[object]:
    return Envelope(payload=submitted_event(), key="one-key", source="/tests")
