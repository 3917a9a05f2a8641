"""`make run` tells the story: it starts the four services, loads the demo data, says where the
API docs, the dashboard and the demo keys are, keeps running, and on Ctrl-C stops everything,
leaving no process behind. The demo shows the clearing-house at work: proposals, a coalition of
several donors around one state, a request funded once its donor accepted, and a request unmatched
with the reason why; the dashboard shows them to an operator in Chromium (screenshots under
test-output/).

The run uses the suite's broker and database (as `make run` does when `KAFKA_BOOTSTRAP_SERVERS`
and `DATABASE_URL` name existing servers), with a database and topics of its own.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from lxml import etree
from playwright.sync_api import Page, expect, sync_playwright

from deploy.local.chromium import chromium_executable
from services import SERVICES
from services.inventory.adapters import iati as iati_file
from tests.system import OUTPUT, ROOT, Environment, free_port

WELCOME = "Press Ctrl-C to stop everything."
QUIET_START = re.compile(r"Traceback|Error|WARNING|retrying", re.IGNORECASE)  # a newcomer's alarm
DEMO_REQUESTS = 25  # the CCM's 2018 Article 7 reports, Sri Lanka's South-South request,
# Cambodia's biosafety request and the resources of Lao PDR's extension of its Article 4 deadline


def test_make_run_serves_the_demo_and_stops_cleanly(
    environment: Environment, tmp_path: Path, request: pytest.FixtureRequest
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
        story = wait_for_story(ports, secretariat, seconds=120)
        iati = httpx.get(
            f"http://127.0.0.1:{ports['inventory']}/v1/iati/activities", headers=secretariat
        )
        projects = httpx.get(
            f"http://127.0.0.1:{ports['inventory']}/v1/projects", headers=secretariat
        ).json()
        shown = dashboard(
            ports["notifications"], keys["operator"], story, OUTPUT / request.node.name
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
    assert "started in" in welcome
    assert [line for line in welcome.splitlines() if QUIET_START.search(line)] == []
    assert str(tmp_path / "demo-keys.json") in welcome
    assert set(keys) >= {"secretariat", "operator", "donor (Norway)"}
    assert ready == dict.fromkeys(SERVICES, 200)
    assert len(demo.json()["items"]) == DEMO_REQUESTS
    assert story.funded["state"] == "LAO"
    exported = etree.fromstring(iati.content)
    assert iati_file.schema().validate(exported), iati_file.schema().error_log
    assert {code.get("code") for code in exported.iterfind(".//transaction-type")} == {"2", "3"}
    identifiers = [i.text or "" for i in exported.iterfind(".//iati-identifier")]
    assert any(story.funded["id"] in identifier for identifier in identifiers)
    assert sorted((p["request_id"], p["reports"]) for p in projects) == sorted(
        (r["id"], 1) for r in story.funded_all
    )
    assert {r["convention"] for r in story.funded_all} == {"CCM", "Cartagena"}
    assert (story.in_kind["state"], story.in_kind["unit"], story.in_kind["currency"]) == (
        "LKA",
        "expert-days",
        None,
    )
    assert story.in_kind["donor"] in {"cambodia", "thailand"}
    assert len(story.coalition["members"]) >= 2
    assert story.unmatched["reason"] == "thematic-area"
    assert "supports none of stockpile-destruction" in story.unmatched["nearest"][0]["detail"]
    donors = {m["donor"] for m in story.coalition["members"]}
    assert shown == {"funded": "2", "donors": donors, "proposed": True}
    assert exit_code == 0, goodbye[-3000:]
    assert "stopped" in goodbye.splitlines()[-1]
    assert len(children) == len(SERVICES)
    assert [pid for pid in children if alive(pid)] == []
    assert not any(answers(port) for port in ports.values())


@dataclass
class Story:
    """What the demo shows: the requests funded (the Lao PDR's under the CCM first, and
    Cambodia's under the Cartagena Protocol), the coalition with the most donors, and Peru's
    request for stockpile destruction, which no source supports."""

    funded: dict[str, Any]
    funded_all: list[dict[str, Any]]
    coalition: dict[str, Any]
    unmatched: dict[str, Any]
    in_kind: dict[str, Any]
    """A proposal of expert-days, for Sri Lanka's South-South request."""


def wait_for_story(ports: dict[str, int], headers: dict[str, str], seconds: float) -> Story:
    deadline = time.monotonic() + seconds
    while True:
        story = _story(ports, headers)
        if isinstance(story, Story):
            return story
        assert time.monotonic() < deadline, f"the demo's story is not told: {story}"
        time.sleep(1)


def _story(ports: dict[str, int], headers: dict[str, str]) -> Story | str:
    """The story, or what is still missing from it."""

    def get(service: str, path: str, **params: Any) -> Any:
        url = f"http://127.0.0.1:{ports[service]}{path}"
        answer = httpx.get(url, params=params, headers=headers)
        answer.raise_for_status()
        return answer.json()

    funded = get("requests", "/v1/requests", status="funded")["items"]
    proposals = get("matching", "/v1/proposals", status="proposed")
    proposed = {p["request_id"] for p in proposals}
    coalitions = [get("matching", f"/v1/requests/{r}/coalition") for r in proposed]
    unmatched = [u for u in get("matching", "/v1/unmatched") if u["state"] == "PER"]
    in_kind = [p for p in proposals if p["unit"] is not None]
    missing = {
        f"{len(funded)} requests funded, not 2": len(funded) != 2,
        "no coalition": not coalitions,
        "Peru's request not unmatched": not unmatched,
        "no proposal in kind": not in_kind,
    }
    if any(missing.values()):
        return "; ".join(what for what, is_missing in missing.items() if is_missing)
    largest = max(coalitions, key=lambda c: (len(c["members"]), c["request_id"]))
    lao = next(r for r in funded if r["state"] == "LAO")
    return Story(lao, funded, largest, unmatched[0], in_kind[0])


def dashboard(port: int, operator_key: str, story: Story, output: Path) -> dict[str, Any]:
    """Sign in as the operator, see the funded count, open the coalition's journey; returns what
    the pages showed."""
    output.mkdir(parents=True, exist_ok=True)
    url = f"http://127.0.0.1:{port}/dashboard"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium_executable()))
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(url)
        page.fill("#key", operator_key)
        page.click("button[type=submit]")
        expect(page.locator("#total-funded")).to_have_text("2", timeout=30_000)
        funded = page.locator("#total-funded").inner_text()
        proposed = int(page.locator("#total-proposed").inner_text())
        page.screenshot(path=str(output / "dashboard.png"), full_page=True)
        page.goto(f"{url}/requests/{story.coalition['request_id']}")
        donors = proposing_donors(page, story)
        page.screenshot(path=str(output / "coalition.png"), full_page=True)
        browser.close()
    return {"funded": funded, "donors": donors, "proposed": proposed > 0}


def proposing_donors(page: Page, story: Story) -> set[str]:
    """The coalition's donors whose proposals the request's journey lists."""
    journey = page.locator("ol").inner_text()
    return {m["donor"] for m in story.coalition["members"] if f"from {m['donor']} for" in journey}


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
