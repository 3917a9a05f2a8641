"""`make run` tells the story: it starts the four services, loads the demo data, says where the
API docs, the dashboard and the demo keys are, keeps running, and on Ctrl-C stops everything,
leaving no process behind.

The run uses the suite's broker and database (as `make run` does when `KAFKA_BOOTSTRAP_SERVERS`
and `DATABASE_URL` name existing servers), with a database and topics of its own.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from services import SERVICES
from tests.system import ROOT, Environment, free_port

WELCOME = "Press Ctrl-C to stop everything."
DEMO_REQUESTS = 22  # the CCM's 2018 Article 7 reports


def test_make_run_serves_the_demo_and_stops_cleanly(
    environment: Environment, tmp_path: Path
) -> None:
    ports = {service: free_port() for service in SERVICES}
    variables = {
        "KAFKA_BOOTSTRAP_SERVERS": environment.kafka_bootstrap_servers,
        "DATABASE_URL": environment.database_url,
        "TOPIC_PREFIX": environment.topic_prefix,
        **{f"{service.upper()}_PORT": str(port) for service, port in ports.items()},
    }
    log = tmp_path / "run.log"
    with log.open("wb") as output:
        run = subprocess.Popen(
            [sys.executable, "-m", "deploy.local", "run", "--state-dir", str(tmp_path)],
            env={**os.environ, **variables},
            stdout=output,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
    try:
        welcome = wait_for(log, WELCOME, run, seconds=300)
        keys = json.loads((tmp_path / "demo-keys.json").read_text())
        secretariat = {"Authorization": f"Bearer {keys['secretariat']}"}
        ready = {s: httpx.get(f"http://127.0.0.1:{p}/readyz").status_code for s, p in ports.items()}
        demo = httpx.get(
            f"http://127.0.0.1:{ports['requests']}/v1/requests",
            params={"limit": 200},
            headers=secretariat,
        )
        children = children_of(run.pid)
        run.send_signal(signal.SIGINT)  # what Ctrl-C sends
        exit_code = run.wait(timeout=120)
    finally:
        if run.poll() is None:
            run.kill()
    goodbye = log.read_text()

    for service, port in ports.items():
        assert f"http://127.0.0.1:{port}/docs" in welcome, service
    assert f"http://127.0.0.1:{ports['notifications']}/dashboard" in welcome
    assert str(tmp_path / "demo-keys.json") in welcome
    assert set(keys) >= {"secretariat", "operator", "donor (Norway)"}
    assert ready == dict.fromkeys(SERVICES, 200)
    assert len(demo.json()["items"]) == DEMO_REQUESTS
    assert exit_code == 0, goodbye[-3000:]
    assert "stopped" in goodbye.splitlines()[-1]
    assert len(children) == len(SERVICES)
    assert [pid for pid in children if alive(pid)] == []
    assert not any(answers(port) for port in ports.values())


def wait_for(log: Path, text: str, process: subprocess.Popen[bytes], seconds: float) -> str:
    deadline = time.monotonic() + seconds
    while text not in (output := log.read_text()):
        assert process.poll() is None, f"make run exited early:\n{output[-3000:]}"
        assert time.monotonic() < deadline, f"no welcome after {seconds} s:\n{output[-3000:]}"
        time.sleep(0.5)
    return output


def children_of(pid: int) -> list[int]:
    """The direct children of a process (the service processes `run` started), from /proc."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rpartition(")")[2].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if parent == pid:
            found.append(int(stat.parent.name))
    return sorted(found)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").read_text().split(")")[1].split()[0] != "Z"


def answers(port: int) -> bool:
    try:
        httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
    except httpx.HTTPError:
        return False
    return True
