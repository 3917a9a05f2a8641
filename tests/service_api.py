"""A service in-process on the real database and broker, with an API key for each principal."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import uvicorn

from shared.auth import issued_event, new_key, store_issued_key
from shared.principal import Principal
from shared.runtime import Resources, ServiceDefinition, create_app, get_app_resources
from tests.system import Environment, free_port


@dataclass
class Api:
    """An HTTP client of the service, and a way to act as any principal."""

    client: httpx.AsyncClient
    resources: Resources
    headers_for: Callable[[Principal], dict[str, str]]
    url: str


async def _store_keys(
    definition: ServiceDefinition, resources: Resources, principals: Iterable[Principal]
) -> Callable[[Principal], dict[str, str]]:
    """Keys stored straight in the service's table, as if issued over Kafka; their headers."""
    keys: dict[Principal, str] = {}
    async with resources.sessions.begin() as session:
        for principal in principals:
            key, key_id, secret_hash = new_key()
            event = issued_event(principal, key_id, secret_hash, "test")
            await store_issued_key(session, definition.tables.api_keys, event)
            keys[principal] = key
    return lambda p: {"Authorization": f"Bearer {keys[p]}"}


async def in_process_api(
    definition: ServiceDefinition,
    environment: Environment,
    principals: Iterable[Principal],
    *,
    workers: bool,
    **settings: object,
) -> AsyncIterator[Api]:
    """The service's app with its lifespan running, behind httpx's ASGI transport (no port; a
    streamed response arrives whole, so live streams need `over_http`)."""
    configured = environment.settings(definition.settings_type, **settings)
    app = create_app(definition, configured, workers=workers)
    async with app.router.lifespan_context(app):
        resources = get_app_resources(app)
        headers_for = await _store_keys(definition, resources, principals)
        transport = httpx.ASGITransport(app=app)
        base_url = f"http://{definition.name}"
        async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
            yield Api(client, resources, headers_for, base_url)


@contextlib.asynccontextmanager
async def serving(app: Any, port: int) -> AsyncIterator[None]:
    """Serve an ASGI app with uvicorn on 127.0.0.1:`port` in this event loop."""
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(60):
            while not server.started:
                if task.done():
                    task.result()
                await asyncio.sleep(0.05)
        yield
    finally:
        server.should_exit = True
        await task


@contextlib.asynccontextmanager
async def over_http(
    definition: ServiceDefinition,
    environment: Environment,
    principals: Iterable[Principal],
    **settings: object,
) -> AsyncIterator[Api]:
    """The service with its workers, served on a free port: streams and browsers work too."""
    configured = environment.settings(definition.settings_type, **settings)
    port = free_port()
    app = create_app(definition, configured, workers=True)
    async with serving(app, port):
        resources = get_app_resources(app)
        headers_for = await _store_keys(definition, resources, principals)
        url = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            yield Api(client, resources, headers_for, url)


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
