"""The one place that wires the matching service together."""

from __future__ import annotations

from pathlib import Path

from services.matching.adapters.events import MatchEvents
from services.matching.adapters.tables import TABLES, metadata
from services.matching.api import coalition_pages, coalitions, pages, routes
from services.matching.app.commands import key_changed
from services.matching.app.handlers import SUBSCRIPTIONS
from services.matching.app.workers import workers
from services.matching.settings import MatchingSettings
from shared.events import matching as match_events
from shared.runtime import ServiceDefinition
from shared.topics import Stream

SERVICE = ServiceDefinition(
    name="matching",
    settings_type=MatchingSettings,
    metadata=metadata,
    tables=TABLES,
    migrations=Path(__file__).parent / "migrations",
    routers=lambda: [routes.router, coalitions.router, pages.router, coalition_pages.router],
    events=MatchEvents,
    publishes={Stream.MATCHES: match_events.PAYLOADS},
    subscriptions=SUBSCRIPTIONS,
    workers=workers,
    on_key_change=key_changed,
    description="Proposals of donors for published requests, fair allocation, donor acceptance.",
)
