"""After funding, the story goes on across the four services as processes: the funded request
becomes a project, the donor's disbursement is held against its schedule, the state files a
progress report and then the final one, the project completes and with it the request; the
operators' feed and the state's tell each step. Around the state, its country coalition: the
secretariat proposes it with the donor as lead, the state records a meeting, and the coalition's
page shows the members, the need, what the donor pledged, committed and disbursed, and the
dialogue log."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from deploy.local.processes import ServiceProcess
from tests.browser import chromium, new_page, screenshots, serious_violations, sign_in
from tests.e2e.story import Clients, clients, system
from tests.e2e.test_story import (
    ASKED,
    feed_about,
    proposed,
    register_source,
    status_is,
    step,
    submit_request,
)
from tests.polling import eventually
from tests.system import Environment, running

TODAY = date.today()
PROJECT_EVENTS = {"project.started", "project.report-filed", "project.completed"}


async def test_a_funded_request_is_carried_out_as_a_project_and_completes(
    environment: Environment, request: pytest.FixtureRequest
) -> None:
    processes = system(environment)
    with running(*processes.values()):
        async with clients(environment, processes) as cast:
            coalition = await form_coalition(cast)
            source = await register_source(cast)
            request_id = await submit_request(cast)
            await step(cast, "requests", f"/v1/requests/{request_id}/endorse", "centre", {})
            await step(cast, "requests", f"/v1/requests/{request_id}/publish", "secretariat")
            proposal = await proposed(cast, request_id)
            await step(cast, "matching", f"/v1/proposals/{proposal['id']}/accept", "donor")
            await eventually(lambda: status_is(cast, request_id, "funded"), seconds=90)
            await commit(cast, request_id)

            project = await eventually(lambda: started(cast, request_id), seconds=60)
            path = f"/v1/projects/{project['id']}"
            first = disbursed(source, project, request_id)
            await created(cast, f"/v1/sources/{source['id']}/disbursements", "donor", first)
            schedule = (await cast["inventory"].get(path, headers=cast.as_("state"))).json()
            await created(cast, f"{path}/reports", "state", report(final=False))
            await created(cast, f"{path}/reports", "state", report(final=True))
            done = await eventually(lambda: status_is(cast, request_id, "completed"), seconds=90)
            shown = (await cast["inventory"].get(path, headers=cast.as_("centre"))).json()
            feeds = await eventually(lambda: told(cast, request_id), seconds=60)
            summary = await eventually(lambda: disbursed_in(cast, coalition), seconds=60)
            page = await coalition_page(cast, coalition)
            seen = await in_the_browser(cast, processes, coalition, project, screenshots(request))
            meeting_told = {
                who: await eventually(lambda w=who: told_of_meeting(cast, w, coalition))
                for who in ("state", "donor")
            }

    assert [(s["planned"], s["disbursed"], s["covered"]) for s in schedule["schedule"]] == [
        ("100000.00", "100000.00", True),
        ("400000.00", "100000.00", False),
    ]
    assert shown["status"] == "completed"
    assert [r["final"] for r in shown["reports"]] == [False, True]
    assert done["status"] == "completed"
    assert feeds["operator"] >= PROJECT_EVENTS
    assert feeds["state"] >= PROJECT_EVENTS
    assert [r["request_id"] for r in summary["funded_requests"]] == [request_id]
    assert [(n["measure"], n["asked"]) for n in summary["needs"]] == [("USD", ASKED)]
    [norway] = [g for g in summary["givers"] if g["party"] == "norway"]
    assert norway["member"]
    assert (norway["committed"], norway["disbursed"]) == (ASKED, "100000.00")
    assert 'data-member="norway"' in page
    assert "Survey before clearance in the two districts" in page
    assert "100,000.00" in page
    assert meeting_told == {"state": "info", "donor": "info"}
    assert seen == {"coalition": [], "project": []}  # no serious accessibility violations


async def commit(cast: Clients, request_id: str) -> None:
    """The donor converts its reservation for the request into a commitment."""
    answer = await cast["inventory"].get(
        "/v1/reservations", params={"request_id": request_id}, headers=cast.as_("donor")
    )
    [reservation] = answer.json()
    body = {"date": TODAY.isoformat(), "note": "Grant agreement signed"}
    await created(cast, f"/v1/reservations/{reservation['id']}/commitment", "donor", body)


async def started(cast: Clients, request_id: str) -> dict[str, Any] | None:
    """The state starts the project, once the inventory has heard that its request is funded."""
    first, rest = Decimal(ASKED) / 4, Decimal(ASKED) * 3 / 4
    body = {
        "request_id": request_id,
        "title": "Clearance of two districts",
        "implementing_partner": "norway",
        "starts": TODAY.isoformat(),
        "ends": (TODAY + timedelta(days=365)).isoformat(),
        "budget": [{"funder": "norway", "amount": ASKED, "currency": "USD"}],
        "milestones": [{"title": "Survey done", "due": (TODAY + timedelta(days=90)).isoformat()}],
        "schedule": [
            {
                "funder": "norway",
                "on": TODAY.isoformat(),
                "amount": f"{first:.2f}",
                "currency": "USD",
            },
            {
                "funder": "norway",
                "on": (TODAY + timedelta(days=180)).isoformat(),
                "amount": f"{rest:.2f}",
                "currency": "USD",
            },
        ],
        "targets": [{"indicator": "area-released", "baseline": "0", "target": "250000"}],
    }
    answer = await cast["inventory"].post(
        "/v1/projects", json=body, headers=cast.as_("state", idempotency_key=f"p-{request_id}")
    )
    if answer.status_code == 409 and answer.json()["rule"] == "request-not-funded":
        return None
    assert answer.status_code == 201, answer.text
    project: dict[str, Any] = answer.json()
    return project


def disbursed(source: dict[str, Any], project: dict[str, Any], request_id: str) -> dict[str, Any]:
    """The donor's first instalment, as the project's schedule plans it, from its window."""
    first = project["schedule"][0]
    return {
        "window_id": source["windows"][0]["id"],
        "request_id": request_id,
        "amount": {"value": first["amount"], "currency": "USD"},
        "date": TODAY.isoformat(),
    }


def report(*, final: bool) -> dict[str, Any]:
    return {
        "period_start": TODAY.isoformat(),
        "period_end": TODAY.isoformat(),
        "values": {"area-released": "250000" if final else "40000"},
        "challenges": "Access roads closed by the rains.",
        "lessons": "Survey before clearance released most of the land.",
        "final": final,
    }


async def created(cast: Clients, path: str, who: str, body: dict[str, Any]) -> dict[str, Any]:
    answer = await cast["inventory"].post(path, json=body, headers=cast.as_(who))
    assert answer.status_code == 201, (path, answer.text)
    result: dict[str, Any] = answer.json()
    return result


async def told(cast: Clients, request_id: str) -> dict[str, set[str]] | None:
    """What the operators and the state were told of the request, once it includes the
    project's completion."""
    feeds = {who: set(await feed_about(cast, who, request_id)) for who in ("operator", "state")}
    return feeds if all(f >= PROJECT_EVENTS for f in feeds.values()) else None


