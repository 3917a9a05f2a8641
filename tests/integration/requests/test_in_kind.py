"""Help asked in kind: needs in the taxonomy's units, refused with the field or rule when wrong,
and carried through storage, the API and the events."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.database import fetch
from tests.factories import EXPERTS, in_kind_body, request_body
from tests.integration.requests.conftest import LAO, SECRETARIAT
from tests.integration.requests.flows import act, create, published
from tests.service_api import Api
from tests.system import Environment

BAD_NEEDS: list[tuple[str, dict[str, Any], str]] = [
    ("quantity without a unit", {"in_kind": [{"quantity": "5", "description": "x"}]}, "unit"),
    ("unknown unit", {"in_kind": [{**EXPERTS, "unit": "goodwill"}]}, "unit"),
    ("currency as a unit", {"in_kind": [{**EXPERTS, "unit": "USD"}]}, "unit"),
    ("negative quantity", {"in_kind": [{**EXPERTS, "quantity": "-3"}]}, "quantity"),
    ("zero quantity", {"in_kind": [{**EXPERTS, "quantity": "0"}]}, "quantity"),
    ("absurd quantity", {"in_kind": [{**EXPERTS, "quantity": "1e9"}]}, "quantity"),
    ("quantity not a number", {"in_kind": [{**EXPERTS, "quantity": "many"}]}, "quantity"),
    ("no description", {"in_kind": [{"unit": "expert-days", "quantity": "5"}]}, "description"),
]
MIXED_AMOUNTS: list[tuple[str, dict[str, Any], str]] = [
    ("unit in the amount", {"value": "120", "unit": "expert-days"}, "body.amount.unit"),
    ("unit as the currency", {"value": "120", "currency": "expert-days"}, "body.amount.currency"),
]


async def _stored(environment: Environment) -> tuple[int, int]:
    [row] = await fetch(
        environment.database_url,
        "SELECT (SELECT count(*) FROM requests.requests), (SELECT count(*) FROM requests.outbox)",
    )
    return row[0], row[1]


async def _post(api: Api, body: dict[str, Any]) -> Any:
    return await api.client.post("/v1/requests", json=body, headers=api.headers_for(SECRETARIAT))


@pytest.mark.parametrize(("case", "changes", "field"), BAD_NEEDS, ids=[b[0] for b in BAD_NEEDS])
async def test_a_bad_in_kind_need_is_refused_naming_its_field(
    api: Api, environment: Environment, case: str, changes: dict[str, Any], field: str
) -> None:
    response = await _post(api, in_kind_body(**changes))

    assert response.status_code == 422, case
    assert response.headers["content-type"] == "application/problem+json"
    fields = [error["field"] for error in response.json()["errors"]]
    assert f"body.in_kind.0.{field}" in fields, response.text
    assert await _stored(environment) == (0, 0)


@pytest.mark.parametrize(
    ("case", "amount", "field"), MIXED_AMOUNTS, ids=[m[0] for m in MIXED_AMOUNTS]
)
async def test_money_and_in_kind_in_one_amount_field_is_refused(
    api: Api, environment: Environment, case: str, amount: dict[str, Any], field: str
) -> None:
    response = await _post(api, request_body(amount=amount))

    assert response.status_code == 422, case
    assert field in [error["field"] for error in response.json()["errors"]], response.text
    assert await _stored(environment) == (0, 0)


async def test_two_needs_in_one_unit_are_refused_naming_the_rule(
    api: Api, environment: Environment
) -> None:
    twice = [EXPERTS, {**EXPERTS, "quantity": "30", "description": "Medical experts"}]

    response = await _post(api, in_kind_body(in_kind=twice))

    assert response.status_code == 422
    problem = response.json()
    assert (problem["rule"], problem["field"]) == ("one-need-per-unit", "body.in_kind")
    assert "expert-days" in problem["detail"]
    assert await _stored(environment) == (0, 0)


async def test_a_request_asking_nothing_is_drafted_but_not_submitted(
    api: Api, environment: Environment
) -> None:
    draft = await create(api, amount=None, in_kind=[])
    before = await _stored(environment)

    problem = await act(api, draft["id"], "submit", LAO, status=422)
    current = await api.client.get(f"/v1/requests/{draft['id']}", headers=api.headers_for(LAO))

    assert (draft["amount"], draft["in_kind"]) == (None, [])
    assert problem["rule"] == "nothing-asked"
    assert current.json()["status"] == "draft"
    assert await _stored(environment) == before


async def test_an_in_kind_request_keeps_its_needs_through_review_and_its_events(
    api: Api, environment: Environment
) -> None:
    training = {"unit": "training-places", "quantity": "12", "description": "EOD level 3 course"}
    request = await published(api, in_kind=[EXPERTS, training], amount=None)

    got = await api.client.get(f"/v1/requests/{request['id']}", headers=api.headers_for(LAO))
    rows = await fetch(
        environment.database_url,
        "SELECT event_type, value FROM requests.outbox ORDER BY id",
    )

    expected = [
        {**EXPERTS, "quantity": "120"},
        {**training, "quantity": "12"},
    ]
    assert got.json()["amount"] is None
    assert got.json()["in_kind"] == expected
    assert got.json()["status"] == "published"
    events = [json.loads(r["value"]) for r in rows]
    assert any("request.published" in r["event_type"] for r in rows)
    for event in events:
        assert event["data"]["request"]["in_kind"] == expected
        assert event["data"]["request"]["amount"] is None


async def test_a_request_may_ask_for_money_and_help_in_kind(api: Api) -> None:
    request = await create(api, in_kind=[EXPERTS])

    submitted = await act(api, request["id"], "submit", LAO)

    assert submitted["amount"] == {"value": "1500000.00", "currency": "USD"}
    assert [n["unit"] for n in submitted["in_kind"]] == ["expert-days"]
