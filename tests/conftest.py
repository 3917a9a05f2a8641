"""Fixtures: the real broker and database, started once per session by the project's own runner."""

from __future__ import annotations

import asyncio
import shutil
import signal
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy.engine import make_url

from deploy.local.__main__ import migrate_all
from deploy.local.stack import LocalStack
from tests.database import drop_database
from tests.kafka import delete_topics
from tests.system import ROOT, Environment, free_port, new_environment


@pytest.fixture(scope="session")
def stack() -> Iterator[LocalStack]:
    """Kafka and PostgreSQL on test ports, in a state directory of their own."""
    signal.signal(signal.SIGTERM, _interrupt)  # so an interrupted run still stops its servers
    state = ROOT / ".local" / "test-stack"
    shutil.rmtree(state, ignore_errors=True)
    local = LocalStack(
        state, kafka_port=free_port(), controller_port=free_port(), postgres_port=free_port()
    )
    local.start()
    try:
        yield local
    finally:
        local.stop()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


@pytest.fixture(scope="session")
def migrated(stack: LocalStack) -> str:
    """The name of a database every service's migrations ran on once, to copy for each test."""
    template = new_environment(stack.kafka_bootstrap_servers, stack.database_url)
    migrate_all(template.variables())
    return make_url(template.database_url).database or ""


@pytest.fixture
def environment(stack: LocalStack, migrated: str) -> Iterator[Environment]:
    """A fresh, migrated database and a fresh topic prefix for one test.

    The test's topics and database are deleted afterwards: servers holding every test's
    partitions and databases grow slow to stop and start (the readiness test restarts them).
    """
    fresh = new_environment(stack.kafka_bootstrap_servers, stack.database_url, template=migrated)
    yield fresh
    # In a thread of its own: asyncio.run here would unset the session's event loop.
    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, _clean_up(stack, fresh)).result()


async def _clean_up(stack: LocalStack, environment: Environment) -> None:
    await delete_topics(stack.kafka_bootstrap_servers, f"{environment.topic_prefix}.")
    await drop_database(environment.database_url)
