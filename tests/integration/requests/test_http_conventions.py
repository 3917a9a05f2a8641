"""The HTTP conventions every service shares: problem details, request ids, probes, OpenAPI."""

from __future__ import annotations

from tests.database import fetch
from tests.factories import request_body
from tests.integration.requests.conftest import LAO
from tests.service_api import Api
from tests.system import Environment


async def test_bad_input_gets_a_problem_naming_the_field_and_stores_nothing(
    api: Api, environment: Environment
) -> None:
    response = await api.client.post(
        "/v1/requests",
        json={**request_body(), "state": "lao", "title": "x", "extra": 1},
        headers=api.headers_for(LAO),
    )

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "urn:clearinghouse:problem:validation"
    assert {e["field"] for e in problem["errors"]} == {"body.state", "body.title", "body.extra"}
    stored = await fetch(environment.database_url, "SELECT count(*) AS n FROM requests.requests")
    assert stored[0]["n"] == 0


async def test_a_missing_or_wrong_key_is_401_with_a_bearer_challenge(api: Api) -> None:
    missing = await api.client.get("/v1/requests")
    wrong = await api.client.get("/v1/requests", headers={"Authorization": "Bearer ch_x_y"})
    garbage = await api.client.get("/v1/requests", headers={"Authorization": "Basic abc"})

    for response in (missing, wrong, garbage):
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.json()["type"] == "urn:clearinghouse:problem:unauthenticated"


async def test_unknown_routes_and_ids_are_problems_too(api: Api) -> None:
    missing = await api.client.get(
        "/v1/requests/8a3b4c38-7d42-4d5b-9f27-3c1a3d0b5f6e", headers=api.headers_for(LAO)
    )
    nowhere = await api.client.get("/nowhere")

    assert (missing.status_code, missing.json()["type"]) == (
        404,
        "urn:clearinghouse:problem:not-found",
    )
    assert nowhere.status_code == 404
    assert nowhere.headers["content-type"] == "application/problem+json"


async def test_the_request_id_is_taken_from_the_caller_or_made(api: Api) -> None:
    given = await api.client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    made = await api.client.get("/healthz")

    assert given.headers["x-request-id"] == "abc-123"
    assert len(made.headers["x-request-id"]) == 32


async def test_probes_and_openapi_answer(api: Api) -> None:
    ready = await api.client.get("/readyz")
    openapi = await api.client.get("/openapi.json")

    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "checks": {"database": "ok", "broker": "ok"}}
    assert "/v1/requests" in openapi.json()["paths"]


async def test_the_framework_s_own_errors_are_typed_problems(api: Api) -> None:
    """An unknown path, a wrong method and an unreadable body: each a problem of its own type,
    and a 405 says which methods are allowed."""
    unknown = await api.client.get("/v1/nothing-here", headers=api.headers_for(LAO))
    wrong_method = await api.client.delete("/v1/requests", headers=api.headers_for(LAO))
    unreadable = await api.client.post(
        "/v1/requests",
        content=b"{not json",
        headers={**api.headers_for(LAO), "Content-Type": "application/json"},
    )

    assert unknown.status_code == 404
    assert unknown.json()["type"] == "urn:clearinghouse:problem:not-found"
    assert wrong_method.status_code == 405
    assert wrong_method.json()["type"] == "urn:clearinghouse:problem:method-not-allowed"
    assert set(wrong_method.headers["allow"].replace(" ", "").split(",")) == {"GET", "POST"}
    assert unreadable.status_code in (400, 422)
    assert unreadable.headers["content-type"] == "application/problem+json"
    assert unreadable.json()["type"].startswith("urn:clearinghouse:problem:")
