"""Database helpers: one schema and one role per service, async sessions, engines."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import asyncpg
from sqlalchemy import (
    Delete,
    Insert,
    MetaData,
    Select,
    Table,
    Text,
    Update,
    bindparam,
    cast,
    event,
    func,
    insert,
    literal,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.engine import URL
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import registry

log = logging.getLogger(__name__)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Sessions = async_sessionmaker[AsyncSession]


TRANSIENT_CONFLICTS = frozenset({"40P01", "40001"})
"""SQLSTATEs of a transaction that lost a deadlock or a serialization race: run it again."""


DATABASE_AWAY = frozenset({"57P01", "57P02", "57P03"})
"""SQLSTATEs of a server shutting down or starting up: the database will be back."""

UNSTORABLE_TEXT = "22021"
"""SQLSTATE of text PostgreSQL cannot hold in a UTF-8 database: a NUL character, `\\u0000`."""


def sqlstate(error: BaseException) -> str | None:
    """The PostgreSQL SQLSTATE behind a driver's or SQLAlchemy's error, if any."""
    found: str | None = getattr(getattr(error, "orig", error), "sqlstate", None)
    return found


def is_transient_conflict(error: BaseException) -> bool:
    """PostgreSQL gave up this transaction to let a concurrent one finish; a retry succeeds."""
    return sqlstate(error) in TRANSIENT_CONFLICTS


def is_database_away(error: BaseException) -> bool:
    """The server is shutting down or starting up, or the connection failed (class 08)."""
    state = sqlstate(error)
    return state is not None and (state in DATABASE_AWAY or state.startswith("08"))


def is_unstorable_text(error: BaseException) -> bool:
    """PostgreSQL refused text that came with the call: the caller's to fix, not a fault."""
    return sqlstate(error) == UNSTORABLE_TEXT


def schema_registry(schema: str) -> registry:
    """The SQLModel registry of one service: every table it declares lives in `schema`."""
    return registry(metadata=MetaData(schema=schema, naming_convention=NAMING_CONVENTION))


def create_engine(url: URL, *, pool_size: int = 10) -> AsyncEngine:
    engine = create_async_engine(
        url, pool_size=pool_size, max_overflow=pool_size, pool_recycle=1800
    )
    event.listen(engine.sync_engine, "checkout", _refuse_closed_connection)
    return engine


def _refuse_closed_connection(dbapi_connection: Any, record: Any, proxy: Any) -> None:
    """A pooled connection the server has closed (a restart, an idle timeout) is replaced on
    checkout, as a pre-ping would do, but without a round trip: asyncpg knows a connection is
    closed as soon as the server says so."""
    if dbapi_connection.driver_connection.is_closed():
        raise DisconnectionError("the server closed this connection")


Write = Insert | Update | Delete


def together(writes: Sequence[Write], then: Select[Any] | None = None) -> Select[Any]:
    """One statement that makes all of `writes` (each a data-modifying WITH clause) and answers
    `then`: one round trip to the server instead of one per write. The writes see the database
    as it was before the statement, not each other's rows; foreign keys between them are checked
    at its end, so a row and the rows that refer to it may go together. The order in which the
    writes are made is not defined: rows whose order matters go in one `ordered_insert`."""
    statement = then if then is not None else select(literal(1))
    for number, write in enumerate(writes):
        statement = statement.add_cte(write.cte(f"write_{number}"))
    return statement


def ordered_insert(table: Table, rows: Sequence[Mapping[str, Any]]) -> Insert:
    """Insert `rows` (all with the same keys, at least one) in their order, so that serial ids
    follow it: the outbox's order is the order its events are published in. One array per
    column, unnested, rather than a multi-row VALUES, so that SQLAlchemy keeps the compiled
    statement whatever the number of rows (it compiles a multi-row VALUES every time)."""
    names = list(rows[0])
    columns: list[tuple[Any, Any]] = []  # each column's array of values, and its cast if any
    for name in names:
        column = table.c[name]
        values = [row[name] for row in rows]
        if isinstance(column.type, JSONB):  # no jsonb[] codec: the text of each, cast back
            array = bindparam(name, [json.dumps(v) for v in values], ARRAY(Text), unique=True)
            columns.append((array, JSONB))
        else:
            columns.append((bindparam(name, values, ARRAY(column.type), unique=True), None))
    unnested = (
        func.unnest(*(array for array, _ in columns))
        .table_valued(*names, with_ordinality="position")
        .render_derived()
    )
    selected = [
        cast(unnested.c[name], as_type) if as_type is not None else unnested.c[name]
        for name, (_, as_type) in zip(names, columns, strict=True)
    ]
    source = select(*selected).order_by(unnested.c.position)
    return insert(table).from_select(names, source)


def session_factory(engine: AsyncEngine) -> Sessions:
    """Sessions that keep loaded objects usable after commit (no implicit reloads)."""
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


def asyncpg_dsn(url: URL) -> str:
    """The same database as a plain `postgresql://` DSN, for asyncpg's own connections."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


async def listen(dsn: str, channel: str, wake: Callable[[], None]) -> None:
    """Call `wake` on every NOTIFY on `channel`, until cancelled; reconnects after the database
    restarts. `wake` is also called on every (re)connection: anything written while nobody
    listened is then looked for too."""
    while True:
        connection: asyncpg.Connection | None = None
        try:
            connection = await asyncpg.connect(dsn, timeout=5)
            await connection.add_listener(channel, lambda *_: wake())
            wake()
            while not connection.is_closed():
                await asyncio.sleep(1)
                await connection.execute("SELECT 1")
        except asyncio.CancelledError:
            raise
        except Exception:
            log.debug("listener on %s lost its connection", channel, exc_info=True)
        finally:
            if connection is not None:
                connection.terminate()
        await asyncio.sleep(1)
