"""Bulk submission of sources: a CSV or XLSX file of sources registered whole or not at all, by
the rules of a single registration, against the real database and broker."""

from __future__ import annotations

import csv
import io

import httpx
from openpyxl import load_workbook

from shared.principal import Principal
from shared.sheets import CSV, XLSX
from tests.database import fetch
from tests.integration.inventory.conftest import CAMBODIA, NORWAY, SECRETARIAT
from tests.inventory_factories import in_kind_window_body, source_row
from tests.service_api import Api
from tests.sheets import csv_file, xlsx_file


def cambodias(**changes: str | None) -> dict[str, str]:
    """Cambodia's offer of expertise in kind, as its focal point fills a row in."""
    experts = in_kind_window_body("400")
    values: dict[str, str | None] = {
        "name": "Cambodia: mine action expertise",
        "donor": None,
        "home_country": "KHM",
        "assistance_types": "technical; expertise-and-training",
        "windows_1_opens": experts["opens"],
        "windows_1_closes": experts["closes"],
        "windows_1_currency": None,
        "windows_1_unit": "expert-days",
        "windows_1_capacity": "400",
        "min_grant": None,
        "max_grant": None,
    }
    return source_row(**{**values, **changes})


async def upload(
    api: Api, content: bytes, media_type: str = CSV, who: Principal = NORWAY, key: str = "up-1"
) -> httpx.Response:
    headers = {**api.headers_for(who), "Content-Type": media_type, "Idempotency-Key": key}
    return await api.client.post("/v1/sources/bulk", content=content, headers=headers)


async def count(api: Api, table: str) -> int:
    url = api.resources.settings.database_url
    [record] = await fetch(url, f"SELECT count(*) FROM inventory.{table}")
    return int(record[0])


def errors(response: httpx.Response) -> list[tuple[int | None, str | None, str]]:
    assert response.headers["content-type"] == "application/problem+json", response.text
    return [(e["row"], e["column"], e["rule"]) for e in response.json()["errors"]]


async def test_a_valid_file_registers_every_source(api: Api) -> None:
    experts = in_kind_window_body("250")
    both = source_row(
        name="Norway: clearance and expertise",
        windows_2_opens=experts["opens"],
        windows_2_closes=experts["closes"],
        windows_2_unit="expert-days",
        windows_2_capacity="250",
    )
    rows = [source_row(), both, source_row(donor=None, name="Norway: victim assistance")]

    response = await upload(api, csv_file(rows))

    assert response.status_code == 201, response.text
    created = response.json()["created"]
    assert [c["row"] for c in created] == [2, 3, 4]
    assert response.headers["location"] == "/v1/sources/bulk/up-1"
    second = await api.client.get(
        f"/v1/sources/{created[1]['id']}", headers=api.headers_for(NORWAY)
    )
    source = second.json()
    assert [(w["kind"], w["currency"], w["unit"]) for w in source["windows"]] == [
        ("money", "USD", None),
        ("in-kind", None, "expert-days"),
    ]
    assert source["supports"][0]["areas"] == ["survey-and-clearance", "victim-assistance"]
    assert source["requirements"]["proposal_languages"] == ["en", "fr"]
    assert await count(api, "sources") == 3
    assert await count(api, "source_versions") == 3
    assert await count(api, "outbox") >= 3  # each one's source.changed


async def test_one_bad_row_stores_nothing_and_names_row_and_column(api: Api) -> None:
    rows = [
        source_row(),
        source_row(windows_1_closes="2020-01-01", windows_1_opens="2021-01-01"),
        source_row(contact_email="nobody", windows_1_capacity="lots"),
        source_row(regional_focus="atlantis"),
        source_row(),
    ]

    response = await upload(api, csv_file(rows))

    assert response.status_code == 422, response.text
    assert errors(response) == [
        (3, "windows_1_closes", "window-closes-before-opens"),
        (4, "windows_1_capacity", "decimal_parsing"),
        (4, "contact_email", "string_pattern_mismatch"),
        (5, "regional_focus", "unknown-centre"),
    ]
    assert response.json()["errors_total"] == 4
    assert await count(api, "sources") == 0
    assert await count(api, "outbox") == 0
    assert await count(api, "idempotency_keys") == 0
    assert await count(api, "bulk_uploads") == 0


async def test_a_retried_upload_changes_nothing(api: Api) -> None:
    content = csv_file([source_row(), source_row(name="Norway: second fund")])

    first = await upload(api, content, key="retry")
    again = await upload(api, content, key="retry")
    progress = await api.client.get("/v1/sources/bulk/retry", headers=api.headers_for(NORWAY))

    assert (first.status_code, again.status_code) == (201, 201), first.text
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert await count(api, "sources") == 2
    assert {k: progress.json()[k] for k in ("status", "rows_total", "rows_stored")} == {
        "status": "stored",
        "rows_total": 2,
        "rows_stored": 2,
    }


async def test_a_focal_point_uploading_another_partys_sources_is_refused_row_by_row(
    api: Api,
) -> None:
    rows = [
        cambodias(),
        cambodias(donor="thailand", name="Thailand: demining expertise"),
        cambodias(donor="cambodia", name="Cambodia: training"),
        source_row(),  # Norway's
    ]

    refused = await upload(api, csv_file(rows), who=CAMBODIA)
    own = await upload(api, csv_file([rows[0], rows[2]]), who=CAMBODIA, key="own")

    assert refused.status_code == 403, refused.text
    assert errors(refused) == [(3, None, "forbidden"), (5, None, "forbidden")]
    assert "own state's offers" in refused.json()["errors"][0]["message"]
    assert own.status_code == 201, own.text
    listed = await api.client.get(
        "/v1/sources", params={"donor": "cambodia"}, headers=api.headers_for(CAMBODIA)
    )
    assert len(listed.json()["items"]) == 2
    assert await count(api, "sources") == 2


async def test_the_template_round_trips_in_csv_and_xlsx(api: Api) -> None:
    headers = api.headers_for(SECRETARIAT)
    as_csv = await api.client.get("/v1/sources/template", headers=headers)
    as_xlsx = await api.client.get("/v1/sources/template?format=xlsx", headers=headers)
    header = next(csv.reader(io.StringIO(as_csv.text)))
    workbook = load_workbook(io.BytesIO(as_xlsx.content))
    sheet = workbook["sources"]
    assert [c.value for c in sheet[1]] == header
    sheet.append([source_row(name="From the XLSX template").get(str(n)) for n in header])
    out = io.BytesIO()
    workbook.save(out)

    from_csv = await upload(api, csv_file([source_row()], header=header), who=SECRETARIAT)
    from_xlsx = await upload(api, out.getvalue(), XLSX, who=SECRETARIAT, key="xlsx")
    typed = await upload(
        api,
        xlsx_file([source_row(windows_1_capacity=None) | {"windows_1_capacity": 250000}]),  # type: ignore[dict-item]
        XLSX,
        who=SECRETARIAT,
        key="typed",
    )

    assert as_csv.headers["content-disposition"].endswith('sources-template.csv"')
    assert (from_csv.status_code, from_xlsx.status_code, typed.status_code) == (201, 201, 201)
    assert await count(api, "sources") == 3


async def test_a_file_of_100000_rows_is_refused_naming_the_limit(api: Api) -> None:
    content = csv_file([source_row()] * 100_000)

    response = await upload(api, content)

    assert response.status_code == 413, response.text
    assert response.json()["limit"] in ("rows", "bytes")
    assert await count(api, "sources") == 0
