"""The one place that wires the notifications service together."""

from __future__ import annotations

from pathlib import Path

from services.notifications import api, dashboard, handlers, store, subscriptions
from shared.runtime import ServiceDefinition
from services.notifications.settings import NotificationsSettings

SERVICE = ServiceDefinition(
    name="notifications",
    settings_type=NotificationsSettings,
    metadata=store.metadata,
    outbox_table=store.outbox,
    inbox_table=store.inbox,
    api_keys_table=store.api_keys,
    idempotency_table=store.idempotency,
    migrations=Path(__file__).parent / "migrations",
    routers=lambda: [api.router, subscriptions.router, dashboard.router],
    subscriptions=handlers.subscriptions,
    workers=handlers.workers,
    description="The operators' feed, webhooks and alerts.",
)
