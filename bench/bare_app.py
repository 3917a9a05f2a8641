"""The ceiling: the least a FastAPI endpoint can do to store a posted JSON document.

`POST /rows` inserts one row (a UUID, the body as JSONB, a timestamp) with asyncpg and answers
201. It is served the way `shared.runtime.serve` serves a service: one process, uvicorn with
`log_config=None` and `access_log=False`, HTTP parser chosen by uvicorn (httptools), and by
default the stdlib asyncio event loop, which is what a service gets (it awaits
`uvicorn.Server.serve()` inside `asyncio.run`, so uvicorn's loop setting never applies).
`--loop uvloop` measures what uvloop would add.

    python -m bench.bare_app --port 8199 --database-url postgresql://user:pw@127.0.0.1:5432/db
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from enum import StrEnum
from typing import Any

import asyncpg
import typer
import uvicorn
from fastapi import FastAPI, Request, status

SCHEMA = "bench"
# The pool the services get from `shared.db.create_engine`: pool_size 10, max_overflow 10.
POOL_MIN, POOL_MAX = 10, 20
CREATE_TABLE = f"""
CREATE SCHEMA IF NOT EXISTS {SCHEMA};
CREATE TABLE IF NOT EXISTS {SCHEMA}.rows (
    id uuid PRIMARY KEY,
    body jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
)
"""
INSERT = f"INSERT INTO {SCHEMA}.rows (id, body) VALUES ($1, $2::jsonb) RETURNING created_at"


class EventLoop(StrEnum):
    ASYNCIO = "asyncio"
    UVLOOP = "uvloop"


def create_app(dsn: str) -> FastAPI:
    """The app; its asyncpg pool is opened (and its table created) in the lifespan."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with asyncpg.create_pool(dsn, min_size=POOL_MIN, max_size=POOL_MAX) as pool:
            await pool.execute(CREATE_TABLE)
            app.state.pool = pool
            yield

    app = FastAPI(title="Bare intake", lifespan=lifespan)

    @app.post("/rows", status_code=status.HTTP_201_CREATED)
    async def add_row(body: dict[str, Any], request: Request) -> dict[str, str]:
        pool: asyncpg.Pool = request.app.state.pool
        row_id = uuid.uuid4()
        created_at = await pool.fetchval(INSERT, row_id, json.dumps(body))
        return {"id": str(row_id), "created_at": created_at.isoformat()}

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def main(
    port: int = typer.Option(..., help="Port on 127.0.0.1."),
    database_url: str = typer.Option(..., help="A plain postgresql:// DSN for asyncpg."),
    loop: EventLoop = typer.Option(EventLoop.ASYNCIO, help="asyncio is what the services get."),
) -> None:
    """Serve the bare app until SIGINT or SIGTERM."""
    config = uvicorn.Config(
        create_app(database_url),
        host="127.0.0.1",
        port=port,
        log_config=None,
        access_log=False,
        loop=loop.value,
    )
    uvicorn.Server(config).run()


if __name__ == "__main__":
    typer.run(main)
