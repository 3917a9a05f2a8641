"""The connection pool replaces a connection the server closed, without a ping per call."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import make_url

from shared.db import create_engine
from tests.database import fetch
from tests.polling import eventually
from tests.system import Environment


async def test_a_connection_the_server_closed_is_replaced_on_checkout(
    environment: Environment,
) -> None:
    engine = create_engine(make_url(environment.database_url), pool_size=1)
    try:
        async with engine.connect() as connection:
            first = (await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one()
            pooled = (await connection.get_raw_connection()).driver_connection
        await fetch(environment.database_url, "SELECT pg_terminate_backend($1)", first)
        await eventually(pooled.is_closed)

        async with engine.connect() as connection:
            second = (await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one()

        assert second != first
    finally:
        await engine.dispose()
