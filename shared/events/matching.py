"""Events of the matching service."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar
from uuid import UUID

from pydantic import Field

from shared.events.base import EventPayload


class RequestCoverageChanged(EventPayload):
    """How much of a request the accepted proposals now cover.

    A snapshot, numbered per request: a consumer keeps the highest `sequence` it has seen and
    ignores older ones, so redelivery and reordering do no harm.
    """

    event_type: ClassVar[str] = "match.coverage-changed"

    request_id: UUID
    sequence: int = Field(ge=1)
    matched_amount: Decimal = Field(ge=0)
    currency: str | None = None
    fully_matched: bool


PAYLOADS: tuple[type[EventPayload], ...] = (RequestCoverageChanged,)
