"""The indicator reports over HTTP, computed from the events the service took in from Kafka and
the facts states reported through its API."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import uuid4

from services.inventory.demo import DONOR_STATES, DonorState, donor_state_source
from services.notifications import demo
from services.notifications.api.indicators import (
    IndicatorLine,
    NeedsLine,
    PendingLine,
    StateReportOut,
)
from shared.events import inventory as inv
from shared.events import requests as req
from shared.events.inventory import SourceDetails, SourceKind, Support, WindowKind
from shared.principal import Principal
from shared.topics import Stream
from tests.database import fetch
from tests.factories import envelope, request_event
from tests.integration.notifications.conftest import (
    KHM,
    LAO,
    NORWAY,
    OPERATOR,
    SECRETARIAT,
    SOUTH_EAST_ASIA,
    deliver,
)
from tests.integration.test_spreadsheets import parsed
from tests.matching_factories import source, window
from tests.service_api import Api
from tests.system import Environment

FORM = "application/x-www-form-urlencoded"
YEAR_2026 = {"from": "2026-01-01", "to": "2026-12-31"}

# Seed 002's table of the Oslo Action Plan indicators for 2020, in ISO codes.
SEED_002_SUPPORT = {
    *("AUT", "BEL", "KHM", "CAN", "CZE", "EST", "FRA", "DEU", "IRL", "JPN", "NLD", "NZL"),
    *("NOR", "SVK", "ESP", "SWE", "CHE", "THA", "GBR"),
}
SEED_002_VICTIM_ASSISTANCE = {"AUT", "BEL", "CAN", "NZL", "NOR"}
SEED_002_CLEARANCE = SEED_002_SUPPORT - {"KHM", "THA", "FRA"}
SEED_002_REPORTED = {
    "42-national-commitment": 18,  # seed 002's 55%
    "42-innovative-financing": 1,
    "43-needs-information": 17,
    "43-individualised-approach": 1,
    "44-dialogue-platform": 3,
    "46-coordinating-support": 6,
    "47-sharing-practices": 11,  # seed 002 says 9 and names 11, Cambodia and Thailand among them
}


def demo_source(state: DonorState) -> SourceDetails:
    """A donor state's source as the inventory service announces what its demo registers."""
    body = donor_state_source(state)
    windows = [
        window(
            w["capacity"],
            **(
                {"currency": None, "kind": WindowKind.IN_KIND, "unit": w["unit"]}
                if "unit" in w
                else {"currency": w["currency"]}
            ),
            opens=date.fromisoformat(w["opens"]),
            closes=date.fromisoformat(w["closes"]),
        )
        for w in body["windows"]
    ]
    return source(
        *windows,
        donor=body["donor"],
        kind=SourceKind(body["kind"]),
        name=body["name"],
        home_country=body["home_country"],
        supports=[Support(**s) for s in body["supports"]],
        assistance_types=body["assistance_types"],
    )


async def _sources(api: Api, *details: SourceDetails) -> None:
    changed = [
        envelope(
            inv.SourceChanged(source=d, change="registered", actor="secretariat"),
            str(d.source_id),
            "/clearinghouse/sources",
        )
        for d in details
    ]
    await deliver(api, Stream.SOURCES, *changed)


async def _report(api: Api, who: Principal, path: str, **params: Any) -> Any:
    return await api.client.get(path, params=params, headers=api.headers_for(who))


async def _indicators(api: Api, **params: Any) -> dict[str, dict[str, Any]]:
    answer = await _report(api, OPERATOR, "/v1/reports/indicators", **params)
    assert answer.status_code == 200, answer.text
    return {line["indicator"]: line for line in answer.json()}


async def test_the_demo_data_gives_seed_002s_table(service: Api) -> None:
    """The inventory demo's donor states, and the state reports of the notifications demo."""
    await _sources(service, *(demo_source(s) for s in DONOR_STATES))
    service.client.headers.update(service.headers_for(SECRETARIAT))
    await demo.load(service.client, {})

    lines = await _indicators(service, convention="APMBC", **YEAR_2026)

    assert set(lines["42-support"]["states"]) == SEED_002_SUPPORT
    assert lines["42-support"]["count"] == lines["44-support"]["count"] == 19
    assert set(lines["45-clearance"]["states"]) == SEED_002_CLEARANCE
    assert lines["45-clearance"]["count"] == 16
    assert set(lines["45-victim-assistance"]["states"]) == SEED_002_VICTIM_ASSISTANCE
    assert lines["42-support"]["basis"] == ["sources", "ledger"]
    assert (
        "United Kingdom of Great Britain and Northern Ireland"
        in (lines["42-support"]["state_names"])
    )
    reported = {i: len(lines[i]["states"]) for i in SEED_002_REPORTED}
    assert reported == SEED_002_REPORTED
    assert lines["44-dialogue-platform"]["states"] == ["AGO", "BIH", "TJK"]
    assert lines["43-individualised-approach"]["states"] == ["NER"]
    assert lines["47-sharing-practices"]["basis"] == ["sources", "state-reports"]
    ccm = await _indicators(service, convention="CCM", **YEAR_2026)
    assert ccm["42-support"]["states"] == ["CHE", "DEU", "GBR", "JPN", "NLD", "NOR"]
    before = await _indicators(
        service, convention="APMBC", **{"from": "2020-01-01", "to": "2020-12-31"}
    )
    assert before["42-support"]["count"] == 0  # the demo windows open in 2025


