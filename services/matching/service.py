"""The one place that wires the matching service together."""

from __future__ import annotations

from pathlib import Path

from services.matching import allocator, api, handlers, store
from shared.runtime import ServiceDefinition
from services.matching.settings import MatchingSettings

SERVICE = ServiceDefinition(
    name="matching",
    settings_type=MatchingSettings,
    metadata=store.metadata,
    outbox_table=store.outbox,
    inbox_table=store.inbox,
    api_keys_table=store.api_keys,
    idempotency_table=store.idempotency,
    migrations=Path(__file__).parent / "migrations",
    routers=lambda: [api.router],
    subscriptions=handlers.subscriptions,
    workers=allocator.workers,
    description="Proposals of donors for published requests, fair allocation, donor acceptance.",
)
