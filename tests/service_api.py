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
from shared.events.access import ApiKeyIssued
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


@dataclass(frozen=True)
class Keys:
    """API keys issued once, for storing in several services: one key per principal that every
    service knows, as when the keys' events reach them all over Kafka."""

    issued: dict[Principal, tuple[str, ApiKeyIssued]]

    @classmethod
    def issue(cls, principals: Iterable[Principal]) -> Keys:
        issued = {}
        for principal in principals:
            key, key_id, secret_hash = new_key()
            issued[principal] = (key, issued_event(principal, key_id, secret_hash, "test"))
        return cls(issued)

    def key(self, principal: Principal) -> str:
        return self.issued[principal][0]


async def _store_keys(
    definition: ServiceDefinition,
    resources: Resources,
    principals: Iterable[Principal],
    keys: Keys | None = None,
) -> Callable[[Principal], dict[str, str]]:
    """Keys stored straight in the service's table, as if issued over Kafka; their headers."""
    keys = keys or Keys.issue(principals)
    async with resources.sessions.begin() as session:
        for _key, event in keys.issued.values():
            await store_issued_key(session, definition.tables.api_keys, event)
    return lambda p: {"Authorization": f"Bearer {keys.key(p)}"}


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
    *,
    keys: Keys | None = None,
    port: int | None = None,
    **settings: object,
) -> AsyncIterator[Api]:
    """The service with its workers, served on a free port (or `port`): streams and browsers
    work too. `keys` are keys shared with other services (by default the service's own)."""
    configured = environment.settings(definition.settings_type, **settings)
    port = port or free_port()
    app = create_app(definition, configured, workers=True)
    async with serving(app, port):
        resources = get_app_resources(app)
        headers_for = await _store_keys(definition, resources, principals, keys)
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
