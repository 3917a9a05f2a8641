"""Windows of help in kind through the inventory's API: refused with the field or rule when wrong,
stored, told in events and reported apart from money, per unit."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from typing import Any

from tests.database import fetch
from tests.integration.inventory.conftest import NORWAY, OPERATOR
from tests.integration.inventory.flows import get, record, register
from tests.integration.inventory.test_bad_input import Case, state
from tests.inventory_factories import act_body, in_kind_window_body, source_body, window_body
from tests.service_api import Api
from tests.system import Environment


def _with_windows(*windows: dict[str, Any]) -> dict[str, Any]:
    return source_body(windows=list(windows), min_grant=None, max_grant=None)


BAD_WINDOWS = [
    Case(
        "a window with neither currency nor unit",
        "POST",
        "/v1/sources",
        _with_windows(window_body(currency=None)),
        422,
        "body.windows.0.unit",
        "window-kind",
    ),
    Case(
        "money and in-kind mixed in one window",
        "POST",
        "/v1/sources",
        _with_windows(window_body(unit="expert-days")),
        422,
        "body.windows.0.currency",
        "window-kind",
    ),
    Case(
        "a unit unknown to the taxonomy",
        "POST",
        "/v1/sources",
        _with_windows(in_kind_window_body(unit="goodwill")),
        422,
        "body.windows.0.unit",
    ),
    Case(
        "a negative quantity",
        "POST",
        "/v1/sources",
        _with_windows(in_kind_window_body("-4")),
        422,
        "body.windows.0.capacity",
    ),
    Case(
        "an absurd quantity",
        "POST",
        "/v1/sources",
        _with_windows(in_kind_window_body("5000000")),
        422,
        "body.windows.0.capacity",
        "quantity-too-large",
    ),
]


def days(value: str, unit: str = "expert-days") -> dict[str, str]:
    return {"value": value, "unit": unit}


def in_kind_act_cases(source: dict[str, Any]) -> list[Case]:
    money, experts = (w["id"] for w in source["windows"])
    path = f"/v1/sources/{source['id']}/commitments"
    in_kind = {k: v for k, v in act_body(experts, "1").items() if k != "amount"}
    return [
        Case(
            "a quantity recorded on a money window",
            "POST",
            path,
            {**in_kind, "window_id": money, "quantity": days("10")},
            422,
            "body.quantity",
            "money-window",
        ),
        Case(
            "a quantity in another unit than the window's",
            "POST",
            path,
            {**in_kind, "quantity": days("10", "training-places")},
            422,
            "body.quantity.unit",
            "unit-mismatch",
        ),
        Case(
            "a quantity in a unit unknown to the taxonomy",
            "POST",
            path,
            {**in_kind, "quantity": days("10", "goodwill")},
            422,
            "body.quantity.unit",
        ),
        Case(
            "money and a quantity in one act",
            "POST",
            path,
            {**act_body(experts, "10.00"), "quantity": days("10")},
            422,
            "body",
        ),
        Case("neither money nor a quantity", "POST", path, in_kind, 422, "body"),
        Case(
            "more days committed than the window has",
            "POST",
            path,
            {**in_kind, "quantity": days("401")},
            409,
            "body.quantity",
            "capacity-exceeded",
        ),
        Case(
            "a negative quantity",
            "POST",
            path,
            {**in_kind, "quantity": days("-3")},
            422,
            "body.quantity.value",
        ),
        Case(
            "money committed from an in-kind window",
            "POST",
            path,
            act_body(experts, "10.00"),
            422,
            "body.window_id",
            "in-kind-window",
        ),
        Case(
            "a unit in a ledger amount",
            "POST",
            path,
            {**act_body(experts, "10"), "amount": {"value": "10", "unit": "expert-days"}},
            422,
            "body.amount.unit",
        ),
    ]


async def _both(api: Api) -> dict[str, Any]:
    """Norway's source with a money window and a window of 400 expert-days."""
    return await register(api, windows=[window_body("1000000.00"), in_kind_window_body("400")])


async def test_bad_in_kind_windows_and_acts_are_refused_and_change_nothing(
    api: Api, environment: Environment
) -> None:
    source = await _both(api)
    before = await state(environment)

    for number, case in enumerate(BAD_WINDOWS + in_kind_act_cases(source)):
        headers = {**api.headers_for(case.who), "Idempotency-Key": f"bad-in-kind-{number}"}
        response = await api.client.request(case.method, case.path, json=case.body, headers=headers)
        problem = response.json()

        assert response.status_code == case.status, (case.name, response.text)
        fields = {problem.get("field")} | {e["field"] for e in problem.get("errors", [])}
        assert case.field in fields, (case.name, problem)
        if case.rule:
            assert problem["rule"] == case.rule, (case.name, problem)
        assert await state(environment) == before, case.name


