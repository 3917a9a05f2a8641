"""What a benchmark runs against: the local stack, a fresh database, the server processes.

Everything started here is stopped by the context managers that started it, also on Ctrl-C.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
from sqlalchemy.engine import make_url

from bench.bare_app import EventLoop
from bench.load import Endpoint
from deploy.local.__main__ import migrate_all
from deploy.local.processes import ROOT, ServiceProcess
from deploy.local.stack import LocalStack
from services.requests.settings import RequestsSettings
from shared.auth import issue_key
from shared.principal import Principal

STATE_DIR = ROOT / ".local" / "bench-stack"
LOG_DIR = STATE_DIR / "logs"
TOPIC_PREFIX = "bench"
READY_TIMEOUT = 60.0
KEY_TIMEOUT = 60.0


class BenchError(RuntimeError):
    """The benchmark cannot go on; the message says why."""


@dataclass(frozen=True)
class Server:
    """A server under test: its process id (for /proc) and the endpoint to load."""

    name: str
    pid: int
    endpoint: Endpoint


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def local_stack() -> Iterator[LocalStack]:
    """Kafka and PostgreSQL on free ports (or those named by the environment)."""
    stack = LocalStack(
        STATE_DIR, kafka_port=free_port(), controller_port=free_port(), postgres_port=free_port()
    )
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()


@contextlib.contextmanager
def fresh_database(admin_url: str) -> Iterator[str]:
    """A database of its own for this run, dropped afterwards; yields its admin URL."""
    name = f"bench_{uuid.uuid4().hex[:10]}"
    server = make_url(admin_url).set(drivername="postgresql").render_as_string(False)
    asyncio.run(_execute(server, f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(_execute(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _execute(dsn: str, statement: str) -> None:
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def environment(stack: LocalStack, database_url: str) -> dict[str, str]:
    """The settings every process of the run gets: the stack, this run's database and topics."""
    return {
        "KAFKA_BOOTSTRAP_SERVERS": stack.kafka_bootstrap_servers,
        "DATABASE_URL": database_url,
        "TOPIC_PREFIX": TOPIC_PREFIX,
    }


@contextlib.contextmanager
def bare_server(env: dict[str, str], body: bytes, loop: EventLoop) -> Iterator[Server]:
    """The bare app (bench/bare_app.py) as its own process."""
    port = free_port()
    dsn = make_url(env["DATABASE_URL"]).set(drivername="postgresql").render_as_string(False)
    command = [sys.executable, "-m", "bench.bare_app", "--port", str(port)]
    command += ["--database-url", dsn, "--loop", loop.value]
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    with (LOG_DIR / "bare.log").open("ab") as log:
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True
        )
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_healthy(process, f"{url}/healthz", LOG_DIR / "bare.log")
        yield Server("bare", process.pid, _json_endpoint(f"{url}/rows", body, {}))
    finally:
        _terminate(process)


@contextlib.contextmanager
def requests_service(env: dict[str, str], body: bytes, processes: int = 1) -> Iterator[Server]:
    """The requests service, API and workers, started as production starts it (as `processes`
    copies sharing its port: the server is then named `service x<processes>`)."""
    migrate_all(env)
    service = ServiceProcess(
        "requests", env, free_port(), LOG_DIR / "requests.log", processes=processes
    )
    try:
        service.start()
        assert service.process is not None
        key = national_key(env, "LAO")
        headers = {"Authorization": f"Bearer {key}"}
        endpoint = _json_endpoint(f"{service.url}/v1/requests", body, headers)
        wait_until_authorised(endpoint)
        name = "service" if processes == 1 else f"service x{processes}"
        yield Server(name, service.process.pid, endpoint)
    finally:
        service.stop()


def national_key(env: dict[str, str], state: str) -> str:
    """An API key of the national focal point of `state`, issued as an operator would."""
    settings = RequestsSettings(
        kafka_bootstrap_servers=env["KAFKA_BOOTSTRAP_SERVERS"],
        database_url=env["DATABASE_URL"],
        topic_prefix=env["TOPIC_PREFIX"],
    )
    return asyncio.run(issue_key(settings, Principal.national(state)))


def wait_until_authorised(endpoint: Endpoint) -> None:
    """A key works once the service has consumed its event: post until it is no longer 401.

    The first answer that is not 401 must be the expected one, or the benchmark would only
    measure errors; the error shows what the service said.
    """
    deadline = time.monotonic() + KEY_TIMEOUT
    while True:
        headers = {**endpoint.headers, "Idempotency-Key": uuid.uuid4().hex}
        response = httpx.post(endpoint.url, content=endpoint.body, headers=headers, timeout=10)
        if response.status_code != 401:
            break
        if time.monotonic() > deadline:
            raise BenchError(f"the service still refuses the key after {KEY_TIMEOUT:.0f}s")
        time.sleep(0.2)
    if response.status_code != endpoint.expected_status:
        raise BenchError(
            f"POST {endpoint.url} answered {response.status_code}, not "
            f"{endpoint.expected_status}:\n{response.text[:2000]}"
        )


def _json_endpoint(url: str, body: bytes, headers: dict[str, str]) -> Endpoint:
    return Endpoint(url, body, {"Content-Type": "application/json", **headers})


def _wait_healthy(process: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(f"{url} exited with {process.returncode}; see {log}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise BenchError(f"{url} not healthy after {READY_TIMEOUT:.0f}s; see {log}")


def _terminate(process: subprocess.Popen[bytes], timeout: float = 20) -> None:
    """SIGTERM (uvicorn's graceful stop) and wait; SIGKILL its process group after `timeout`."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
