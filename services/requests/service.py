"""The one place that wires the requests service together."""

from __future__ import annotations

from pathlib import Path

from services.requests import api, handlers, reports, store
from shared.runtime import ServiceDefinition
from services.requests.settings import RequestsSettings

SERVICE = ServiceDefinition(
    name="requests",
    settings_type=RequestsSettings,
    metadata=store.metadata,
    outbox_table=store.outbox,
    inbox_table=store.inbox,
    api_keys_table=store.api_keys,
    idempotency_table=store.idempotency,
    migrations=Path(__file__).parent / "migrations",
    routers=lambda: [api.router, reports.router],
    subscriptions=handlers.subscriptions,
    workers=handlers.workers,
    description="Assistance requests from national focal points, reviewed regionally.",
)
