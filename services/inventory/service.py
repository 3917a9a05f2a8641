"""The one place that wires the inventory service together."""

from __future__ import annotations

from pathlib import Path

from services.inventory import api, handlers, store
from shared.runtime import ServiceDefinition
from shared.settings import InventorySettings

SERVICE = ServiceDefinition(
    name="inventory",
    settings_type=InventorySettings,
    metadata=store.metadata,
    outbox_table=store.outbox,
    inbox_table=store.inbox,
    api_keys_table=store.api_keys,
    idempotency_table=store.idempotency,
    migrations=Path(__file__).parent / "migrations",
    routers=lambda: [api.router],
    subscriptions=handlers.subscriptions,
    description="Sources of assistance and the ledger of what they pledge, commit and disburse.",
)
