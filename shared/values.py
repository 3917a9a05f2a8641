"""Value objects every domain uses the same way. Pure data, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Money:
    """An exact amount in its currency (ISO 4217); amounts are never converted."""

    value: Decimal
    currency: str


@dataclass(frozen=True)
class Contact:
    """Who answers for something: a person and how to reach them."""

    name: str
    email: str
    phone: str | None = None
    organisation: str | None = None
