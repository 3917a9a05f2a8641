"""Conventions, their thematic areas or obligations, and the kinds of assistance: data, not code.

The same taxonomy describes what a request asks for and what a source supports. It lives in
`shared/data/taxonomy.json`; a convention is added by adding it there.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

TAXONOMY_FILE = Path(__file__).parent / "data" / "taxonomy.json"


@dataclass(frozen=True)
class Convention:
    code: str
    name: str
    areas: dict[str, str]


@dataclass(frozen=True)
class Taxonomy:
    conventions: dict[str, Convention]
    assistance_types: dict[str, str]

    def convention(self, code: str) -> Convention | None:
        return self.conventions.get(code)

    def unknown_areas(self, convention: str, areas: list[str]) -> list[str]:
        """The areas that are not part of `convention` (all of them if it is unknown)."""
        known = self.conventions[convention].areas if convention in self.conventions else {}
        return [area for area in areas if area not in known]


@cache
def taxonomy(path: Path = TAXONOMY_FILE) -> Taxonomy:
    data = json.loads(path.read_text())
    return Taxonomy(
        conventions={
            code: Convention(code, entry["name"], dict(entry["areas"]))
            for code, entry in data["conventions"].items()
        },
        assistance_types=dict(data["assistance_types"]),
    )
