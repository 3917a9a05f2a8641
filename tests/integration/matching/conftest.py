"""The matching service in-process on the real database and broker, keys for every role, and the
events other services would publish, published as they publish them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

import pytest

from services.matching.adapters.repository import ReadModel
from services.matching.service import SERVICE as MATCHING
from services.matching.settings import MatchingSettings
from shared.events import Envelope, EventPayload, encode
from shared.events.inventory import SourceChanged, SourceDetails
from shared.events.requests import RequestDetails, RequestPublished
from shared.principal import Principal
from shared.runtime import Resources
from tests.factories import NOW
from tests.service_api import Api, in_process_api
from tests.system import Environment

T = TypeVar("T")
SECRETARIAT = Principal.secretariat()
OPERATOR = Principal.operator()
LAO = Principal.national("LAO")
KHM = Principal.national("KHM")
SOUTH_EAST_ASIA = Principal.regional("south-eastern-asia")
NORWAY = Principal.for_donor("norway")
SWEDEN = Principal.for_donor("sweden")
EVERYONE = (SECRETARIAT, OPERATOR, LAO, KHM, SOUTH_EAST_ASIA, NORWAY, SWEDEN)


def matching_settings(environment: Environment) -> MatchingSettings:
    settings = environment.settings(MatchingSettings, allocation_poll_seconds=0.2)
    assert isinstance(settings, MatchingSettings)
    return settings


@pytest.fixture
async def api(environment: Environment) -> AsyncIterator[Api]:
    """The HTTP API only: no consumers, no allocator, nothing published."""
    async for value in in_process_api(
        MATCHING, environment, EVERYONE, workers=False, allocation_poll_seconds=0.2
    ):
        yield value


@pytest.fixture
async def live_api(environment: Environment) -> AsyncIterator[Api]:
    """The API with its consumers, allocator and outbox relay running."""
    async for value in in_process_api(
        MATCHING, environment, EVERYONE, workers=True, allocation_poll_seconds=0.2
    ):
        yield value


async def publish(
    resources: Resources, topic: str, payload: EventPayload, key: str
) -> Envelope[Any]:
    """Publish one event the way another service's outbox relay would."""
    envelope = Envelope(payload=payload, key=key, source="/tests")
    message = encode(envelope)
    await resources.producer.send_and_wait(
        topic, value=message.value, key=key.encode(), headers=list(message.headers.items())
    )
    return envelope


def published(request: RequestDetails) -> RequestPublished:
    return RequestPublished(request=request, from_status="endorsed", actor="secretariat")


def changed(source: SourceDetails, change: str = "registered") -> SourceChanged:
    return SourceChanged(source=source, change=change, actor=f"donor:{source.donor}")


async def seed(api: Api, requests: list[RequestDetails], sources: list[SourceDetails]) -> None:
    """Put requests and sources straight into the read model, as their events would."""
    async with api.resources.sessions.begin() as session:
        for request in requests:
            await ReadModel(session).record_request(request, NOW)
        for source in sources:
            await ReadModel(session).record_source(source)


async def eventually(
    probe: Callable[[], Awaitable[T]], accept: Callable[[T], bool], *, seconds: float = 30
) -> T:
    """Ask `probe` until its answer is accepted; fails after `seconds`."""
    async with asyncio.timeout(seconds):
        while True:
            answer = await probe()
            if accept(answer):
                return answer
            await asyncio.sleep(0.2)
