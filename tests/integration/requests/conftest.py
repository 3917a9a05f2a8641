"""The requests service in-process on the real database and broker, and keys for every role."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from services.requests.service import SERVICE as REQUESTS
from shared.auth import Principal
from shared.settings import RequestsSettings
from tests.integration.apps import Api, in_process
from tests.system import Environment

LAO = Principal.national("LAO")
KHM = Principal.national("KHM")
PER = Principal.national("PER")  # no centre covers Peru in the test network
SOUTH_EAST_ASIA = Principal.regional("south-eastern-asia")
BALKANS = Principal.regional("western-balkans")
SECRETARIAT = Principal.secretariat()
OPERATOR = Principal.operator()
DONOR = Principal.for_donor("norway")
EVERYONE = (LAO, KHM, PER, SOUTH_EAST_ASIA, BALKANS, SECRETARIAT, OPERATOR, DONOR)


async def _api(environment: Environment, *, workers: bool) -> AsyncIterator[Api]:
    settings = environment.settings(RequestsSettings)
    async with in_process(REQUESTS, settings, EVERYONE, workers=workers) as api:
        yield api


@pytest.fixture
async def api(environment: Environment) -> AsyncIterator[Api]:
    """The HTTP API only: nothing is published to Kafka."""
    async for value in _api(environment, workers=False):
        yield value


@pytest.fixture
async def live_api(environment: Environment) -> AsyncIterator[Api]:
    """The API with its outbox relay and consumers running."""
    async for value in _api(environment, workers=True):
        yield value
