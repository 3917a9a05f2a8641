"""Bad input: a problem-details answer that names the field or rule, and nothing stored or sent."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from tests.database import fetch
from tests.factories import need_body, request_body
from tests.integration.requests.conftest import LAO, SECRETARIAT, SOUTH_EAST_ASIA
from tests.integration.requests.flows import act, create, published
from tests.service_api import Api
from tests.system import Environment

YESTERDAY = (date.today() - timedelta(days=1)).isoformat()
MONEY = {"value": "1500000.00", "currency": "USD"}

BAD_BODIES: list[tuple[str, dict[str, Any], str]] = [
    ("unknown state", {"state": "XXX"}, "body.state"),
    ("lower-case state", {"state": "lao"}, "body.state"),
    ("unknown convention", {"convention": "Kyoto"}, "body.convention"),
    ("unknown area", {"areas": ["peacekeeping"]}, "body.areas"),
    ("area of another convention", {"areas": ["pops-inventory"]}, "body.areas"),
    ("no area", {"areas": []}, "body.areas"),
    ("unknown assistance type", {"assistance_types": ["moral"]}, "body.assistance_types"),
    ("negative amount", {"amount": {**MONEY, "value": "-5"}}, "body.amount.value"),
    ("zero amount", {"amount": {**MONEY, "value": "0"}}, "body.amount.value"),
    ("absurd amount", {"amount": {**MONEY, "value": "1e15"}}, "body.amount.value"),
    ("fractions of a cent", {"amount": {**MONEY, "value": "10.001"}}, "body.amount.value"),
    ("unknown currency", {"amount": {**MONEY, "currency": "XYZ"}}, "body.amount.currency"),
    ("deadline in the past", {"deadline": YESTERDAY}, "body.deadline"),
    ("oversized description", {"description": "x" * 10_001}, "body.description"),
    ("oversized title", {"title": "x" * 301}, "body.title"),
    ("unknown field", {"priority": "top"}, "body.priority"),
    (
        "unknown nested field",
        {"contact": {"name": "A", "email": "a@b.org", "x": 1}},
        "body.contact.x",
    ),
    ("areas not a list", {"areas": "survey-and-clearance"}, "body.areas"),
    ("amount not a number", {"amount": {**MONEY, "value": "lots"}}, "body.amount.value"),
    ("unknown urgency", {"urgency": "yesterday"}, "body.urgency"),
    ("bad e-mail", {"contact": {"name": "A", "email": "not-an-address"}}, "body.contact.email"),
    ("deadline not a date", {"deadline": "soon"}, "body.deadline"),
]


async def _stored(environment: Environment) -> tuple[int, int]:
    [row] = await fetch(
        environment.database_url,
        "SELECT (SELECT count(*) FROM requests.requests), (SELECT count(*) FROM requests.outbox)",
    )
    return row[0], row[1]


@pytest.mark.parametrize(("case", "changes", "field"), BAD_BODIES, ids=[b[0] for b in BAD_BODIES])
async def test_a_bad_request_body_is_refused_naming_the_field(
    api: Api, environment: Environment, case: str, changes: dict[str, Any], field: str
) -> None:
    response = await api.client.post(
        "/v1/requests", json=request_body(**changes), headers=api.headers_for(SECRETARIAT)
    )

    assert response.status_code == 422, case
    assert response.headers["content-type"] == "application/problem+json"
    assert field in [error["field"] for error in response.json()["errors"]], response.text
    assert await _stored(environment) == (0, 0)


async def test_a_body_that_is_not_json_is_refused(api: Api, environment: Environment) -> None:
    response = await api.client.post(
        "/v1/requests",
        content=b"{not json",
        headers={**api.headers_for(LAO), "Content-Type": "application/json"},
    )

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert await _stored(environment) == (0, 0)


@pytest.mark.parametrize(
    ("steps", "action", "who", "rule"),
    [
        ([], "endorse", SOUTH_EAST_ASIA, "not-reviewable"),
        ([], "publish", SECRETARIAT, "not-publishable"),
        ([("submit", LAO)], "submit", LAO, "not-submittable"),
        ([("submit", LAO)], "publish", SECRETARIAT, "not-publishable"),
        ([("submit", LAO), ("withdraw", LAO)], "withdraw", LAO, "not-withdrawable"),
    ],
    ids=[
        "endorse a draft",
        "publish a draft",
        "submit twice",
        "publish unreviewed",
        "withdraw twice",
    ],
)
async def test_an_illegal_transition_is_a_conflict_naming_the_rule(
    api: Api,
    environment: Environment,
    steps: list[tuple[str, Any]],
    action: str,
    who: Any,
    rule: str,
) -> None:
    request = await create(api)
    for step, actor in steps:
        await act(api, request["id"], step, actor)
    before = await _stored(environment)

    problem = await act(api, request["id"], action, who, status=409)

    assert problem["type"] == "urn:clearinghouse:problem:lifecycle"
    assert problem["rule"] == rule
    assert await _stored(environment) == before


async def test_a_published_request_cannot_be_edited(api: Api, environment: Environment) -> None:
    request = await published(api)
    before = await _stored(environment)

    response = await api.client.put(
        f"/v1/requests/{request['id']}",
        json=need_body(title="Edited after publication"),
        headers={**api.headers_for(LAO), "If-Match": f'"{request["version"]}"'},
    )

    assert response.status_code == 409
    assert response.json()["type"] == "urn:clearinghouse:problem:lifecycle"
    assert await _stored(environment) == before


@pytest.mark.parametrize(
    ("if_match", "status", "kind"),
    [('"99"', 412, "stale"), (None, 428, "precondition-required")],
    ids=["stale If-Match", "missing If-Match"],
)
async def test_an_amendment_needs_the_current_etag(
    api: Api, environment: Environment, if_match: str | None, status: int, kind: str
) -> None:
    request = await create(api)
    headers = api.headers_for(LAO) | ({"If-Match": if_match} if if_match else {})

    response = await api.client.put(
        f"/v1/requests/{request['id']}", json=need_body(title="Amended"), headers=headers
    )
    current = await api.client.get(f"/v1/requests/{request['id']}", headers=api.headers_for(LAO))

    assert response.status_code == status
    assert response.json()["type"] == f"urn:clearinghouse:problem:{kind}"
    assert current.json()["title"] == request["title"]
    assert current.json()["version"] == request["version"]


async def test_a_stale_if_match_on_a_transition_is_refused(api: Api) -> None:
    request = await create(api)
    await act(api, request["id"], "submit", LAO)

    response = await api.client.post(
        f"/v1/requests/{request['id']}/withdraw",
        json={},
        headers={**api.headers_for(LAO), "If-Match": f'"{request["version"]}"'},
    )

    assert response.status_code == 412
    assert response.json()["current_version"] == request["version"] + 1
