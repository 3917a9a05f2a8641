"""The language names are given in, and the names themselves, checked against the country list
the project ships (OCHA's taxonomy in hdx-python-country), not against strings copied from our
own output."""

from __future__ import annotations

import gc
import warnings
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from hdx.location.country import Country

from shared.http import install_problem_handlers
from shared.languages import LANGUAGES, Names, NamesDep, negotiate


def _taxonomy_rows() -> dict[str, dict[str, Any]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        rows: dict[str, dict[str, Any]] = Country.countriesdata(use_live=False)["countries"]
        gc.collect()
    return rows


@pytest.mark.parametrize(
    ("header", "chosen"),
    [
        (None, "en"),
        ("", "en"),
        ("fr", "fr"),
        ("fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7", "fr"),
        ("de-DE, ar;q=0.3", "ar"),  # the only known one, however low
        ("de, it;q=0.9", "en"),  # none known: English, not a refusal
        ("zh-Hans-CN", "zh"),
        ("en;q=0.4, ru;q=0.8", "ru"),
        ("es;q=0, fr;q=0.1", "fr"),  # q=0: not acceptable
        ("ES", "es"),
        ("*", "en"),
        ("fr;q=abc, ar", "ar"),  # a broken quality counts as not acceptable
    ],
)
def test_accept_language_is_negotiated(header: str | None, chosen: str) -> None:
    assert negotiate(header) == chosen


@pytest.mark.parametrize("iso3", ["FRA", "MAR", "LAO", "EGY", "COL", "CHN"])
@pytest.mark.parametrize(
    ("lang", "column"),
    [("fr", "French"), ("ar", "Arabic"), ("zh", "Chinese"), ("ru", "Russian"), ("es", "Spanish")],
)
def test_state_names_are_the_taxonomys(iso3: str, lang: str, column: str) -> None:
    row = _taxonomy_rows()[iso3]

    assert Names(lang).state(iso3) == (row[f"{column} Short"] or row[f"M49 {column}"])


def test_well_known_names() -> None:
    assert Names("fr").state("FRA") == "France"
    assert Names("fr").state("MAR") == "Maroc"
    assert Names("ar").state("MAR") == "المغرب"
    assert Names("es").state("MAR") == "Marruecos"
    assert Names("en").state("MAR") == "Morocco"


def test_every_state_has_a_name_in_every_language() -> None:
    rows = _taxonomy_rows()
    for lang in LANGUAGES:
        for iso3, row in rows.items():
            if row.get("Deprecated") == "Y":
                continue
            name = Names(lang).state(iso3)
            assert name, (lang, iso3)
    # A territory UNTERM does not list is named from M49.
    assert Names("fr").state("BMU") == rows["BMU"]["M49 French"]


def test_what_has_no_translation_is_named_in_english() -> None:
    french = Names("fr")

    assert french.convention("CCM") == "Convention on Cluster Munitions"
    assert french.assistance_type("technical") == "Technical assistance"
    assert french.state("ZZZ") == "ZZZ"  # unknown codes name themselves
    assert french.state(None) is None


def _app() -> httpx.AsyncClient:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/named")
    async def named(names: NamesDep) -> dict[str, str | None]:
        return {"lang": names.lang, "name": names.state("MAR")}

    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


async def test_lang_wins_over_accept_language_and_is_said_in_content_language() -> None:
    async with _app() as client:
        answer = await client.get(
            "/named", params={"lang": "ar"}, headers={"Accept-Language": "fr"}
        )
        negotiated = await client.get("/named", headers={"Accept-Language": "fr-FR,fr;q=0.9"})
        unknown = await client.get("/named", headers={"Accept-Language": "de"})

    assert answer.json() == {"lang": "ar", "name": "المغرب"}
    assert answer.headers["Content-Language"] == "ar"
    assert "Accept-Language" in answer.headers["Vary"]
    assert negotiated.json()["name"] == "Maroc"
    assert unknown.status_code == 200
    assert unknown.headers["Content-Language"] == "en"


async def test_an_unknown_lang_is_a_problem_naming_the_parameter() -> None:
    async with _app() as client:
        answer = await client.get("/named", params={"lang": "de"})

    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in answer.json()["errors"]] == ["query.lang"]
