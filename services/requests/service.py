"""The one place that wires the requests service together."""

from __future__ import annotations

from pathlib import Path

from services.requests.adapters.extension_events import ServiceEvents
from services.requests.adapters.tables import TABLES, metadata
from services.requests.api import bulk, extension_pages, extensions, pages, reports, routes
from services.requests.app.handlers import SUBSCRIPTIONS
from services.requests.app.workers import workers
from services.requests.settings import RequestsSettings
from shared.events import requests as request_events
from shared.runtime import ServiceDefinition
from shared.topics import Stream

SERVICE = ServiceDefinition(
    name="requests",
    settings_type=RequestsSettings,
    metadata=metadata,
    tables=TABLES,
    migrations=Path(__file__).parent / "migrations",
    routers=lambda: [
        bulk.router,
        routes.router,
        reports.router,
        pages.router,
        extensions.router,
        extensions.groups_router,
        extension_pages.router,
    ],  # /template before /{id}
    events=ServiceEvents,
    publishes={Stream.REQUESTS: (*request_events.PAYLOADS, *request_events.EXTENSION_PAYLOADS)},
    subscriptions=SUBSCRIPTIONS,
    workers=workers,
    description="Assistance requests from national focal points, reviewed regionally.",
)
