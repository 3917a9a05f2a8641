"""Value objects every domain uses the same way. Pure data, no I/O."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class Money:
    """An exact amount in its currency (ISO 4217); amounts are never converted."""

    value: Decimal
    currency: str


@dataclass(frozen=True)
class Quantity:
    """An exact quantity of help in kind in a unit of the shared taxonomy (expert-days, ...);
    never money, and never added to another unit."""

    value: Decimal
    unit: str


@dataclass(frozen=True)
class Contact:
    """Who answers for something: a person and how to reach them."""

    name: str
    email: str
    phone: str | None = None
    organisation: str | None = None


def attributes(thing: object, names: Iterable[str], **given: Any) -> dict[str, Any]:
    """The attributes `names` lists that `thing` has, with the values `given` for the others (or
    instead): to copy a value from one layer to another."""
    return {name: getattr(thing, name) for name in names if hasattr(thing, name)} | given


def field_names(value_type: type) -> list[str]:
    """The fields of a dataclass."""
    return [f.name for f in fields(value_type)]
