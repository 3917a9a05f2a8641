"""A clone in a directory that PostgreSQL's own user cannot enter (under /root, or any 0700
directory, like pytest's temporary ones) still runs its database."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg

from deploy.local.postgres import PostgresServer
from tests.system import free_port


async def _answers(url: str) -> int:
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        value: int = await connection.fetchval("SELECT 42")
        return value
    finally:
        await connection.close()


def test_the_database_runs_from_a_state_dir_its_user_cannot_reach(tmp_path: Path) -> None:
    private = tmp_path / "home"
    private.mkdir(mode=0o700)
    server = PostgresServer(private / "clone" / ".local" / "postgres", free_port())
    server.start()
    try:
        answer = asyncio.run(_answers(server.admin_url))
        server.restart()  # the second start finds its data again
        again = asyncio.run(_answers(server.admin_url))
    finally:
        server.forget()

    assert (answer, again) == (42, 42)
    assert (private.stat().st_mode & 0o777) == 0o700