async def test_indicators_as_hxl_in_french_and_as_a_printable_page(service: Api) -> None:
    await _sources(service, *(demo_source(s) for s in DONOR_STATES if s.victim_assistance))

    csv = await _report(
        service, LAO, "/v1/reports/indicators", convention="APMBC", format="csv", lang="fr",
        **YEAR_2026,
    )  # fmt: skip
    page = await _report(
        service, NORWAY, "/v1/reports/indicators", convention="APMBC", format="html", lang="fr",
        **YEAR_2026,
    )  # fmt: skip

    rows = {row.get("#indicator+code"): row for row in parsed(csv, IndicatorLine)}
    victims = rows["45-victim-assistance"]
    assert victims.get("#indicator+count+num") == "5"
    assert victims.get("#country+code+list") == "AUT; BEL; CAN; NOR; NZL"
    assert "Nouvelle-Zélande" in victims.get("#country+name+list")
    assert csv.headers["content-language"] == "fr"
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert 'href="/dashboard/static/report.css"' in page.text
    assert "Nouvelle-Zélande" in page.text
    assert 'id="45-victim-assistance"' in page.text
    css = await service.client.get("/dashboard/static/report.css")
    assert css.status_code == 200
    assert "@media print" in css.text


async def test_bad_periods_conventions_and_languages_are_problems(service: Api) -> None:
    path = "/v1/reports/indicators"
    backwards = await _report(
        service, OPERATOR, path, convention="APMBC", **{"from": "2026-12-31", "to": "2026-01-01"}
    )
    unknown = await _report(service, OPERATOR, path, convention="Ottawa")
    no_indicators = await _report(service, OPERATOR, path, convention="Stockholm")
    language = await _report(service, OPERATOR, path, convention="APMBC", lang="xx")
    pending = await _report(service, OPERATOR, "/v1/reports/pending-requests", convention="X")
    anonymous = await service.client.get(path, params={"convention": "APMBC"})

    for answer, field in (
        (backwards, "query.to"),
        (unknown, "query.convention"),
        (no_indicators, "query.convention"),
        (language, "query.lang"),
        (pending, "query.convention"),
    ):
        assert answer.status_code == 422, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        assert field in answer.text
    assert "before it starts" in backwards.json()["detail"]
    assert "known: CCM, APMBC, Stockholm, Cartagena" in unknown.json()["detail"]
    assert anonymous.status_code == 401


def _fact(state: str, fact: str, **changes: Any) -> dict[str, Any]:
    return {
        "state": state,
        "convention": "APMBC",
        "fact": fact,
        "reported_on": "2026-04-30",
        "note": "Article 7 report",
        **changes,
    }


async def _post(api: Api, who: Principal, body: dict[str, Any], key: str) -> Any:
    headers = {**api.headers_for(who), "Idempotency-Key": key}
    return await api.client.post("/v1/state-reports", json=body, headers=headers)


async def test_states_report_their_own_facts_once_and_the_indicators_count_them(
    service: Api, environment: Environment
) -> None:
    own = await _post(service, LAO, _fact("LAO", "dialogue-platform"), "lao-1")
    again = await _post(service, LAO, _fact("LAO", "dialogue-platform"), "lao-1")
    on_its_word = await _post(service, SECRETARIAT, _fact("AGO", "dialogue-platform"), "s-1")
    other_year = _fact("BIH", "dialogue-platform", reported_on="2025-05-01")
    await _post(service, SECRETARIAT, other_year, "s-2")

    assert own.status_code == on_its_word.status_code == 201, own.text
    assert again.json() == own.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert own.json()["actor"] == "national:LAO"
    assert on_its_word.json()["actor"] == "secretariat"
    lines = await _indicators(service, convention="APMBC", **YEAR_2026)
    assert lines["44-dialogue-platform"]["states"] == ["AGO", "LAO"]
    assert lines["44-dialogue-platform"]["basis"] == ["state-reports"]
    listed = await _report(service, KHM, "/v1/state-reports", state="LAO", format="csv")
    assert [row.get("#country+code") for row in parsed(listed, StateReportOut)] == ["LAO"]
    rows = await fetch(environment.database_url, "SELECT count(*) FROM notifications.state_reports")
    assert rows[0][0] == 3


