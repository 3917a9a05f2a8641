"""The HTTP conventions every service shares: problem details, request ids, probes, OpenAPI."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from services.requests.service import SERVICE as REQUESTS
from shared.runtime import create_app
from shared.settings import RequestsSettings
from tests.database import fetch
from tests.system import Environment


@pytest.fixture
async def client(environment: Environment) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(REQUESTS, environment.settings(RequestsSettings), workers=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://requests") as client:
            yield client


async def test_bad_input_gets_a_problem_naming_the_field_and_stores_nothing(
    client: httpx.AsyncClient, environment: Environment
) -> None:
    response = await client.post("/v1/requests", json={"state": "lao", "title": "x", "extra": 1})

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "urn:clearinghouse:problem:validation"
    assert {e["field"] for e in problem["errors"]} == {"body.state", "body.title", "body.extra"}
    stored = await fetch(environment.database_url, "SELECT count(*) AS n FROM requests.outbox")
    assert stored[0]["n"] == 0


async def test_unknown_routes_and_ids_are_problems_too(client: httpx.AsyncClient) -> None:
    missing = await client.get("/v1/requests/8a3b4c38-7d42-4d5b-9f27-3c1a3d0b5f6e")
    nowhere = await client.get("/nowhere")

    assert (missing.status_code, missing.json()["type"]) == (
        404,
        "urn:clearinghouse:problem:not-found",
    )
    assert nowhere.status_code == 404
    assert nowhere.headers["content-type"] == "application/problem+json"


async def test_the_request_id_is_taken_from_the_caller_or_made(client: httpx.AsyncClient) -> None:
    given = await client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    made = await client.get("/healthz")

    assert given.headers["x-request-id"] == "abc-123"
    assert len(made.headers["x-request-id"]) == 32


async def test_probes_and_openapi_answer(client: httpx.AsyncClient) -> None:
    ready = await client.get("/readyz")
    openapi = await client.get("/openapi.json")

    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "checks": {"database": "ok", "broker": "ok"}}
    assert "/v1/requests" in openapi.json()["paths"]
