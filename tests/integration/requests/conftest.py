"""The requests service in-process on the real database and broker, and keys for every role."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import httpx
import pytest

from services.requests.service import SERVICE as REQUESTS
from shared.auth import Principal, issued_event, new_key, store_issued_key
from shared.runtime import Resources, create_app, get_app_resources
from shared.settings import RequestsSettings
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


@dataclass
class Api:
    """An HTTP client of the service, and a way to act as any principal."""

    client: httpx.AsyncClient
    resources: Resources
    headers_for: Callable[[Principal], dict[str, str]]


async def _api(environment: Environment, *, workers: bool) -> AsyncIterator[Api]:
    app = create_app(REQUESTS, environment.settings(RequestsSettings), workers=workers)
    async with app.router.lifespan_context(app):
        resources = get_app_resources(app)
        keys: dict[Principal, str] = {}
        async with resources.sessions.begin() as session:
            for principal in (
                LAO,
                KHM,
                PER,
                SOUTH_EAST_ASIA,
                BALKANS,
                SECRETARIAT,
                OPERATOR,
                DONOR,
            ):
                key, key_id, secret_hash = new_key()
                event = issued_event(principal, key_id, secret_hash, "test")
                await store_issued_key(session, REQUESTS.api_keys_table, event)
                keys[principal] = key
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://requests") as client:
            yield Api(client, resources, lambda p: {"Authorization": f"Bearer {keys[p]}"})


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