async def test_nobody_reports_for_another_state_and_nothing_is_stored(
    service: Api, environment: Environment
) -> None:
    other_state = await _post(service, LAO, _fact("KHM", "coordinating-support"), "k-1")
    centre = await _post(service, SOUTH_EAST_ASIA, _fact("LAO", "coordinating-support"), "k-2")
    operator = await _post(service, OPERATOR, _fact("LAO", "coordinating-support"), "k-3")
    unknown = await _post(service, LAO, _fact("LAO", "coordinating-support", convention="X"), "k-4")
    bad_fact = await _post(service, LAO, _fact("LAO", "feeling-good"), "k-5")
    no_state = await _post(service, SECRETARIAT, _fact("XXX", "coordinating-support"), "k-6")

    assert other_state.status_code == centre.status_code == operator.status_code == 403
    assert "may not report for KHM" in other_state.json()["detail"]
    assert unknown.status_code == bad_fact.status_code == no_state.status_code == 422
    assert unknown.json()["field"] == "body.convention"
    assert bad_fact.json()["detail"] == "Invalid: body.fact"
    assert no_state.json()["detail"] == "Invalid: body.state"
    for table in ("state_reports", "idempotency_keys"):
        rows = await fetch(environment.database_url, f"SELECT count(*) FROM notifications.{table}")
        assert rows[0][0] == 0, table


async def test_the_stockholm_pending_requests_and_needs_by_region(service: Api) -> None:
    submitted = [
        request_event(
            req.RequestSubmitted, state, centre, convention="Stockholm", areas=("pops-inventory",)
        )
        for state, centre in (("LAO", "south-eastern-asia"), ("KHM", "south-eastern-asia"))
    ]
    funded = request_event(
        req.RequestFunded, "VNM", convention="Stockholm", areas=("pops-inventory",),
        status="funded", version=7,
    )  # fmt: skip
    ccm = request_event(req.RequestSubmitted, "PER", None)
    for event in (*submitted, funded, ccm):
        key = str(event.request.request_id)
        await deliver(service, Stream.REQUESTS, envelope(event, key, "/clearinghouse/requests"))
    lao = submitted[0].request
    asked = lao.amount.value if lao.amount else Decimal(0)
    gef = source(
        donor="gef", kind=SourceKind.GLOBAL_FUND, supports=[Support(convention="Stockholm")]
    )
    await _sources(service, gef)
    commitment = inv.LedgerEntryRecorded(
        entry_id=uuid4(),
        source_id=gef.source_id,
        window_id=gef.windows[0].window_id,
        request_id=lao.request_id,
        kind="committed",
        amount=Decimal("1000.00"),
        currency=lao.amount.currency if lao.amount else "USD",
        date=date.today(),
        actor="secretariat",
    )
    await deliver(
        service, Stream.FUNDS, envelope(commitment, str(lao.request_id), "/clearinghouse/funds")
    )

    pending = await _report(service, LAO, "/v1/reports/pending-requests")
    needs = await _report(service, LAO, "/v1/reports/needs-by-region", format="csv", lang="fr")
    page = await _report(service, LAO, "/v1/reports/needs-by-region", format="html")

    assert pending.status_code == 200, pending.text
    assert {line["state"] for line in pending.json()} == {"LAO", "KHM"}
    mine = next(line for line in pending.json() if line["state"] == "LAO")
    assert Decimal(mine["committed"]) == Decimal("1000.00")
    assert Decimal(mine["outstanding"]) == asked - Decimal("1000.00")
    [asia] = parsed(needs, NeedsLine)
    assert asia.get("#region+code") == "south-eastern-asia"
    assert asia.get("#indicator+requests+num") == "2"
    assert asia.get("#country+code+list") == "KHM; LAO"
    assert Decimal(asia.get("#value+funding+outstanding")) == 2 * asked - Decimal("1000.00")
    assert page.status_code == 200
    assert "Funding needs by region" in page.text
    assert "Lao" in page.text
    assert parsed(
        await _report(service, LAO, "/v1/reports/pending-requests", format="csv"), PendingLine
    )


async def test_the_dashboard_links_the_printable_reports_for_its_signed_in_users(
    service: Api,
) -> None:
    await _sources(service, *(demo_source(s) for s in DONOR_STATES if s.south_south))
    key = service.headers_for(OPERATOR)["Authorization"].removeprefix("Bearer ")
    before = await service.client.get("/dashboard/reports/indicators")

    signed_in = await service.client.post(
        "/portal/sign-in", content=f"key={key}", headers={"Content-Type": FORM}
    )
    dashboard = await service.client.get("/dashboard")
    page = await service.client.get(
        "/dashboard/reports/indicators", params={"convention": "APMBC", "lang": "es", **YEAR_2026}
    )
    pending = await service.client.get("/dashboard/reports/pending-requests")

    assert before.status_code == 303
    assert before.headers["location"].startswith("/portal/sign-in?next=/dashboard/reports/")
    assert signed_in.status_code == 303
    assert 'href="/dashboard/reports/indicators?convention=APMBC&amp;lang=en"' in dashboard.text
    assert 'href="/dashboard/reports/pending-requests?convention=Stockholm' in dashboard.text
    assert page.status_code == 200
    assert page.headers["content-language"] == "es"
    assert "Camboya" in page.text
    assert pending.status_code == 200
    assert "No pending requests in the period." in pending.text
