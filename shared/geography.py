"""States and the regional centres that review their requests.

Countries come from OCHA's Countries & Territories Taxonomy, the CSV file hdx-python-country ships
(read as a file, offline: importing the package's lookup code would also load its downloader,
a third of a service's memory). The default regional network has one centre per UN M49
sub-region, using the intermediate region where M49 has one (Sub-Saharan Africa splits into
Eastern, Middle, Southern and Western Africa; Latin America and the Caribbean into the Caribbean,
Central and South America). A deployment replaces it with a JSON file naming each centre and the
states it covers (for example the Stockholm Convention's regional centres): set
`REGIONAL_CENTRES_FILE`. A state that no centre covers sends its requests straight to the global
tier.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from pathlib import Path

TAXONOMY = files("hdx.location") / "Countries & Territories Taxonomy MVP - C&T Taxonomy.csv"
CENTRE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
SPLIT_SUBREGIONS = {"Sub-Saharan Africa", "Latin America and the Caribbean"}
NAME_COLUMNS = {
    "ar": "Arabic",
    "zh": "Chinese",
    "fr": "French",
    "ru": "Russian",
    "es": "Spanish",
}
"""The taxonomy's word for each UN language but English, as in its `French Short` (the UNTERM
short name) and `M49 French` (the M49 name, which also covers territories) columns."""


@dataclass(frozen=True)
class Country:
    iso3: str
    name: str
    region: str | None
    subregion: str | None
    income_group: str | None
    currency: str | None
    names: dict[str, str] = field(default_factory=dict, compare=False, hash=False)
    """The name in each UN language but English, where the taxonomy gives one."""
    iso2: str | None = None
    """ISO 3166-1 alpha-2 (IATI's recipient-country code)."""

    def name_in(self, lang: str) -> str:
        """The name in `lang` (ar, zh, en, fr, ru, es); English where the taxonomy has none."""
        return self.names.get(lang) or self.name


@dataclass(frozen=True)
class RegionalCentre:
    id: str
    name: str
    states: frozenset[str]


@cache
def countries() -> dict[str, Country]:
    """Every current state and territory, by ISO 3166-1 alpha-3 code."""
    text = io.StringIO(TAXONOMY.read_text(encoding="utf-8"), newline="")
    rows = [{k: v or None for k, v in row.items()} for row in csv.DictReader(text)]
    return {
        iso3: Country(
            iso3=iso3,
            name=row.get("Preferred Term") or iso3,
            region=row.get("Region Name"),
            subregion=_subregion(row.get("Sub-region Name"), row.get("Intermediate Region Name")),
            income_group=row.get("World Bank Income Level"),
            currency=row.get("Currency"),
            names=_names(row),
            iso2=row.get("ISO 3166-1 Alpha 2-Codes"),
        )
        for row in rows
        if (iso3 := (row.get("ISO 3166-1 Alpha 3-Codes") or "").upper())
        and row.get("Deprecated") != "Y"
    }


def _names(row: dict[str, str | None]) -> dict[str, str]:
    """The UNTERM short name in each language, else the M49 name (UNTERM lists member states
    only)."""
    names = {}
    for lang, column in NAME_COLUMNS.items():
        name = row.get(f"{column} Short") or row.get(f"M49 {column}")
        if name:
            names[lang] = name
    return names


def _subregion(subregion: str | None, intermediate: str | None) -> str | None:
    return intermediate if subregion in SPLIT_SUBREGIONS and intermediate else subregion


def slug(name: str) -> str:
    """Lower-case ASCII letters and digits joined by hyphens: `Côte d'Ivoire` is `cote-d-ivoire`."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")


def party_of_state(iso3: str) -> str | None:
    """The party a state is when it offers assistance: the id its sources name as their donor,
    the slug of its name without what the name adds in parentheses (`norway`, `netherlands`,
    `bolivia`). None for a code the country list does not know."""
    country = countries().get(iso3)
    if country is None:
        return None
    return slug(re.sub(r"\(.*?\)", "", country.name))


class RegionalNetwork:
    """The regional centres and which one covers each state."""

    def __init__(self, centres: list[RegionalCentre]) -> None:
        self.centres = {centre.id: centre for centre in centres}
        self._by_state: dict[str, RegionalCentre] = {}
        for centre in centres:
            if not CENTRE_ID.match(centre.id):
                raise ValueError(f"invalid regional centre id {centre.id!r}")
            for state in centre.states:
                if state in self._by_state:
                    raise ValueError(f"{state} is covered by two centres")
                self._by_state[state] = centre

    def centre_of(self, state: str) -> RegionalCentre | None:
        return self._by_state.get(state)

    @property
    def ids(self) -> list[str]:
        return sorted(self.centres)


def m49_network() -> RegionalNetwork:
    """One centre per M49 sub-region (intermediate region where there is one)."""
    members: dict[str, set[str]] = {}
    for country in countries().values():
        if country.subregion:
            members.setdefault(country.subregion, set()).add(country.iso3)
    return RegionalNetwork(
        [RegionalCentre(slug(name), name, frozenset(states)) for name, states in members.items()]
    )


def load_network(path: Path | None) -> RegionalNetwork:
    """The network from a JSON file of `{"id", "name", "states"}` objects, or the M49 default."""
    if path is None:
        return m49_network()
    known = countries()
    centres = []
    for entry in json.loads(path.read_text()):
        unknown = sorted(set(entry["states"]) - set(known))
        if unknown:
            raise ValueError(f"{path}: centre {entry['id']} lists unknown states {unknown}")
        centres.append(RegionalCentre(entry["id"], entry["name"], frozenset(entry["states"])))
    return RegionalNetwork(centres)
