"""Input types every service's API accepts the same way: money, contact points, the taxonomy.

Each validator raises ValueError with a message for the caller; FastAPI turns it into a 422
problem that names the field.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Annotated, Any

import pycountry
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from shared.geography import countries
from shared.taxonomy import MAX_QUANTITY, taxonomy

MAX_AMOUNT = Decimal("1000000000000")  # a trillion: anything above is a typo


class Strict(BaseModel):
    """Refuses unknown fields, so a misspelt field is an error rather than silently dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def known_currency(currency: str) -> str:
    if pycountry.currencies.get(alpha_3=currency) is None:
        raise ValueError(f"{currency} is not an ISO 4217 currency")
    return currency


def known_state(state: str) -> str:
    if state not in countries():
        raise ValueError(f"{state} is not a known state")
    return state


def known_convention(convention: str) -> str:
    if taxonomy().convention(convention) is None:
        known = ", ".join(sorted(taxonomy().conventions))
        raise ValueError(f"unknown convention {convention!r}; known: {known}")
    return convention


def areas_of(convention: str | None, areas: list[str]) -> list[str]:
    """The areas, if each is a thematic area of `convention` (None: the convention was refused)."""
    if convention is None:
        return areas
    unknown = taxonomy().unknown_areas(convention, areas)
    if unknown:
        raise ValueError(f"{', '.join(unknown)} not a thematic area of {convention}")
    return areas


def known_assistance_types(kinds: list[str]) -> list[str]:
    unknown = [kind for kind in kinds if kind not in taxonomy().assistance_types]
    if unknown:
        known = ", ".join(taxonomy().assistance_types)
        raise ValueError(f"unknown assistance type {', '.join(unknown)}; known: {known}")
    return kinds


def _one_of(values: Callable[[], Iterable[str]]) -> Callable[[dict[str, Any]], None]:
    """A JSON schema's `enum` of a closed vocabulary, read when the document is made."""

    def add_enum(schema: dict[str, Any]) -> None:
        schema["enum"] = sorted(values())

    return add_enum


Currency = Annotated[
    str,
    Field(
        pattern=r"^[A-Z]{3}$",
        examples=["USD"],
        description="ISO 4217",
        json_schema_extra=_one_of(lambda: (c.alpha_3 for c in pycountry.currencies)),
    ),
    AfterValidator(known_currency),
]
StateCode = Annotated[
    str,
    Field(
        pattern=r"^[A-Z]{3}$",
        examples=["LAO"],
        description="ISO 3166-1 alpha-3",
        json_schema_extra=_one_of(countries),
    ),
    AfterValidator(known_state),
]
ConventionCode = Annotated[
    str,
    Field(examples=["CCM"], json_schema_extra=_one_of(lambda: taxonomy().conventions)),
    AfterValidator(known_convention),
]
AssistanceType = Annotated[
    str, Field(json_schema_extra=_one_of(lambda: taxonomy().assistance_types))
]
AssistanceTypes = Annotated[
    list[AssistanceType],
    Field(min_length=1, max_length=4, examples=[["financial"]]),
    AfterValidator(known_assistance_types),
]


def _decimal_string(schema: dict[str, Any]) -> None:
    """An amount may come as a JSON number or as a string of one: say what such a string reads."""
    for branch in schema.get("anyOf", []):
        if branch.get("type") == "string":
            branch["pattern"] = r"^(?=.*[1-9])[0-9]{1,13}(\.[0-9]{1,2})?$"  # not zero


Amount = Annotated[
    Decimal,
    Field(
        gt=0,
        le=MAX_AMOUNT,
        decimal_places=2,
        examples=["1500000.00"],
        json_schema_extra=_decimal_string,
    ),
]


class MoneyIn(Strict):
    value: Amount
    currency: Currency


Unit = Annotated[
    str,
    AfterValidator(lambda unit: taxonomy().known_unit(unit)),
    Field(examples=["expert-days"], description="An in-kind unit of the shared taxonomy."),
]
QuantityValue = Annotated[Decimal, Field(gt=0, le=MAX_QUANTITY, decimal_places=2, examples=["120"])]
"""So many of an in-kind unit: at most a million, in hundredths at the finest."""


class ContactIn(Strict):
    name: str = Field(min_length=1, max_length=200)
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)
    phone: str | None = Field(None, max_length=40)
    organisation: str | None = Field(None, max_length=200)
