"""The moment a service's edges act at. Routes, pages, handlers and workers read it here and
hand it down to the use cases, so one write has one time throughout."""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    """The current moment, timezone-aware, in UTC."""
    return datetime.now(UTC)
