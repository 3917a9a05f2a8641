"""Every CSV export, read over HTTP and parsed by libhxl: the hashtags are the table's, the names
beside the codes are in the language asked for, checked against the country list itself."""

from __future__ import annotations

import gc
import io
import warnings
from collections.abc import AsyncIterator
from typing import Any

import hxl
import pytest
from hdx.location.country import Country
from pydantic import BaseModel

from services.inventory.api.reports import CapacityRow, UnansweredSource
from services.inventory.api.schemas import EntryLine, SourceLine
from services.inventory.service import SERVICE as INVENTORY
from services.notifications.api.schemas import NotificationLine
from services.requests.api.reports import Count, DeadlineAtRisk, StatesForObligation
from services.requests.api.schemas import RequestLine
from services.requests.service import SERVICE as REQUESTS
from shared.events.requests import RequestSubmitted
from shared.portal.session import COOKIE
from shared.principal import Principal
from shared.reports import HXL
from shared.topics import Stream
from tests.factories import envelope, request_body, request_event
from tests.integration.notifications.conftest import deliver, notifications
from tests.inventory_factories import act_body, source_body
from tests.service_api import Api, in_process_api
from tests.system import Environment

MAR = Principal.national("MAR")
FRA = Principal.national("FRA")
NORWAY = Principal.for_donor("norway")
OPERATOR = Principal.operator()
SECRETARIAT = Principal.secretariat()


def taxonomy_name(iso3: str, column: str) -> str:
    """The country list's own name of a state, e.g. column French: its UNTERM short name."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        row = Country.countriesdata(use_live=False)["countries"][iso3]
        gc.collect()
    name: str = row[f"{column} Short"] or row[f"M49 {column}"]
    return name


def parsed(answer: Any, model: type[BaseModel]) -> list[Any]:
    """The rows libhxl reads from a CSV answer, after checking its hashtags are the table's."""
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    with io.BytesIO(answer.content) as file:
        data = hxl.data(file)
        rows = list(data)
    assert [c.header for c in data.columns] == list(model.model_fields)
    assert [c.get_display_tag(sort_attributes=True) for c in data.columns] == [
        hxl.model.Column.parse(HXL[c]).get_display_tag(sort_attributes=True)
        for c in model.model_fields
    ]
    return rows


@pytest.fixture
async def requests_api(environment: Environment) -> AsyncIterator[Api]:
    everyone = (MAR, FRA, OPERATOR, SECRETARIAT)
    async for api in in_process_api(REQUESTS, environment, everyone, workers=False):
        yield api


@pytest.fixture
async def inventory_api(environment: Environment) -> AsyncIterator[Api]:
    async for api in in_process_api(
        INVENTORY, environment, (NORWAY, OPERATOR, SECRETARIAT), workers=False
    ):
        yield api


async def _create(api: Api, who: Principal) -> dict[str, Any]:
    state = who.state or ""
    answer = await api.client.post(
        "/v1/requests", json=request_body(state), headers=api.headers_for(who)
    )
    assert answer.status_code == 201, answer.text
    created: dict[str, Any] = answer.json()
    submitted = await api.client.post(
        f"/v1/requests/{created['id']}/submit", headers=api.headers_for(who)
    )
    assert submitted.status_code == 200, submitted.text
    return created


async def test_requests_and_their_reports_as_hxl_in_french_and_arabic(requests_api: Api) -> None:
    api = requests_api
    await _create(api, MAR)
    await _create(api, FRA)
    headers = api.headers_for(OPERATOR)

    french = await api.client.get(
        "/v1/requests", params={"format": "csv", "lang": "fr"}, headers=headers
    )
    arabic = await api.client.get(
        "/v1/requests", params={"format": "csv"}, headers={**headers, "Accept-Language": "ar"}
    )
    as_json = await api.client.get("/v1/requests", headers={**headers, "Accept-Language": "ar"})
    first_page = await api.client.get(
        "/v1/requests", params={"format": "csv", "limit": 1}, headers=headers
    )

    names = {r.get("#country+code"): r.get("#country+name") for r in parsed(french, RequestLine)}
    assert names == {"MAR": taxonomy_name("MAR", "French"), "FRA": "France"}
    assert names["MAR"] == "Maroc"
    assert french.headers["Content-Language"] == "fr"
    in_arabic = {
        r.get("#country+code"): r.get("#country+name") for r in parsed(arabic, RequestLine)
    }
    assert in_arabic["MAR"] == taxonomy_name("MAR", "Arabic") == "المغرب"
    assert arabic.headers["Content-Language"] == "ar"
    by_state = {i["state"]: i for i in as_json.json()["items"]}
    assert by_state["MAR"]["state_name"] == "المغرب"
    assert by_state["FRA"]["convention_name"] == "Convention on Cluster Munitions"  # English only
    assert len(parsed(first_page, RequestLine)) == 1
    assert 'rel="next"' in first_page.headers["Link"]
    assert "cursor=" in first_page.headers["Link"]

    for path, model in (
        ("/v1/reports/summary", Count),
        ("/v1/reports/states-by-obligation", StatesForObligation),
        ("/v1/reports/deadlines", DeadlineAtRisk),
    ):
        answer = await api.client.get(
            path, params={"format": "csv", "lang": "fr", "within_days": 3650}, headers=headers
        )
        rows = parsed(answer, model)
        assert rows, path
    summary = parsed(
        await api.client.get(
            "/v1/reports/summary", params={"format": "csv", "lang": "ar"}, headers=headers
        ),
        Count,
    )
    states = {
        r.get("#meta+key"): r.get("#meta+key+name")
        for r in summary
        if r.get("#meta+dimension") == "state"
    }
    assert states == {"FRA": taxonomy_name("FRA", "Arabic"), "MAR": "المغرب"}


