"""Test support for the running system: fresh databases, topic prefixes and service processes."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from deploy.local.processes import ServiceProcess
from shared.settings import ServiceSettings

ROOT = Path(__file__).resolve().parent.parent
TEST_CENTRES = ROOT / "tests" / "data" / "regional_centres.json"
OUTPUT = ROOT / "test-output"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Environment:
    """One isolated copy of the system's storage: its own database and its own topic prefix."""

    kafka_bootstrap_servers: str
    database_url: str
    topic_prefix: str

    def variables(self) -> dict[str, str]:
        return {
            "ENVIRONMENT": "test",
            "KAFKA_BOOTSTRAP_SERVERS": self.kafka_bootstrap_servers,
            "DATABASE_URL": self.database_url,
            "TOPIC_PREFIX": self.topic_prefix,
            "TOPIC_PARTITIONS": "3",
            "REGIONAL_CENTRES_FILE": str(TEST_CENTRES),
            "LOG_LEVEL": "INFO",
        }

    def settings(
        self, settings_type: type[ServiceSettings], **overrides: object
    ) -> ServiceSettings:
        values = {key.lower(): value for key, value in self.variables().items()}
        return settings_type(**{**values, **overrides})  # type: ignore[arg-type]


def new_environment(kafka: str, admin_url: str, template: str = "template1") -> Environment:
    """A fresh database (created with the admin URL, as a copy of `template`) and topic prefix."""
    name = f"t{uuid.uuid4().hex[:10]}"
    admin = make_url(admin_url)
    subprocess.run(
        [
            sys.executable,
            "-c",
            _CREATE_DATABASE,
            admin.set(drivername="postgresql").render_as_string(hide_password=False),
            name,
            template,
        ],
        check=True,
    )
    return Environment(
        kafka_bootstrap_servers=kafka,
        database_url=admin.set(database=name).render_as_string(hide_password=False),
        topic_prefix=name,
    )


_CREATE_DATABASE = """
import asyncio, sys, asyncpg
async def main(dsn, name, template):
    connection = await asyncpg.connect(dsn)
    await connection.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    await connection.close()
asyncio.run(main(*sys.argv[1:]))
"""


def service_process(
    service: str,
    environment: Environment,
    *,
    api: bool = True,
    workers: bool = True,
    port: int | None = None,
    **variables: str,
) -> ServiceProcess:
    """A service of the test environment on `port` (by default a free one), logging under
    test-output/; `variables` are more settings, as environment variables."""
    role = "all" if api and workers else ("api" if api else "workers")
    return ServiceProcess(
        service,
        {**environment.variables(), **variables},
        port=port or free_port(),
        log_path=OUTPUT / environment.topic_prefix / f"{service}-{role}.log",
        api=api,
        workers=workers,
    )


@contextlib.contextmanager
def running(*processes: ServiceProcess) -> Iterator[tuple[ServiceProcess, ...]]:
    try:
        for process in processes:
            process.start()
        yield processes
    finally:
        for process in processes:
            process.kill()
