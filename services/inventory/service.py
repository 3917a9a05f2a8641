"""The one place that wires the inventory service together."""

from __future__ import annotations

from pathlib import Path

from services.inventory import api, handlers, ledger_api, reports, tables
from shared.runtime import ServiceDefinition
from services.inventory.settings import InventorySettings

SERVICE = ServiceDefinition(
    name="inventory",
    settings_type=InventorySettings,
    metadata=tables.metadata,
    outbox_table=tables.outbox,
    inbox_table=tables.inbox,
    api_keys_table=tables.api_keys,
    idempotency_table=tables.idempotency,
    migrations=Path(__file__).parent / "migrations",
    routers=lambda: [api.router, ledger_api.router, reports.router],
    subscriptions=handlers.subscriptions,
    description="Sources of assistance and the ledger of what they pledge, commit and disburse.",
)
