"""After funding, the story goes on across the four services as processes: the funded request
becomes a project, the donor's disbursement is held against its schedule, the state files a
progress report and then the final one, the project completes and with it the request; the
operators' feed and the state's tell each step."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

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
    environment: Environment,
) -> None:
    processes = system(environment)
    with running(*processes.values()):
        async with clients(environment, processes) as cast:
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

    assert [(s["planned"], s["disbursed"], s["covered"]) for s in schedule["schedule"]] == [
        ("100000.00", "100000.00", True),
        ("400000.00", "100000.00", False),
    ]
    assert shown["status"] == "completed"
    assert [r["final"] for r in shown["reports"]] == [False, True]
    assert done["status"] == "completed"
    assert feeds["operator"] >= PROJECT_EVENTS
    assert feeds["state"] >= PROJECT_EVENTS


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
