"""The ledger over HTTP: acts, corrections, views, conversions and the capacity report."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import pytest

from services.inventory.app.commands import reserve
from services.inventory.domain.ledger import Acceptance
from tests.database import fetch
from tests.integration.inventory.conftest import NORWAY, OPERATOR, SECRETARIAT
from tests.integration.inventory.flows import get, record, register
from tests.inventory_factories import act_body
from tests.service_api import Api
from tests.system import Environment


async def test_acts_add_up_per_window_and_per_request(api: Api) -> None:
    source = await register(api)
    lao, khm = uuid4(), uuid4()
    await record(api, source, "pledges", "900000.00", request_id=lao)
    await record(api, source, "commitments", "400000.00", request_id=lao)
    retried = [
        await api.client.post(
            f"/v1/sources/{source['id']}/commitments",
            json=act_body(source["windows"][0]["id"], "100000.00", request_id=khm),
            headers={**api.headers_for(NORWAY), "Idempotency-Key": "khm-commitment"},
        )
        for _ in range(2)
    ]
    await record(api, source, "commitments", "50000.00")  # for no request in particular
    disbursed = await record(api, source, "disbursements", "150000.00", request_id=lao)

    ledger = await get(api, f"/v1/sources/{source['id']}/ledger", OPERATOR)
    for_lao = await get(api, f"/v1/ledger/requests/{lao}", OPERATOR)

    window = ledger["windows"][0]
    assert (window["committed"], window["disbursed"], window["available"]) == (
        "550000.00",
        "150000.00",
        "450000.00",
    )
    assert {(b["request_id"], b["committed"], b["undisbursed"]) for b in ledger["balances"]} == {
        (str(lao), "400000.00", "250000.00"),
        (str(khm), "100000.00", "100000.00"),
        (None, "50000.00", "50000.00"),
    }
    assert [(b["pledged"], b["disbursed"]) for b in for_lao["balances"]] == [
        ("900000.00", "150000.00")
    ]
    assert (for_lao["convention"], for_lao["title"]) == (None, None)  # no event of it came
    assert [r.status_code for r in retried] == [201, 201]
    assert retried[0].json() == retried[1].json()  # the retry changed nothing
    assert (disbursed["kind"], disbursed["actor"], disbursed["request_id"]) == (
        "disbursed",
        "donor:norway",
        str(lao),
    )


async def test_a_correction_is_recorded_beside_the_entry_it_corrects(api: Api) -> None:
    source = await register(api)
    request = uuid4()
    entry = await record(api, source, "commitments", "400000.00", request_id=request)
    correction = {
        "amount": {"value": "-150000.00", "currency": "USD"},
        "date": entry["date"],
        "reason": "the agreement was signed for less",
    }

    corrected = await api.client.post(
        f"/v1/ledger/entries/{entry['id']}/corrections",
        json=correction,
        headers=api.headers_for(NORWAY),
    )
    too_far = await api.client.post(
        f"/v1/ledger/entries/{entry['id']}/corrections",
        json={**correction, "amount": {"value": "-250000.01", "currency": "USD"}},
        headers=api.headers_for(NORWAY),
    )
    entries = await get(api, "/v1/ledger/entries", OPERATOR, request_id=str(request), limit=1)
    rest = await get(api, "/v1/ledger/entries", OPERATOR, cursor=entries["next_cursor"])
    ledger = await get(api, f"/v1/sources/{source['id']}/ledger", OPERATOR)

    assert corrected.status_code == 201, corrected.text
    assert corrected.headers["location"] == f"/v1/ledger/entries/{corrected.json()['id']}"
    assert (corrected.json()["corrects"], corrected.json()["amount"]) == (entry["id"], "-150000.00")
    assert (too_far.status_code, too_far.json()["rule"]) == (409, "correction-below-zero")
    assert [e["id"] for e in entries["items"] + rest["items"]] == [
        corrected.json()["id"],
        entry["id"],
    ]
    assert ledger["windows"][0]["committed"] == "250000.00"


async def test_ledger_entries_refuse_to_be_changed_in_the_database(
    api: Api, environment: Environment
) -> None:
    source = await register(api)
    entry = await record(api, source, "pledges", "1000.00")

    for statement in (
        "UPDATE inventory.ledger_entries SET amount = 1 WHERE id = $1",
        "DELETE FROM inventory.ledger_entries WHERE id = $1",
    ):
        with pytest.raises(asyncpg.RaiseError, match="never changed"):
            await fetch(environment.database_url, statement, UUID(entry["id"]))


async def test_a_held_reservation_is_converted_into_a_commitment(api: Api) -> None:
    source = await register(api)
    request = uuid4()
    acceptance = Acceptance(
        match_id=uuid4(),
        request_id=request,
        state="LAO",
        source_id=UUID(source["id"]),
        window_id=UUID(source["windows"][0]["id"]),
        amount=Decimal("300000.00"),
        currency="USD",
        accepted_by="donor:norway",
    )
    async with api.resources.unit_of_work() as uow:
        await reserve(uow, acceptance, datetime.now(UTC))
    held = await get(api, "/v1/reservations", OPERATOR, request_id=str(request))

    async def convert() -> Any:
        return await api.client.post(
            f"/v1/reservations/{held[0]['id']}/commitment",
            json={"date": source["windows"][0]["opens"], "note": "agreement signed"},
            headers=api.headers_for(NORWAY),
        )

    converted, again = await convert(), await convert()
    for_request = await get(api, f"/v1/ledger/requests/{request}", OPERATOR)

    assert held[0]["status"] == "held"
    assert converted.status_code == 201, converted.text
    assert converted.json()["reservation_id"] == held[0]["id"]
    assert (again.status_code, again.json()["rule"]) == (409, "not-held")
    assert for_request["reservations"][0]["status"] == "converted"
    assert [(b["committed"], b["reserved"]) for b in for_request["balances"]] == [
        ("300000.00", "0.00")
    ]


async def test_the_capacity_report_sums_by_convention_area_and_region_per_currency(
    api: Api,
) -> None:
    norway = await register(api)
    await record(api, norway, "commitments", "400000.00")
    await register(
        api,
        SECRETARIAT,
        name="Regional bank window",
        donor=None,
        supports=[{"convention": "CCM", "areas": ["victim-assistance"]}],
        regional_focus=["south-eastern-asia"],
        min_grant=None,
        max_grant=None,
    )
    paused = await register(api, name="Paused source")
    await api.client.post(f"/v1/sources/{paused['id']}/pause", headers=api.headers_for(NORWAY))

    rows = await get(api, "/v1/reports/capacity", OPERATOR)
    as_csv = await api.client.get(
        "/v1/reports/capacity", params={"format": "csv"}, headers=api.headers_for(OPERATOR)
    )

    by_key = {(r["dimension"], r["key"]): r for r in rows}
    assert (
        by_key[("convention", "CCM")]["sources"],
        by_key[("convention", "CCM")]["available"],
    ) == (
        2,
        "1600000.00",
    )
    assert by_key[("area", "CCM/victim-assistance")]["capacity"] == "2000000.00"
    assert by_key[("area", "APMBC/mine-clearance")]["committed"] == "400000.00"
    assert by_key[("region", "(worldwide)")]["sources"] == 1
    assert by_key[("region", "south-eastern-asia")]["available"] == "1000000.00"
    assert {r["currency"] for r in rows} == {"USD"}
    assert len(list(csv.DictReader(io.StringIO(as_csv.text)))) == len(rows) + 1  # + hashtags
