"""Events of the inventory service."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar
from uuid import UUID

from pydantic import Field

from shared.events.base import EventPayload


class FundsReserved(EventPayload):
    """A source's window reserved an amount for a request (the inventory side of a match)."""

    event_type: ClassVar[str] = "funds.reserved"

    reservation_id: UUID
    match_id: UUID
    request_id: UUID
    source_id: UUID
    amount: Decimal = Field(gt=0)
    currency: str


PAYLOADS: tuple[type[EventPayload], ...] = (FundsReserved,)
