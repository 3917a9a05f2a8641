"""Which database errors a consumer waits out (retrying without limit) and which count as the
handler's failure (retried a few times, then dead-lettered): told apart by SQLSTATE, through the
layers SQLAlchemy wraps around the driver's error. An HTTP call that meets a restarting database
is answered 503, so the partner knows to try again."""

from __future__ import annotations

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_dbapi
from sqlalchemy.exc import DBAPIError

from shared.db import is_database_away, is_transient_conflict
from shared.http import install_problem_handlers


def wrapped(error: Exception) -> DBAPIError:
    """The driver's error as SQLAlchemy raises it from a session."""
    adapted = AsyncAdapt_asyncpg_dbapi.Error(str(error), error)
    return DBAPIError("SELECT 1", None, adapted)


@pytest.mark.parametrize(
    "error",
    [
        asyncpg.exceptions.CannotConnectNowError("the database system is starting up"),
        asyncpg.exceptions.AdminShutdownError("terminating connection due to administrator"),
        asyncpg.exceptions.CrashShutdownError("terminating connection due to crash"),
        asyncpg.exceptions.ConnectionFailureError("connection failure"),
    ],
    ids=["starting-up", "admin-shutdown", "crash-shutdown", "connection-failure"],
)
def test_a_server_going_or_coming_is_waited_out(error: Exception) -> None:
    assert is_database_away(wrapped(error))
    assert is_database_away(error)
    assert not is_transient_conflict(wrapped(error))


@pytest.mark.parametrize(
    "error",
    [
        asyncpg.exceptions.UniqueViolationError("duplicate key"),
        asyncpg.exceptions.QueryCanceledError("canceling statement due to statement timeout"),
        ValueError("not a database error"),
    ],
    ids=["unique-violation", "statement-timeout", "not-from-the-database"],
)
def test_other_failures_are_the_handlers_own(error: Exception) -> None:
    assert not is_database_away(wrapped(error))


def test_a_lost_deadlock_is_a_transient_conflict() -> None:
    assert is_transient_conflict(wrapped(asyncpg.exceptions.DeadlockDetectedError("deadlock")))


async def test_a_call_meeting_a_restarting_database_is_answered_503_and_may_be_retried() -> None:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/starting")
    async def starting() -> None:
        raise wrapped(asyncpg.exceptions.CannotConnectNowError("starting up"))

    @app.get("/broken")
    async def broken() -> None:
        raise ValueError("a bug")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
        starting_answer = await client.get("/starting")
        broken_answer = await client.get("/broken")

    assert starting_answer.status_code == 503
    assert starting_answer.headers["retry-after"] == "1"
    assert starting_answer.json()["type"] == "urn:clearinghouse:problem:unavailable"
    assert broken_answer.status_code == 500
