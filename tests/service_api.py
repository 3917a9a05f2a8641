"""A service in-process on the real database and broker, with an API key for each principal."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from shared.auth import Principal, issued_event, new_key, store_issued_key
from shared.runtime import Resources, ServiceDefinition, create_app, get_app_resources
from tests.system import Environment


@dataclass
class Api:
    """An HTTP client of the service, and a way to act as any principal."""

    client: httpx.AsyncClient
    resources: Resources
    headers_for: Callable[[Principal], dict[str, str]]


async def in_process_api(
    definition: ServiceDefinition,
    environment: Environment,
    principals: Iterable[Principal],
    *,
    workers: bool,
    **settings: object,
) -> AsyncIterator[Api]:
    """The service's app with its lifespan running; keys stored as if issued over Kafka."""
    configured = environment.settings(definition.settings_type, **settings)
    app = create_app(definition, configured, workers=workers)
    async with app.router.lifespan_context(app):
        resources = get_app_resources(app)
        keys: dict[Principal, str] = {}
        async with resources.sessions.begin() as session:
            for principal in principals:
                key, key_id, secret_hash = new_key()
                event = issued_event(principal, key_id, secret_hash, "test")
                await store_issued_key(session, definition.api_keys_table, event)
                keys[principal] = key
        transport = httpx.ASGITransport(app=app)
        base_url = f"http://{definition.name}"
        async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
            yield Api(client, resources, lambda p: {"Authorization": f"Bearer {keys[p]}"})


def api_fixtures(definition: ServiceDefinition, principals: Iterable[Principal]) -> tuple[Any, Any]:
    """The `api` (HTTP only, nothing published) and `live_api` (relay and consumers running)
    fixtures of a service, for its tests' conftest."""
    everyone = tuple(principals)

    @pytest.fixture
    async def api(environment: Environment) -> AsyncIterator[Api]:
        async for value in in_process_api(definition, environment, everyone, workers=False):
            yield value

    @pytest.fixture
    async def live_api(environment: Environment) -> AsyncIterator[Api]:
        async for value in in_process_api(definition, environment, everyone, workers=True):
            yield value

    return api, live_api