async def test_an_in_kind_window_is_stored_told_and_kept_apart_in_the_report(
    api: Api, environment: Environment
) -> None:
    source = await _both(api)
    await record(api, source, "commitments", "400000.00")

    got = await get(api, f"/v1/sources/{source['id']}")
    rows = await get(api, "/v1/reports/capacity", OPERATOR)
    in_kind_only = await get(api, "/v1/reports/capacity", OPERATOR, unit="expert-days")
    money_only = await get(api, "/v1/reports/capacity", OPERATOR, currency="USD")
    [event] = [
        json.loads(r["value"])["data"]["source"]
        for r in await fetch(
            environment.database_url,
            "SELECT value FROM inventory.outbox WHERE event_type LIKE '%source.changed%'"
            " ORDER BY id DESC LIMIT 1",
        )
    ]

    assert [(w["kind"], w["currency"], w["unit"], w["available"]) for w in got["windows"]] == [
        ("money", "USD", None, "600000.00"),
        ("in-kind", None, "expert-days", "400.00"),
    ]
    assert [(w["kind"], w["currency"], w["unit"]) for w in event["windows"]] == [
        ("money", "USD", None),
        ("in-kind", None, "expert-days"),
    ]
    ccm = {
        (r["kind"], r["currency"], r["unit"]): r["available"]
        for r in rows
        if (r["dimension"], r["key"]) == ("convention", "CCM")
    }
    assert ccm == {("money", "USD", None): "600000.00", ("in-kind", None, "expert-days"): "400.00"}
    assert {(r["kind"], r["unit"]) for r in in_kind_only} == {("in-kind", "expert-days")}
    assert {(r["kind"], r["currency"]) for r in money_only} == {("money", "USD")}


async def test_a_window_can_be_turned_to_help_in_kind_while_nothing_refers_to_it(
    api: Api,
) -> None:
    source = await register(api, min_grant=None, max_grant=None)
    window = source["windows"][0]

    response = await api.client.put(
        f"/v1/sources/{source['id']}",
        json=_with_windows({**in_kind_window_body("250", "training-places"), "id": window["id"]}),
        headers={**api.headers_for(NORWAY), "If-Match": f'"{source["version"]}"'},
    )

    assert response.status_code == 200, response.text
    [changed] = response.json()["windows"]
    assert (changed["id"], changed["kind"], changed["unit"], changed["currency"]) == (
        window["id"],
        "in-kind",
        "training-places",
        None,
    )
    assert Decimal(changed["capacity"]) == 250


async def test_the_search_finds_sources_of_help_in_kind_by_unit(api: Api) -> None:
    experts = await _both(api)
    await register(api, name="Money only", windows=[window_body("500000.00")])

    by_unit = await get(api, "/v1/sources", unit="expert-days")
    by_currency = await get(api, "/v1/sources", currency="USD")
    by_other_unit = await get(api, "/v1/sources", unit="training-places")
    unknown = await api.client.get(
        "/v1/sources", params={"unit": "goodwill"}, headers=api.headers_for(NORWAY)
    )
    both = await api.client.get(
        "/v1/sources",
        params={"unit": "expert-days", "currency": "USD"},
        headers=api.headers_for(NORWAY),
    )

    assert [s["id"] for s in by_unit["items"]] == [experts["id"]]
    assert len(by_currency["items"]) == 2
    assert by_other_unit["items"] == []
    assert (unknown.status_code, unknown.json()["field"]) == (422, "query.unit")
    assert (both.status_code, both.json()["field"]) == (422, "query.unit")


async def test_help_in_kind_is_pledged_committed_disbursed_and_corrected_in_its_unit(
    api: Api,
) -> None:
    source = await _both(api)
    experts = source["windows"][1]["id"]
    entries = []
    for path, value in (("pledges", "100"), ("commitments", "80"), ("disbursements", "30")):
        body = {**act_body(experts, "1"), "quantity": days(value)}
        del body["amount"]
        response = await api.client.post(
            f"/v1/sources/{source['id']}/{path}",
            json=body,
            headers={**api.headers_for(NORWAY), "Idempotency-Key": f"days-{path}"},
        )
        assert response.status_code == 201, response.text
        entries.append(response.json())
    correction = await api.client.post(
        f"/v1/ledger/entries/{entries[1]['id']}/corrections",
        json={"quantity": days("-20"), "date": act_body(experts, "1")["date"], "reason": "fewer"},
        headers={**api.headers_for(NORWAY), "Idempotency-Key": "days-correction"},
    )

    got = await get(api, f"/v1/sources/{source['id']}")
    sheet = await api.client.get(
        "/v1/ledger/entries",
        params={"source_id": source["id"], "format": "csv"},
        headers=api.headers_for(NORWAY),
    )

    assert [(e["kind"], Decimal(e["amount"]), e["currency"], e["unit"]) for e in entries] == [
        ("pledged", 100, None, "expert-days"),
        ("committed", 80, None, "expert-days"),
        ("disbursed", 30, None, "expert-days"),
    ]
    assert correction.status_code == 201, correction.text
    assert correction.json()["unit"] == "expert-days"
    money_window, days_window = got["windows"]
    assert (days_window["committed"], days_window["disbursed"], days_window["available"]) == (
        "60.00",
        "30.00",
        "340.00",
    )
    assert (money_window["committed"], money_window["available"]) == ("0.00", "1000000.00")
    assert sheet.status_code == 200, sheet.text
    header, tags, *lines = csv.reader(io.StringIO(sheet.text))
    units = [dict(zip(header, line, strict=True))["unit"] for line in lines]
    assert units == ["expert-days"] * 4, units
    assert tags[header.index("unit")] == "#item+unit+code"
