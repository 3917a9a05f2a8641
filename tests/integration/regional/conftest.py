"""A regional centre on the real broker: its SCRAM credentials made by the operator's code, the
requests service routing events to its topics, and a client connecting as the centre."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from aiokafka import AIOKafkaConsumer, ConsumerRecord

from deploy.local import regional_access
from deploy.local.regional_access import Credentials
from deploy.local.stack import LocalStack
from services.requests.service import SERVICE as REQUESTS
from shared.settings import CommonSettings
from tests.integration.requests.conftest import EVERYONE
from tests.service_api import api_fixtures
from tests.system import Environment

CENTRE = "south-eastern-asia"
OTHER_CENTRE = "western-balkans"

api, live_api = api_fixtures(REQUESTS, EVERYONE)


@pytest.fixture
def settings(environment: Environment) -> CommonSettings:
    return environment.settings(CommonSettings)  # type: ignore[arg-type]


@pytest.fixture
def credentials(stack: LocalStack, settings: CommonSettings) -> Iterator[Credentials]:
    """South-eastern Asia's access, created as the operator's command creates it; revoked after."""
    yield regional_access.create(settings, CENTRE, stack.kafka_regional_bootstrap_servers)
    regional_access.revoke(settings, CENTRE)


def as_centre(credentials: Credentials, *topics: str, group: str | None) -> AIOKafkaConsumer:
    """A consumer that logs in with the centre's SCRAM user, as the centre's own system would."""
    return AIOKafkaConsumer(
        *topics,
        bootstrap_servers=credentials.bootstrap_servers,
        security_protocol="SASL_PLAINTEXT",
        sasl_mechanism=regional_access.MECHANISM,
        sasl_plain_username=credentials.access.username,
        sasl_plain_password=credentials.password,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )


async def read_as_centre(
    credentials: Credentials, topic: str, group: str | None, expected: int = 1
) -> list[ConsumerRecord[bytes, bytes]]:
    """`expected` records of `topic` read as the centre; the broker's refusals propagate."""
    consumer = as_centre(credentials, topic, group=group)
    records: list[ConsumerRecord[bytes, bytes]] = []
    try:
        await consumer.start()
        async with asyncio.timeout(30):
            while len(records) < expected:
                batches = await consumer.getmany(timeout_ms=500)
                records += [record for batch in batches.values() for record in batch]
        if group is not None:
            await consumer.commit()  # its own group's offsets are its to keep
    finally:
        await consumer.stop()
    return records
