"""Reading a test environment's database directly, to check what the services did."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url


async def fetch(database_url: str, sql: str, *args: Any) -> list[asyncpg.Record]:
    """Run one query with the administrative role."""
    dsn = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    try:
        return list(await connection.fetch(sql, *args))
    finally:
        await connection.close()


async def snapshot(
    database_url: str, queries: Sequence[tuple[Any, ...]]
) -> list[list[asyncpg.Record]]:
    """Run several queries, each `(sql, *args)`, in one repeatable-read transaction, so that
    all of them see the database as it was at one moment."""
    dsn = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    try:
        async with connection.transaction(isolation="repeatable_read", readonly=True):
            return [list(await connection.fetch(sql, *args)) for sql, *args in queries]
    finally:
        await connection.close()


def query(database_url: str, sql: str, *args: Any) -> list[asyncpg.Record]:
    """`fetch` for synchronous tests."""
    return asyncio.run(fetch(database_url, sql, *args))


async def drop_database(database_url: str) -> None:
    """Drop the database `database_url` names, disconnecting whoever is still connected."""
    url = make_url(database_url)
    admin = url.set(drivername="postgresql", database="postgres")
    connection = await asyncpg.connect(admin.render_as_string(hide_password=False))
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')
    finally:
        await connection.close()
