"""`/readyz` follows the database and the broker down and back up; `/healthz` stays up."""

from __future__ import annotations

import time
from typing import Any

import httpx

from deploy.local.stack import LocalStack
from tests.system import Environment, running, service_process


def wait_for_readiness(url: str, status: int, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        try:
            response = httpx.get(f"{url}/readyz", timeout=5)
            if response.status_code == status:
                body: dict[str, Any] = response.json()
                return body
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, f"/readyz never answered {status}"
        time.sleep(0.3)


def test_readiness_follows_postgres_and_kafka(stack: LocalStack, environment: Environment) -> None:
    assert stack.postgres is not None
    assert stack.kafka is not None
    with running(service_process("requests", environment)) as (service,):
        wait_for_readiness(service.url, 200)

        stack.postgres.stop()
        down = wait_for_readiness(service.url, 503)
        assert down["checks"]["database"].startswith("failed")
        assert down["checks"]["broker"] == "ok"
        assert httpx.get(f"{service.url}/healthz").status_code == 200
        stack.postgres.start()
        assert wait_for_readiness(service.url, 200)["status"] == "ready"

        stack.kafka.kill()
        down = wait_for_readiness(service.url, 503)
        assert down["checks"]["broker"].startswith("failed")
        assert down["checks"]["database"] == "ok"
        stack.kafka.start(timeout=180)  # recovering every partition's log after the kill
        assert wait_for_readiness(service.url, 200)["status"] == "ready"
