"""The one place that wires the inventory service together."""

from __future__ import annotations

from pathlib import Path

from services.inventory.adapters.events import InventoryEvents
from services.inventory.adapters.tables import TABLES, metadata
from services.inventory.api import (
    bulk,
    iati,
    ledger,
    pages,
    project_pages,
    projects,
    reports,
    routes,
)
from services.inventory.app.handlers import SUBSCRIPTIONS
from services.inventory.app.workers import workers
from services.inventory.settings import InventorySettings
from shared.events import inventory as inventory_events
from shared.runtime import ServiceDefinition
from shared.topics import Stream

SERVICE = ServiceDefinition(
    name="inventory",
    settings_type=InventorySettings,
    metadata=metadata,
    tables=TABLES,
    migrations=Path(__file__).parent / "migrations",
    routers=lambda: [
        bulk.router,
        routes.router,
        ledger.router,
        reports.router,
        iati.router,
        projects.router,
        pages.router,
        project_pages.router,
    ],  # /template first
    events=InventoryEvents,
    publishes={
        Stream.SOURCES: (inventory_events.SourceChanged,),
        Stream.FUNDS: tuple(
            p for p in inventory_events.PAYLOADS if p is not inventory_events.SourceChanged
        ),
    },
    subscriptions=SUBSCRIPTIONS,
    workers=workers,
    description="Sources of assistance, the ledger of what they pledge, commit and disburse, "
    "and the projects that carry out funded requests.",
)