MEETING = {
    "date": TODAY.isoformat(),
    "kind": "meeting",
    "participants": ["LAO", "norway"],
    "agreed": "Survey before clearance in the two districts; Norway leads the coalition.",
    "follow_ups": [
        {
            "action": "Share the survey plan",
            "owner": "LAO",
            "due": (TODAY + timedelta(days=30)).isoformat(),
        }
    ],
}


async def form_coalition(cast: Clients) -> str:
    """The secretariat proposes Lao PDR's coalition under the CCM's clearance obligation, with
    Norway as its lead; the state records their first meeting."""
    body = {
        "state": "LAO",
        "convention": "CCM",
        "areas": ["survey-and-clearance"],
        "title": "Country coalition: Article 4 clearance in Lao PDR",
        "members": [{"party": "norway", "kind": "state"}],
        "lead": "norway",
    }
    answer = await cast["matching"].post(
        "/v1/coalitions", json=body, headers=cast.as_("secretariat", idempotency_key="lao-cc")
    )
    assert answer.status_code == 201, answer.text
    coalition_id: str = answer.json()["id"]
    recorded = await cast["matching"].post(
        f"/v1/coalitions/{coalition_id}/dialogue", json=MEETING, headers=cast.as_("state")
    )
    assert recorded.status_code == 200, recorded.text
    return coalition_id


async def disbursed_in(cast: Clients, coalition_id: str) -> dict[str, Any] | None:
    """The coalition's summary, once matching has heard of the donor's disbursement."""
    answer = await cast["matching"].get(
        f"/v1/coalitions/{coalition_id}/summary", headers=cast.as_("state")
    )
    assert answer.status_code == 200, answer.text
    summary: dict[str, Any] = answer.json()
    givers = [g for g in summary["givers"] if g["party"] == "norway"]
    return summary if givers and givers[0]["disbursed"] == "100000.00" else None


async def coalition_page(cast: Clients, coalition_id: str) -> str:
    """The coalition's page on the portal, as the state's focal point signed in sees it."""
    matching = cast["matching"]
    signed_in = await matching.post("/portal/sign-in", data={"key": cast.keys["state"]})
    assert signed_in.status_code == 303, signed_in.text
    page = await matching.get(f"/portal/coalitions/{coalition_id}")
    assert page.status_code == 200, page.text
    return page.text


async def told_of_meeting(cast: Clients, who: str, coalition_id: str) -> str | None:
    """How loudly `who` was told of the coalition's dialogue entry, if at all."""
    answer = await cast["notifications"].get(
        "/v1/feed", params={"type": "coalition.dialogue-recorded"}, headers=cast.as_(who)
    )
    assert answer.status_code == 200, answer.text
    found = [i["severity"] for i in answer.json()["items"] if i["subject"] == coalition_id]
    return found[0] if found else None


async def in_the_browser(
    cast: Clients,
    processes: dict[str, ServiceProcess],
    coalition_id: str,
    project: dict[str, Any],
    folder: Path,
) -> dict[str, list[dict[str, Any]]]:
    """The state's focal point opens its coalition's page and its project's in Chromium (one
    sign-in serves both services); axe-core's serious violations on each."""
    found = {}
    async with chromium() as browser:
        page = await new_page(browser)
        matching, inventory = processes["matching"].url, processes["inventory"].url
        await sign_in(page, matching, cast.keys["state"], then=f"/portal/coalitions/{coalition_id}")
        await page.screenshot(path=str(folder / "coalition.png"), full_page=True)
        found["coalition"] = await serious_violations(page)
        await page.goto(f"{inventory}/portal/projects/{project['id']}")
        await page.screenshot(path=str(folder / "project.png"), full_page=True)
        found["project"] = await serious_violations(page)
    return found
