"""A service's app in-process on the real database and broker, with an API key per principal."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass

import httpx

from shared.auth import Principal, issued_event, new_key, store_issued_key
from shared.runtime import Resources, ServiceDefinition, create_app, get_app_resources
from shared.settings import ServiceSettings


@dataclass
class Api:
    """An HTTP client of the service, and a way to act as any principal."""

    client: httpx.AsyncClient
    resources: Resources
    headers_for: Callable[[Principal], dict[str, str]]


async def in_process(
    definition: ServiceDefinition,
    settings: ServiceSettings,
    principals: Iterable[Principal],
    *,
    workers: bool,
) -> AsyncIterator[Api]:
    app = create_app(definition, settings, workers=workers)
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
