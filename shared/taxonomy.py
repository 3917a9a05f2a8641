"""Conventions, their thematic areas or obligations, the kinds of assistance and the units in-kind
help is counted in: data, not code.

The same taxonomy describes what a request asks for and what a source supports. It lives in
`shared/data/taxonomy.json`; a convention or a unit is added by adding it there. Units are
lower-case words, so a unit is never taken for an ISO 4217 currency code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path

TAXONOMY_FILE = Path(__file__).parent / "data" / "taxonomy.json"
MAX_QUANTITY = Decimal("1000000")
"""The most of any in-kind unit asked or offered at once (a million expert-days, places or
items): anything above is a typo."""


@dataclass(frozen=True)
class Convention:
    code: str
    name: str
    areas: dict[str, str]


@dataclass(frozen=True)
class Taxonomy:
    conventions: dict[str, Convention]
    assistance_types: dict[str, str]
    in_kind_units: dict[str, str]

    def convention(self, code: str) -> Convention | None:
        return self.conventions.get(code)

    def unknown_areas(self, convention: str, areas: list[str]) -> list[str]:
        """The areas that are not part of `convention` (all of them if it is unknown)."""
        known = self.conventions[convention].areas if convention in self.conventions else {}
        return [area for area in areas if area not in known]

    def known_unit(self, unit: str) -> str:
        """The unit, if it is an in-kind unit of the taxonomy; otherwise ValueError, naming those
        that are (the message a caller reads in a 422)."""
        if unit not in self.in_kind_units:
            known = ", ".join(self.in_kind_units)
            raise ValueError(f"unknown in-kind unit {unit!r}; known: {known}")
        return unit


@cache
def taxonomy(path: Path = TAXONOMY_FILE) -> Taxonomy:
    data = json.loads(path.read_text())
    return Taxonomy(
        conventions={
            code: Convention(code, entry["name"], dict(entry["areas"]))
            for code, entry in data["conventions"].items()
        },
        assistance_types=dict(data["assistance_types"]),
        in_kind_units=dict(data["in_kind_units"]),
    )


INDICATORS_FILE = Path(__file__).parent / "data" / "indicators.json"


@dataclass(frozen=True)
class Indicator:
    """A result a project may track under a convention, counted in one unit: one of the
    indicators' own units or an in-kind unit of the taxonomy (a place trained is the same
    `training-places` whether it is asked for in kind or reported as a result)."""

    code: str
    name: str
    unit: str


@cache
def indicator_units(path: Path = INDICATORS_FILE) -> dict[str, str]:
    """Every unit a result is counted in: the indicators' own and the in-kind units."""
    return {**json.loads(path.read_text())["units"], **taxonomy().in_kind_units}


@cache
def indicators(convention: str, path: Path = INDICATORS_FILE) -> dict[str, Indicator]:
    """The results indicators of a convention (none for an unknown one), by code; data in
    `shared/data/indicators.json`. A unit the file names must be known, or loading fails."""
    entries = json.loads(path.read_text())["conventions"].get(convention, {})
    found = {code: Indicator(code, name, unit) for code, (name, unit) in entries.items()}
    unknown = sorted({i.unit for i in found.values()} - indicator_units(path).keys())
    if unknown:
        raise ValueError(f"indicators of {convention} counted in unknown units {unknown}")
    return found
