"""A service's app in-process on the real database and broker, with an API key per principal."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass

import httpx
import uvicorn
from fastapi import FastAPI

from shared.auth import Principal, issued_event, new_key, store_issued_key
from shared.runtime import Resources, ServiceDefinition, create_app, get_app_resources
from shared.settings import ServiceSettings
from tests.system import free_port


@dataclass
class Api:
    """An HTTP client of the service, and a way to act as any principal."""

    client: httpx.AsyncClient
    resources: Resources
    headers_for: Callable[[Principal], dict[str, str]]
    url: str = ""


async def _store_keys(
    definition: ServiceDefinition, resources: Resources, principals: Iterable[Principal]
) -> dict[Principal, str]:
    """Keys stored straight in the service's table, as the access consumer would store them."""
    keys: dict[Principal, str] = {}
    async with resources.sessions.begin() as session:
        for principal in principals:
            key, key_id, secret_hash = new_key()
            event = issued_event(principal, key_id, secret_hash, "test")
            await store_issued_key(session, definition.api_keys_table, event)
            keys[principal] = key
    return keys


@contextlib.asynccontextmanager
async def in_process(
    definition: ServiceDefinition,
    settings: ServiceSettings,
    principals: Iterable[Principal],
    *,
    workers: bool,
) -> AsyncIterator[Api]:
    """The app behind httpx's ASGI transport: no port, no streaming responses."""
    app = create_app(definition, settings, workers=workers)
    async with app.router.lifespan_context(app):
        resources = get_app_resources(app)
        keys = await _store_keys(definition, resources, principals)
        transport = httpx.ASGITransport(app=app)
        base_url = f"http://{definition.name}"
        async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
            yield Api(client, resources, lambda p: {"Authorization": f"Bearer {keys[p]}"})


@contextlib.asynccontextmanager
async def serving(app: FastAPI | object, port: int) -> AsyncIterator[None]:
    """Serve an ASGI app with uvicorn on 127.0.0.1:`port` in this event loop."""
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False)  # type: ignore[arg-type]
    )
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
    definition: ServiceDefinition, settings: ServiceSettings, principals: Iterable[Principal]
) -> AsyncIterator[Api]:
    """The app with its workers, served on a free port: streams and browsers work too."""
    port = free_port()
    app = create_app(definition, settings, workers=True)
    async with serving(app, port):
        resources = get_app_resources(app)
        keys = await _store_keys(definition, resources, principals)
        url = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            yield Api(client, resources, lambda p: {"Authorization": f"Bearer {keys[p]}"}, url)
