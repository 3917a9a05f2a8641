"""Bulk submission: a CSV or XLSX file of requests stored whole or not at all, against the real
database and broker."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import httpx
from openpyxl import load_workbook

from services.requests.api.sheets import CSV, XLSX
from services.requests.service import SERVICE as REQUESTS
from shared.principal import Principal
from shared.topics import Stream
from tests.database import fetch
from tests.integration.requests.conftest import EVERYONE, KHM, LAO, SECRETARIAT
from tests.integration.requests.flows import act
from tests.kafka import read_events
from tests.service_api import Api, over_http
from tests.sheets import csv_file, xlsx_file
from tests.system import Environment

DEADLINE = (date.today() + timedelta(days=365)).isoformat()


def row(state: str = "LAO", **changes: str) -> dict[str, str]:
    """A row as a person fills the template in: a CCM clearance request."""
    values = {
        "state": state,
        "convention": "CCM",
        "areas": "survey-and-clearance",
        "assistance_types": "financial; technical",
        "title": f"Clearance in {state}",
        "description": "Clearance of confirmed hazardous areas.",
        "amount_value": "1500000.00",
        "amount_currency": "USD",
        "deadline": DEADLINE,
        "urgency": "high",
        "contact_name": "National focal point",
        "contact_email": "focal.point@example.org",
        "evidence_1_kind": "survey",
        "evidence_1_description": "Non-technical survey 2018",
        "evidence_1_date": "2018-11-30",
        "in_kind_1_unit": "expert-days",
        "in_kind_1_quantity": "120",
        "in_kind_1_description": "Survey experts",
    }
    values.update(changes)
    return {k: v for k, v in values.items() if v is not None}


async def upload(
    api: Api,
    content: bytes,
    media_type: str = CSV,
    who: Principal = LAO,
    key: str | None = "upload-1",
) -> httpx.Response:
    headers = {**api.headers_for(who), "Content-Type": media_type}
    if key is not None:
        headers["Idempotency-Key"] = key
    return await api.client.post("/v1/requests/bulk", content=content, headers=headers)


async def _count(environment: Environment, table: str) -> int:
    [record] = await fetch(environment.database_url, f"SELECT count(*) FROM requests.{table}")
    return int(record[0])


async def _stored(environment: Environment) -> int:
    return await _count(environment, "requests")


def _errors(response: httpx.Response) -> list[tuple[int | None, str | None, str]]:
    assert response.headers["content-type"] == "application/problem+json", response.text
    return [(e["row"], e["column"], e["rule"]) for e in response.json()["errors"]]


async def test_a_csv_file_is_stored_as_drafts_one_per_row(
    api: Api, environment: Environment
) -> None:
    rows = [
        row(),
        row(title="Victim assistance", in_kind_1_unit=""),
        row(amount_value="", amount_currency=""),
    ]
    rows[1] |= {"in_kind_1_quantity": "", "in_kind_1_description": ""}

    response = await upload(api, csv_file(rows))

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["rows"] == 3
    assert [c["row"] for c in body["created"]] == [2, 3, 4]
    assert response.headers["location"] == "/v1/requests/bulk/upload-1"
    first = await api.client.get(
        f"/v1/requests/{body['created'][0]['id']}", headers=api.headers_for(LAO)
    )
    assert first.status_code == 200
    request = first.json()
    assert request["status"] == "draft"
    assert request["assistance_types"] == ["financial", "technical"]
    assert request["amount"] == {"value": "1500000.00", "currency": "USD"}
    assert request["in_kind"] == [
        {"unit": "expert-days", "quantity": "120", "description": "Survey experts"}
    ]
    assert request["evidence"] == [
        {
            "kind": "survey",
            "description": "Non-technical survey 2018",
            "reference": None,
            "date": "2018-11-30",
        }
    ]
    assert await _stored(environment) == 3
    assert await _count(environment, "request_history") == 3  # each one's creation


async def test_an_xlsx_file_with_typed_cells_is_stored_and_its_drafts_go_on_like_any(
    live_api: Api, environment: Environment
) -> None:
    typed = row() | {
        "deadline": date.today() + timedelta(days=200),  # a date cell
        "amount_value": 250000,  # a number cell
        "in_kind_1_quantity": 12.5,
        "evidence_1_date": date(2018, 11, 30),
    }
    content = xlsx_file([typed, row("PER"), row(title="Second LAO request")])

    response = await upload(live_api, content, XLSX, who=SECRETARIAT)

    assert response.status_code == 201, response.text
    created = [c["id"] for c in response.json()["created"]]
    first = await live_api.client.get(
        f"/v1/requests/{created[0]}", headers=live_api.headers_for(LAO)
    )
    assert first.json()["amount"]["value"] == "250000.00"
    assert first.json()["in_kind"][0]["quantity"] == "12.5"
    assert first.json()["deadline"] == typed["deadline"].isoformat()
    assert await _stored(environment) == 3
    # Drafts concern the state alone, as a single POST's: their submission is what is told.
    await act(live_api, created[0], "submit", LAO)
    topic = live_api.resources.topics.national(Stream.REQUESTS)
    events = await read_events(live_api.resources.settings.kafka_bootstrap_servers, topic, 1)
    assert [(e.payload.event_type, str(e.key)) for e in events] == [
        ("request.submitted", created[0])
    ]


async def test_one_invalid_row_among_valid_ones_stores_nothing_and_is_named(
    api: Api, environment: Environment
) -> None:
    rows = [row(), row(), row(amount_value="lots", contact_email="nobody"), row()]

    response = await upload(api, csv_file(rows))

    assert response.status_code == 422, response.text
    assert _errors(response) == [
        (4, "amount_value", "decimal_parsing"),
        (4, "contact_email", "string_pattern_mismatch"),
    ]
    assert response.json()["errors_total"] == 2
    assert await _stored(environment) == 0
    assert await _count(environment, "idempotency_keys") == 0


async def test_missing_and_unknown_columns_are_named_in_the_header(
    api: Api, environment: Environment
) -> None:
    rows = [{k: v for k, v in row().items() if k not in ("deadline", "title")} | {"colour": "x"}]

    response = await upload(api, csv_file(rows))

    assert response.status_code == 422
    assert sorted(_errors(response), key=str) == sorted(
        [
            (1, "colour", "unknown-column"),
            (1, "title", "missing-column"),
            (1, "deadline", "missing-column"),
        ],
        key=str,
    )
    assert await _stored(environment) == 0


async def test_wrong_types_and_unknown_codes_name_their_row_and_column(
    api: Api, environment: Environment
) -> None:
    rows = [
        row(deadline="next spring", in_kind_1_quantity="many"),
        row(state="XYZ"),
        row(convention="NPT"),
        row(in_kind_1_unit="tonnes"),
        row(amount_currency="ZZZ", urgency="yesterday"),
        row(areas="survey-and-clearance; stockpile-destruction-of-apples"),
        row(evidence_2_kind="report"),  # a group begun and not finished
    ]

    response = await upload(api, csv_file(rows))

    assert response.status_code == 422
    assert _errors(response) == [
        (2, "in_kind_1_quantity", "decimal_parsing"),
        (2, "deadline", "date_from_datetime_parsing"),
        (3, "state", "value_error"),
        (4, "convention", "value_error"),
        (5, "in_kind_1_unit", "value_error"),
        (6, "amount_currency", "value_error"),
        (6, "urgency", "enum"),
        (7, "areas", "value_error"),
        (8, "evidence_2_description", "missing"),
    ]
    assert await _stored(environment) == 0


async def test_a_domain_rule_of_the_need_is_told_by_row(api: Api) -> None:
    twice = row(in_kind_2_unit="expert-days", in_kind_2_quantity="3", in_kind_2_description="x")

    response = await upload(api, csv_file([row(), twice]))

    assert response.status_code == 422
    assert _errors(response) == [(3, "in_kind", "one-need-per-unit")]


async def test_a_focal_point_may_not_upload_another_states_row(
    api: Api, environment: Environment
) -> None:
    response = await upload(api, csv_file([row("KHM"), row("LAO"), row("KHM")]), who=KHM)

    assert response.status_code == 403, response.text
    assert _errors(response) == [(3, "state", "forbidden")]
    assert await _stored(environment) == 0


async def test_a_retried_upload_answers_the_same_and_stores_nothing_more(
    api: Api, environment: Environment
) -> None:
    content = csv_file([row(), row()])

    first = await upload(api, content, key="retry-1")
    again = await upload(api, content, key="retry-1")
    other = await upload(api, csv_file([row()]), key="retry-1")

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert other.status_code == 422  # another file under the same key
    assert other.json()["type"].endswith("idempotency-key-reused")
    assert await _stored(environment) == 2


async def test_an_upload_needs_an_idempotency_key_and_a_spreadsheet(api: Api) -> None:
    keyless = await upload(api, csv_file([row()]), key=None)
    json = await upload(api, b"{}", "application/json")
    empty = await upload(api, csv_file([], header=list(row())))
    garbage = await upload(api, b"PK\x03\x04 not really a workbook", XLSX)

    assert keyless.status_code == 422
    assert keyless.json()["field"] == "header.Idempotency-Key"
    assert json.status_code == 415
    assert empty.status_code == 422
    assert _errors(empty) == [(None, None, "no-rows")]
    assert garbage.status_code == 422
    assert _errors(garbage) == [(None, None, "xlsx")]


async def test_too_many_rows_are_refused_naming_the_limit(
    api: Api, environment: Environment
) -> None:
    content = csv_file([row()] * 10_001)

    response = await upload(api, content)

    assert response.status_code == 413, response.text
    assert (response.json()["limit"], response.json()["maximum"]) == ("rows", 10_000)
    assert "10000 rows" in response.json()["detail"]
    assert await _stored(environment) == 0


async def test_a_file_of_100000_rows_is_refused_without_being_read_whole(
    api: Api, environment: Environment
) -> None:
    short = "LAO,CCM,survey-and-clearance,financial,Clearance,D,1,USD,2099-01-01,a,a@b.cd\n"
    header = "state,convention,areas,assistance_types,title,description,amount_value,"
    header += "amount_currency,deadline,contact_name,contact_email\n"
    content = (header + short * 100_000).encode()
    assert len(content) > 7_000_000

    response = await upload(api, content)

    assert response.status_code == 413, response.text
    assert response.json()["limit"] in ("rows", "bytes")
    assert await _stored(environment) == 0


async def test_a_body_beyond_the_service_limit_is_refused_and_not_held(
    environment: Environment,
) -> None:
    """Over a real socket: the client, still sending, reads the 413 (the body is dropped)."""
    async with over_http(REQUESTS, environment, EVERYONE) as api:
        response = await upload(api, b"x" * (40 * 1024 * 1024))
        healthy = await api.client.get("/healthz")

    assert response.status_code == 413
    assert (response.json()["limit"], response.json()["maximum"]) == ("bytes", 16 * 1024 * 1024)
    assert healthy.status_code == 200


async def test_the_progress_of_an_upload_is_read_by_its_key(api: Api) -> None:
    stored = await upload(api, csv_file([row()] * 3), key="watched")
    refused = await upload(api, csv_file([row(), row(title="")]), key="refused one")

    progress = await api.client.get("/v1/requests/bulk/watched", headers=api.headers_for(LAO))
    failed = await api.client.get("/v1/requests/bulk/refused%20one", headers=api.headers_for(LAO))
    strangers = await api.client.get("/v1/requests/bulk/watched", headers=api.headers_for(KHM))

    assert stored.status_code == 201
    assert refused.status_code == 422
    assert progress.status_code == 200
    assert {k: progress.json()[k] for k in ("status", "rows_total", "rows_stored")} == {
        "status": "stored",
        "rows_total": 3,
        "rows_stored": 3,
    }
    assert failed.status_code == 404  # a refused upload leaves nothing, not even its progress
    assert strangers.status_code == 404


async def test_the_template_round_trips(api: Api, environment: Environment) -> None:
    headers = api.headers_for(LAO)
    as_csv = await api.client.get("/v1/requests/template", headers=headers)
    as_xlsx = await api.client.get("/v1/requests/template?format=xlsx", headers=headers)
    assert as_csv.headers["content-type"].startswith(CSV)
    assert as_xlsx.headers["content-type"] == XLSX

    # The CSV template filled as a spreadsheet program would: every column, empty cells too.
    header = next(csv.reader(io.StringIO(as_csv.text)))
    filled_csv = csv_file([row(), row(title="Another")], header=header)
    # The XLSX template filled on its first sheet; its second says what each column holds.
    workbook = load_workbook(io.BytesIO(as_xlsx.content))
    sheet = workbook["requests"]
    names = [cell.value for cell in sheet[1]]
    assert names == header
    assert [r[0].value for r in workbook["columns"].iter_rows(min_row=2)] == header
    sheet.append([row("LAO", title="From the XLSX template").get(str(n)) for n in names])
    out = io.BytesIO()
    workbook.save(out)

    from_csv = await upload(api, filled_csv, CSV, key="template-csv")
    from_xlsx = await upload(api, out.getvalue(), XLSX, key="template-xlsx")

    assert (from_csv.status_code, from_xlsx.status_code) == (201, 201), from_xlsx.text
    assert await _stored(environment) == 3
