"""Fixtures: the real broker and database, started once per session by the project's own runner."""

from __future__ import annotations

import asyncio
import shutil
import signal
from collections.abc import Iterator

import pytest

from deploy.local.__main__ import migrate_all
from deploy.local.stack import LocalStack
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


@pytest.fixture
def environment(stack: LocalStack) -> Iterator[Environment]:
    """A fresh, migrated database and a fresh topic prefix for one test.

    The test's topics are deleted afterwards: a broker that kept every test's topics would take
    longer and longer to recover its logs after the tests that kill it.
    """
    fresh = new_environment(stack.kafka_bootstrap_servers, stack.database_url)
    migrate_all(fresh.variables())
    yield fresh
    asyncio.run(delete_topics(stack.kafka_bootstrap_servers, fresh.topic_prefix))
