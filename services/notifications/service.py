"""The one place that wires the notifications service together.

It publishes nothing (`events=None`): no outbox relay runs, and its units of work only commit.
"""

from __future__ import annotations

from pathlib import Path

from services.notifications.adapters import tables
from services.notifications.api import dashboard, indicators, pages, routes, subscriptions
from services.notifications.app import handlers, workers
from services.notifications.settings import NotificationsSettings
from shared.runtime import ServiceDefinition

SERVICE = ServiceDefinition(
    name="notifications",
    settings_type=NotificationsSettings,
    metadata=tables.metadata,
    tables=tables.TABLES,
    migrations=Path(__file__).parent / "migrations",
    routers=lambda: [
        routes.router,
        subscriptions.router,
        indicators.router,
        indicators.pages,
        dashboard.router,
        pages.router,
    ],
    events=None,
    subscriptions=handlers.SUBSCRIPTIONS,
    workers=workers.workers,
    description="The operators' feed, webhooks and alerts.",
)
