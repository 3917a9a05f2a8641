"""Each kind of principal against each action, on its own and on others' states and regions.

A caller who may not see a request gets 404, one who sees it but may not act gets 403, and in
either case the request and the outbox stay as they were.
"""

from __future__ import annotations

from typing import Any

import pytest

from shared.principal import Principal
from tests.database import fetch
from tests.factories import request_body
from tests.integration.requests.conftest import (
    BALKANS,
    DONOR,
    EVERYONE,
    KHM,
    LAO,
    OPERATOR,
    PER,
    SECRETARIAT,
    SOUTH_EAST_ASIA,
)
from tests.integration.requests.flows import act, create
from tests.service_api import Api
from tests.system import Environment

# The steps that bring a LAO request (reviewed by south-eastern-asia) to each status.
STEPS_TO = {
    "draft": [],
    "submitted": [("submit", LAO)],
    "endorsed": [("submit", LAO), ("endorse", SOUTH_EAST_ASIA)],
    "published": [("submit", LAO), ("endorse", SOUTH_EAST_ASIA), ("publish", SECRETARIAT)],
}
OTHERS_HIDDEN = {KHM: 404, PER: 404, BALKANS: 404}

# action, the status it applies to, the body it takes, and who gets what answer
MATRIX: list[tuple[str, str, dict[str, Any], dict[Principal, int]]] = [
    (
        "submit",
        "draft",
        {},
        {LAO: 200, SECRETARIAT: 200, SOUTH_EAST_ASIA: 403, OPERATOR: 403, DONOR: 404},
    ),
    (
        "endorse",
        "submitted",
        {},
        {SOUTH_EAST_ASIA: 200, SECRETARIAT: 200, LAO: 403, OPERATOR: 403, DONOR: 404},
    ),
    (
        "return",
        "submitted",
        {"reason": "attach the survey"},
        {SOUTH_EAST_ASIA: 200, SECRETARIAT: 200, LAO: 403, OPERATOR: 403, DONOR: 404},
    ),
    (
        "publish",
        "endorsed",
        {},
        {SECRETARIAT: 200, LAO: 403, SOUTH_EAST_ASIA: 403, OPERATOR: 403, DONOR: 404},
    ),
    (
        "withdraw",
        "published",
        {"reason": "funded elsewhere"},
        {LAO: 200, SECRETARIAT: 200, SOUTH_EAST_ASIA: 403, OPERATOR: 403, DONOR: 403},
    ),
]


async def _request_at(api: Api, status: str) -> dict[str, Any]:
    request = await create(api)
    for action, who in STEPS_TO[status]:
        request = await act(api, request["id"], action, who)
    return request


async def _snapshot(api: Api, environment: Environment, request_id: str) -> tuple[int, int]:
    """The request's version and the number of events in the outbox."""
    response = await api.client.get(
        f"/v1/requests/{request_id}", headers=api.headers_for(SECRETARIAT)
    )
    [row] = await fetch(environment.database_url, "SELECT count(*) FROM requests.outbox")
    return response.json()["version"], row[0]


@pytest.mark.parametrize(
    ("action", "status", "body", "expected"), MATRIX, ids=[row[0] for row in MATRIX]
)
async def test_each_principal_gets_its_answer_and_a_refusal_changes_nothing(
    api: Api,
    environment: Environment,
    action: str,
    status: str,
    body: dict[str, Any],
    expected: dict[Principal, int],
) -> None:
    answers = {}
    for who in EVERYONE:
        request = await _request_at(api, status)
        before = await _snapshot(api, environment, request["id"])
        response = await api.client.post(
            f"/v1/requests/{request['id']}/{action}", json=body, headers=api.headers_for(who)
        )
        answers[who] = response.status_code
        if response.status_code != 200:
            assert await _snapshot(api, environment, request["id"]) == before, who

    assert answers == {**OTHERS_HIDDEN, **expected}


async def test_only_the_state_itself_or_the_secretariat_creates_its_requests(
    api: Api, environment: Environment
) -> None:
    answers = {}
    for who in EVERYONE:
        response = await api.client.post(
            "/v1/requests", json=request_body("LAO"), headers=api.headers_for(who)
        )
        answers[who] = response.status_code

    assert answers == {
        LAO: 201,
        SECRETARIAT: 201,
        KHM: 403,
        PER: 403,
        SOUTH_EAST_ASIA: 403,
        BALKANS: 403,
        OPERATOR: 403,
        DONOR: 403,
    }
    [row] = await fetch(environment.database_url, "SELECT count(*) FROM requests.requests")
    assert row[0] == 2


async def test_amending_is_for_the_state_alone_and_only_before_review(api: Api) -> None:
    request = await _request_at(api, "draft")
    answers = {}
    for who in EVERYONE:
        response = await api.client.put(
            f"/v1/requests/{request['id']}",
            json={k: v for k, v in request_body(title="Amended").items() if k != "state"},
            headers={**api.headers_for(who), "If-Match": '"1"'},
        )
        answers[who] = response.status_code
        if who is not LAO and who is not SECRETARIAT:
            assert response.status_code in (403, 404), who

    assert answers[LAO] == 200  # LAO comes first and moves the version on
    assert answers[SECRETARIAT] == 412  # by then the ETag it sent is stale


async def test_what_each_principal_can_read(api: Api) -> None:
    draft = await _request_at(api, "draft")
    public = await _request_at(api, "published")
    readable = {}
    for who in EVERYONE:
        answers = []
        for request in (draft, public):
            url = f"/v1/requests/{request['id']}"
            answers.append((await api.client.get(url, headers=api.headers_for(who))).status_code)
        readable[who] = tuple(answers)

    assert readable == {
        LAO: (200, 200),
        SOUTH_EAST_ASIA: (200, 200),
        SECRETARIAT: (200, 200),
        OPERATOR: (200, 200),
        DONOR: (404, 200),
        KHM: (404, 404),
        PER: (404, 404),
        BALKANS: (404, 404),
    }
