"""A call whose transaction loses a deadlock or serialization race is run again, not answered 500;
one that keeps losing, or fails otherwise, is not."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from shared.http import RetryConflictsMiddleware, install_problem_handlers
from tests.system import Environment


class Body(BaseModel):
    name: str


def _app(database_url: str, losses: int) -> tuple[FastAPI, list[str]]:
    """A route that loses `losses` deadlocks in PostgreSQL before it succeeds."""
    engine = create_async_engine(database_url)
    runs: list[str] = []
    app = FastAPI()
    app.state.engine = engine
    install_problem_handlers(app)
    app.add_middleware(RetryConflictsMiddleware, attempts=3)

    @app.post("/things")
    async def add(body: Body) -> dict[str, str]:
        runs.append(body.name)
        async with engine.begin() as connection:
            if len(runs) <= losses:
                await connection.execute(
                    text("DO $$ BEGIN RAISE EXCEPTION USING ERRCODE = '40P01'; END $$")
                )
        return {"name": body.name}

    return app, runs


async def _post(app: FastAPI) -> httpx.Response:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.post("/things", json={"name": "stockpile"})
    finally:
        await app.state.engine.dispose()


async def test_a_lost_deadlock_is_run_again_with_the_same_body(environment: Environment) -> None:
    app, runs = _app(environment.database_url, losses=2)

    response = await _post(app)

    assert response.status_code == 200
    assert response.json() == {"name": "stockpile"}
    assert runs == ["stockpile"] * 3


async def test_a_call_that_keeps_losing_gives_up_after_its_attempts(
    environment: Environment,
) -> None:
    app, runs = _app(environment.database_url, losses=5)

    response = await _post(app)

    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert len(runs) == 3
