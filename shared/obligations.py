"""States' treaty obligations that carry a deadline, as data: the deadlines extension requests
ask to move.

`shared/data/obligations.json` names, per convention and obligation (an area of the taxonomy, with
the treaty article that sets its deadline), each state that has the obligation and its current
deadline. It is demonstration data: a deployment replaces it with its own file
(`OBLIGATIONS_FILE`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

from shared.taxonomy import taxonomy

OBLIGATIONS_FILE = Path(__file__).parent / "data" / "obligations.json"


@dataclass(frozen=True)
class Obligation:
    """One state's obligation under a convention and the deadline the treaty (or the last
    extension granted) sets for it."""

    convention: str
    area: str
    article: str
    state: str
    deadline: date


@dataclass(frozen=True)
class Obligations:
    by_key: dict[tuple[str, str, str], Obligation]

    def of(self, state: str, convention: str, area: str) -> Obligation | None:
        """The state's obligation under `convention` and `area`; None when it has none."""
        return self.by_key.get((state, convention, area))

    def of_state(self, state: str) -> list[Obligation]:
        return [o for key, o in sorted(self.by_key.items()) if key[0] == state]


@cache
def obligations(path: Path | None = None) -> Obligations:
    """The obligations of `path` (the demonstration file by default); every convention and area
    it names must be in the taxonomy."""
    data = json.loads((path or OBLIGATIONS_FILE).read_text())
    by_key = {}
    for convention, areas in data["conventions"].items():
        unknown = taxonomy().unknown_areas(convention, list(areas))
        if unknown:
            raise ValueError(f"obligations of {convention} not in the taxonomy: {unknown}")
        for area, entry in areas.items():
            for state, deadline in entry["states"].items():
                by_key[(state, convention, area)] = Obligation(
                    convention, area, entry["article"], state, date.fromisoformat(deadline)
                )
    return Obligations(by_key)
