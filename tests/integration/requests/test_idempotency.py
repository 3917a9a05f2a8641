"""Retried writes: the same Idempotency-Key gives the first answer and creates nothing new."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.database import fetch
from tests.factories import request_body
from tests.integration.requests.conftest import KHM, LAO
from tests.integration.requests.flows import create
from tests.service_api import Api
from tests.system import Environment


async def _count(environment: Environment, sql: str) -> int:
    [row] = await fetch(environment.database_url, sql)
    return int(row[0])


async def _post(api: Api, key: str, **changes: Any) -> tuple[int, dict[str, object], str]:
    who = KHM if changes.get("state") == "KHM" else LAO
    response = await api.client.post(
        "/v1/requests",
        json=request_body(**changes),
        headers={**api.headers_for(who), "Idempotency-Key": key},
    )
    return response.status_code, response.json(), response.headers.get("idempotent-replayed", "")


async def test_a_retried_create_returns_the_first_answer_and_stores_one_request(
    api: Api, environment: Environment
) -> None:
    first = await _post(api, "create-1")
    again = await _post(api, "create-1")

    assert (first[0], again[0]) == (201, 201)
    assert again[1] == first[1]
    assert (first[2], again[2]) == ("", "true")
    assert await _count(environment, "SELECT count(*) FROM requests.requests") == 1


async def test_a_retried_submit_announces_the_submission_once(
    api: Api, environment: Environment
) -> None:
    request = await create(api)
    headers = {**api.headers_for(LAO), "Idempotency-Key": "submit-1"}
    url = f"/v1/requests/{request['id']}/submit"

    first = await api.client.post(url, json={}, headers=headers)
    again = await api.client.post(url, json={}, headers=headers)
    fresh = await api.client.post(url, json={}, headers=api.headers_for(LAO))

    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json() == first.json()
    assert fresh.status_code == 409  # a new call, not a retry: submitting twice is refused
    submitted = "SELECT count(*) FROM requests.outbox WHERE event_type LIKE '%request.submitted%'"
    # one event, on the national and the regional topic
    assert await _count(environment, submitted) == 2


async def test_a_key_reused_for_another_body_is_refused_and_changes_nothing(
    api: Api, environment: Environment
) -> None:
    await _post(api, "create-2")
    status, problem, _ = await _post(api, "create-2", title="A different request")

    assert status == 422
    assert problem["type"] == "urn:clearinghouse:problem:idempotency-key-reused"
    assert problem["field"] == "header.Idempotency-Key"
    assert await _count(environment, "SELECT count(*) FROM requests.requests") == 1


async def test_concurrent_retries_create_one_request(api: Api, environment: Environment) -> None:
    answers = await asyncio.gather(*(_post(api, "create-3") for _ in range(8)))

    assert {status for status, _, _ in answers} == {201}
    assert len({str(body["id"]) for _, body, _ in answers}) == 1
    assert sorted(replayed for _, _, replayed in answers) == [""] + ["true"] * 7
    assert await _count(environment, "SELECT count(*) FROM requests.requests") == 1


async def test_keys_belong_to_their_caller(api: Api, environment: Environment) -> None:
    lao = await _post(api, "shared-key")
    khm = await _post(api, "shared-key", state="KHM")

    assert (lao[0], khm[0]) == (201, 201)
    assert lao[1]["id"] != khm[1]["id"]
    assert await _count(environment, "SELECT count(*) FROM requests.requests") == 2
