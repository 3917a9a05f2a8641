"""The language an answer names things in: one of the six official languages of the UN.

A caller chooses with the `lang` query parameter, or else with `Accept-Language` (RFC 9110
content negotiation: the known language with the highest quality wins; `fr-CA` counts as `fr`,
`zh-Hans` as `zh`). An unknown `lang` is a 422 problem naming the parameter; an Accept-Language
naming only unknown languages gets English, as content negotiation falls back to a default
rather than refusing. The answer says what it chose in `Content-Language` (and `Vary:
Accept-Language`, so a cache keeps one copy per language).

What is named: states, from OCHA's countries taxonomy (the UNTERM short name, else the M49 name,
in the chosen language; English: the taxonomy's preferred term), and the conventions, areas,
assistance types and in-kind units of the shared taxonomy, which are labelled in English only
for now, so those labels stay English in every language. A code nobody knows is named by itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Literal, get_args

from fastapi import Depends, Header, Query, Response

from shared.geography import RegionalCentre, countries
from shared.taxonomy import taxonomy

Language = Literal["ar", "zh", "en", "fr", "ru", "es"]
LANGUAGES: tuple[str, ...] = get_args(Language)
DEFAULT = "en"


def negotiate(accept_language: str | None) -> str:
    """The known language an Accept-Language header prefers; English if it names none."""
    best, best_q = DEFAULT, 0.0
    for item in (accept_language or "").split(","):
        tag, _, params = item.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if primary == "*":
            primary = DEFAULT
        # Ties go to the earlier entry: the caller listed it first.
        if primary in LANGUAGES and q > best_q and 0 < q <= 1:
            best, best_q = primary, q
    return best


@dataclass(frozen=True)
class Names:
    """What codes are called in one language."""

    lang: str = DEFAULT

    def state(self, code: str | None) -> str | None:
        if code is None:
            return None
        country = countries().get(code)
        return country.name_in(self.lang) if country else code

    def states(self, codes: list[str]) -> list[str]:
        return [self.state(c) or c for c in codes]

    def convention(self, code: str) -> str:
        convention = taxonomy().convention(code)
        return convention.name if convention else code

    def area(self, convention: str, area: str) -> str:
        known = taxonomy().convention(convention)
        return known.areas.get(area, area) if known else area

    def areas(self, convention: str, areas: list[str]) -> list[str]:
        return [self.area(convention, a) for a in areas]

    def assistance_type(self, code: str) -> str:
        return taxonomy().assistance_types.get(code, code)

    def assistance_types(self, codes: list[str]) -> list[str]:
        return [self.assistance_type(c) for c in codes]

    def of_key(self, dimension: str, key: str, centres: Mapping[str, RegionalCentre]) -> str:
        """A summary key's name: a state's, a convention's, an area's (`convention/area`), a
        kind of assistance's, a regional centre's; any other key (a status) is its own name."""
        if dimension == "state":
            return self.state(key) or key
        if dimension == "convention":
            return self.convention(key)
        if dimension == "area":
            convention, _, area = key.partition("/")
            return self.area(convention, area)
        if dimension == "assistance_type":
            return self.assistance_type(key)
        if dimension == "region" and key in centres:
            return centres[key].name
        return key

    def unit(self, code: str | None) -> str | None:
        return None if code is None else taxonomy().in_kind_units.get(code, code)

    def headers(self) -> dict[str, str]:
        return {"Content-Language": self.lang, "Vary": "Accept-Language"}


ENGLISH = Names()


def chosen_names(
    response: Response,
    lang: Annotated[
        Language | None,
        Query(description="ar, zh, en, fr, ru or es: the language names are given in"),
    ] = None,
    accept_language: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Names:
    """The caller's language: `lang`, else Accept-Language, else English."""
    names = Names(lang or negotiate(accept_language))
    response.headers.update(names.headers())
    return names


NamesDep = Annotated[Names, Depends(chosen_names)]
