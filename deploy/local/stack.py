"""Kafka and PostgreSQL for `make run` and the test session, unless the environment names them.

`KAFKA_BOOTSTRAP_SERVERS` and `DATABASE_URL` (set by docker-compose and in production) replace
the corresponding local server: the stack then starts nothing for it and hands the value on.
"""

from __future__ import annotations

import atexit
import os
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import Protocol

from deploy.local.kafka import KafkaServer
from deploy.local.postgres import PostgresServer


class _Server(Protocol):
    def start(self, timeout: float = 60) -> None: ...
    def stop(self, timeout: float = 30) -> None: ...


class LocalStack:
    """The local servers the application needs, started together and stopped together."""

    def __init__(
        self,
        state_dir: Path,
        kafka_port: int = 9092,
        controller_port: int = 9093,
        postgres_port: int = 5432,
        kafka_regional_port: int = 9094,
    ) -> None:
        self.state_dir = state_dir
        self._external_kafka = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "")
        self._external_database = os.environ.get("DATABASE_URL", "")
        self.kafka: KafkaServer | None = (
            None
            if self._external_kafka
            else KafkaServer(state_dir / "kafka", kafka_port, controller_port, kafka_regional_port)
        )
        self.postgres: PostgresServer | None = (
            None
            if self._external_database
            else PostgresServer(state_dir / "postgres", postgres_port)
        )

    @property
    def kafka_bootstrap_servers(self) -> str:
        return self.kafka.bootstrap_servers if self.kafka is not None else self._external_kafka

    @property
    def kafka_regional_bootstrap_servers(self) -> str:
        """Where regional centres connect with SCRAM credentials (the environment's broker: its
        `KAFKA_REGIONAL_BOOTSTRAP_SERVERS`)."""
        if self.kafka is not None:
            return self.kafka.regional_bootstrap_servers
        return os.environ.get("KAFKA_REGIONAL_BOOTSTRAP_SERVERS", "")

    @property
    def database_url(self) -> str:
        return self.postgres.admin_url if self.postgres is not None else self._external_database

    def start(self) -> None:
        """Install and start the owned servers concurrently; on any failure stop them all.

        Also registers `stop` with atexit, so an interrupted pytest or `make run` does not
        leave a JVM or a postmaster behind.
        """
        servers = self._servers()
        if not servers:
            return
        atexit.register(self.stop)
        self.state_dir.mkdir(parents=True, exist_ok=True)
        stop_leftovers(self.state_dir)
        with ThreadPoolExecutor(max_workers=len(servers)) as pool:
            futures = [pool.submit(server.start) for server in servers]
        errors = [error for future in futures if (error := future.exception()) is not None]
        if errors:
            self.stop()
            raise errors[0]

    def stop(self) -> None:
        """Stop the owned servers in reverse start order; safe to call repeatedly."""
        atexit.unregister(self.stop)
        for server in reversed(self._servers()):
            server.stop()

    def __enter__(self) -> LocalStack:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _servers(self) -> list[_Server]:
        return [server for server in (self.kafka, self.postgres) if server is not None]


def stop_leftovers(state_dir: Path) -> None:
    """SIGKILL servers that an earlier run, itself killed, left running on this state dir.

    Every server's command line names a path inside its state dir, which is how we find them.
    """
    subprocess.run(["pkill", "-KILL", "-f", f"{state_dir.resolve()}/"], check=False)