async def test_an_unknown_language_is_a_problem_naming_the_parameter(requests_api: Api) -> None:
    api = requests_api
    headers = api.headers_for(OPERATOR)
    await _create(api, MAR)

    answer = await api.client.get("/v1/requests", params={"lang": "de"}, headers=headers)
    unknown_header = await api.client.get(
        "/v1/requests", headers={**headers, "Accept-Language": "de-DE, it;q=0.8"}
    )
    report = await api.client.get(
        "/v1/reports/summary", params={"lang": "xx", "format": "csv"}, headers=headers
    )

    assert answer.status_code == report.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in answer.json()["errors"]] == ["query.lang"]
    assert unknown_header.status_code == 200
    assert unknown_header.headers["Content-Language"] == "en"
    assert unknown_header.json()["items"][0]["state_name"] == "Morocco"


async def test_sources_ledger_and_capacity_as_hxl(inventory_api: Api) -> None:
    api = inventory_api
    created = await api.client.post(
        "/v1/sources", json=source_body(), headers=api.headers_for(NORWAY)
    )
    assert created.status_code == 201, created.text
    source = created.json()
    act = act_body(source["windows"][0]["id"], "1000.00")
    committed = await api.client.post(
        f"/v1/sources/{source['id']}/commitments", json=act, headers=api.headers_for(NORWAY)
    )
    assert committed.status_code == 201, committed.text
    headers = api.headers_for(OPERATOR)

    sources = parsed(
        await api.client.get(
            "/v1/sources", params={"format": "csv", "lang": "fr"}, headers=headers
        ),
        SourceLine,
    )
    entries = parsed(
        await api.client.get("/v1/ledger/entries", params={"format": "csv"}, headers=headers),
        EntryLine,
    )
    capacity = parsed(
        await api.client.get("/v1/reports/capacity", params={"format": "csv"}, headers=headers),
        CapacityRow,
    )
    unanswered = parsed(
        await api.client.get(
            "/v1/reports/unanswered-sources", params={"format": "csv"}, headers=headers
        ),
        UnansweredSource,
    )

    norway = next(r for r in sources if r.get("#org+source+name") == "Norway: mine action")
    assert norway.get("#country+code+funder") == "NOR"
    assert norway.get("#country+name+funder") == taxonomy_name("NOR", "French")
    assert norway.get("#sector+code+list") == "CCM; APMBC"
    assert [e.get("#financial+type") for e in entries] == ["committed"]
    assert {r.get("#meta+key") for r in capacity} >= {"CCM", "APMBC"}
    assert unanswered == []  # Norway holds a key: its header and hashtags alone


async def test_the_feed_as_hxl_in_arabic(environment: Environment) -> None:
    async with notifications(environment, [OPERATOR]) as api:
        submitted = request_event(RequestSubmitted, "MAR", None)
        event = envelope(submitted, str(submitted.request.request_id), "/clearinghouse/requests")
        await deliver(api, Stream.REQUESTS, event)

        answer = await api.client.get(
            "/v1/feed", params={"format": "csv", "lang": "ar"}, headers=api.headers_for(OPERATOR)
        )
        as_json = await api.client.get(
            "/v1/feed", headers={**api.headers_for(OPERATOR), "Accept-Language": "fr"}
        )
        key = api.headers_for(OPERATOR)["Authorization"].removeprefix("Bearer ")
        api.client.cookies.set(COOKIE, key)
        french_page = await api.client.get("/dashboard", params={"lang": "fr"})
        arabic_page = await api.client.get("/dashboard", headers={"Accept-Language": "ar"})

    rows = parsed(answer, NotificationLine)
    assert {r.get("#country+name") for r in rows} == {taxonomy_name("MAR", "Arabic")}
    assert answer.headers["Content-Language"] == "ar"
    assert {i["state_name"] for i in as_json.json()["items"]} == {"Maroc"}
    assert french_page.status_code == arabic_page.status_code == 200
    assert '<html lang="fr">' in french_page.text
    assert f'data-state="MAR">{taxonomy_name("MAR", "French")}<' in french_page.text
    assert "lang=fr" in french_page.text  # the live stream and the panels keep the language
    assert f'data-state="MAR">{taxonomy_name("MAR", "Arabic")}<' in arabic_page.text
