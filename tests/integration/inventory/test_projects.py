"""Projects through the HTTP API on the real database and broker: who starts, reads and reports
on one, bad input that stores and emits nothing, the schedule held against real ledger entries,
the events on the tiers, and the sweep's alerts on a controllable clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from services.inventory.app.handlers import request_changed
from services.inventory.app.workers import ProjectSweep
from shared.events import decode
from shared.events.requests import RequestFunded, RequestPublished
from shared.principal import Principal
from shared.topics import Stream
from tests.database import fetch
from tests.factories import envelope, request_event
from tests.integration.inventory.conftest import (
    BALKANS,
    CAMBODIA,
    JAPAN,
    LAO,
    NORWAY,
    OPERATOR,
    SECRETARIAT,
    SOUTH_EAST_ASIA,
)
from tests.integration.inventory.flows import record, register
from tests.kafka import read_events
from tests.service_api import Api
from tests.system import Environment

TODAY = date.today()
STARTS, ENDS = TODAY - timedelta(days=10), TODAY + timedelta(days=365)
FIRST, SECOND = TODAY - timedelta(days=5), TODAY + timedelta(days=100)
TABLES = ("projects", "project_reports", "project_alerts", "outbox", "idempotency_keys")


@dataclass
class Funded:
    """A funded LAO request, Norway's source committing 100,000 USD to it and disbursing 40,000
    on the day the project starts."""

    request_id: UUID
    source: dict[str, Any]
    extra: dict[str, Any] = field(default_factory=dict)


async def announce(api: Api, status: str = "funded", **need_changes: Any) -> UUID:
    """The inventory hears of a LAO request (of the CCM unless changed) in this status."""
    kind = RequestFunded if status == "funded" else RequestPublished
    event = request_event(kind, status=status, version=9, **need_changes)
    async with api.resources.unit_of_work() as uow:
        await request_changed(uow, envelope(event, str(event.request.request_id), "/tests"))
    return event.request.request_id


async def funded(api: Api) -> Funded:
    request_id = await announce(api)
    source = await register(api, NORWAY)
    await record(api, source, "commitments", "100000.00", request_id=request_id)
    await record(
        api, source, "disbursements", "40000.00", request_id=request_id, date=STARTS.isoformat()
    )
    return Funded(request_id, source)


def project_body(request_id: UUID, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "request_id": str(request_id),
        "title": "Victim assistance: training rehabilitation staff",
        "implementing_partner": "japan",
        "starts": STARTS.isoformat(),
        "ends": ENDS.isoformat(),
        "budget": [{"funder": "norway", "amount": "80000.00", "currency": "USD"}],
        "milestones": [
            {"title": "Trainers trained", "due": (TODAY + timedelta(days=60)).isoformat()}
        ],
        "schedule": [
            {"funder": "norway", "on": FIRST.isoformat(), "amount": "40000.00", "currency": "USD"},
            {"funder": "norway", "on": SECOND.isoformat(), "amount": "40000.00", "currency": "USD"},
        ],
        "targets": [
            {"indicator": "survivors-assisted", "baseline": "0", "target": "500"},
            {"indicator": "officials-trained", "baseline": "2", "target": "40"},
        ],
    }
    body.update(changes)
    return body


def report_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "period_start": STARTS.isoformat(),
        "period_end": TODAY.isoformat(),
        "values": {"survivors-assisted": "120", "officials-trained": "12"},
        "challenges": "Rainy season delayed travel to two provinces.",
        "lessons": "Training provincial staff first shortens the referral chain.",
    }
    body.update(changes)
    return body


async def post(
    api: Api, path: str, body: dict[str, Any], who: Principal, status: int = 201
) -> dict[str, Any]:
    response = await api.client.post(
        path, json=body, headers={**api.headers_for(who), "Idempotency-Key": str(uuid4())}
    )
    assert response.status_code == status, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def start(api: Api, request_id: UUID, who: Principal = SECRETARIAT, **changes: Any) -> Any:
    return await post(api, "/v1/projects", project_body(request_id, **changes), who)


async def counts(environment: Environment) -> dict[str, int]:
    found = {}
    for table in TABLES:
        rows = await fetch(environment.database_url, f"SELECT count(*) AS n FROM inventory.{table}")
        found[table] = rows[0]["n"]
    return found


GLOBAL_PROJECT_EVENTS = (
    "FROM inventory.outbox WHERE event_type LIKE '%project.%' AND topic LIKE '%.global.funds'"
)


async def outbox_types(environment: Environment) -> list[str]:
    """The project events in the outbox for the global tier, oldest first."""
    rows = await fetch(
        environment.database_url, f"SELECT event_type {GLOBAL_PROJECT_EVENTS} ORDER BY id"
    )
    return [row["event_type"] for row in rows]


async def global_payloads(environment: Environment, event_type: str) -> list[Any]:
    """The payloads of the project events of this type in the outbox for the global tier."""
    rows = await fetch(
        environment.database_url,
        f"SELECT value, key {GLOBAL_PROJECT_EVENTS} AND event_type LIKE $1 ORDER BY id",
        f"%{event_type}.%",
    )
    return [decode(row["value"], row["key"].encode()).payload for row in rows]


async def test_the_secretariat_the_state_or_a_funder_starts_a_project_and_nobody_else(
    api: Api, environment: Environment
) -> None:
    scene = await funded(api)
    small = [{"funder": "norway", "amount": "10000.00", "currency": "USD"}]
    for who in (SECRETARIAT, LAO, NORWAY):
        created = await start(api, scene.request_id, who, budget=small, schedule=[])
        assert created["created_by"] == who.label
        assert created["status"] == "active"
    before = await counts(environment)
    for who in (JAPAN, CAMBODIA, SOUTH_EAST_ASIA, BALKANS, OPERATOR):
        problem = await post(api, "/v1/projects", project_body(scene.request_id), who, 403)
        assert problem["rule"] == "project-starter"
    assert await counts(environment) == before


async def test_each_reads_the_projects_it_takes_part_in(api: Api) -> None:
    scene = await funded(api)
    created = await start(api, scene.request_id)
    path = f"/v1/projects/{created['id']}"
    for who in (SECRETARIAT, OPERATOR, LAO, SOUTH_EAST_ASIA, NORWAY, JAPAN):
        response = await api.client.get(path, headers=api.headers_for(who))
        assert response.status_code == 200, (who, response.text)
        listed = await api.client.get("/v1/projects", headers=api.headers_for(who))
        assert [p["id"] for p in listed.json()] == [created["id"]], who
    for who in (CAMBODIA, BALKANS):
        response = await api.client.get(path, headers=api.headers_for(who))
        assert response.status_code == 404, who
        listed = await api.client.get("/v1/projects", headers=api.headers_for(who))
        assert listed.json() == [], who


async def test_the_schedule_is_planned_against_the_ledgers_disbursements(api: Api) -> None:
    scene = await funded(api)
    created = await start(api, scene.request_id)
    assert [(s["planned"], s["disbursed"], s["covered"]) for s in created["schedule"]] == [
        ("40000.00", "40000.00", True),
        ("80000.00", "40000.00", False),
    ]
    await record(api, scene.source, "disbursements", "25000.00", request_id=scene.request_id)
    response = await api.client.get(f"/v1/projects/{created['id']}", headers=api.headers_for(LAO))
    assert [s["disbursed"] for s in response.json()["schedule"]] == ["40000.00", "65000.00"]
    assert [i["latest"] for i in response.json()["indicators"]] == [None, None]


async def test_the_state_and_the_partner_report_and_the_final_report_completes_the_project(
    api: Api, environment: Environment
) -> None:
    scene = await funded(api)
    created = await start(api, scene.request_id)
    path = f"/v1/projects/{created['id']}/reports"
    await post(api, path, report_body(), LAO)
    final = report_body(
        values={"survivors-assisted": "510"}, final=True, period_end=ENDS.isoformat()
    )
    filed = await post(api, path, final, JAPAN)
    assert filed["filed_by"] == "donor:japan"
    assert filed["final"] is True
    project = (await api.client.get(path[: -len("/reports")], headers=api.headers_for(LAO))).json()
    assert project["status"] == "completed"
    assert {i["indicator"]: i["latest"] for i in project["indicators"]} == {
        "survivors-assisted": "510",
        "officials-trained": "12",
    }
    assert len(project["reports"]) == 2
    assert [t.split(".")[2] for t in await outbox_types(environment)] == [
        "project",
        "project",
        "project",
        "project",
    ]
    [completed] = await global_payloads(environment, "project.completed")
    assert completed.request_complete is True


async def test_the_last_of_two_projects_completes_the_request(
    api: Api, environment: Environment
) -> None:
    scene = await funded(api)
    half = [{"funder": "norway", "amount": "40000.00", "currency": "USD"}]
    first = await start(api, scene.request_id, budget=half, schedule=[])
    second = await start(api, scene.request_id, budget=half, schedule=[])
    final = report_body(final=True)
    await post(api, f"/v1/projects/{first['id']}/reports", final, LAO)
    await post(api, f"/v1/projects/{second['id']}/reports", final, LAO)
    payloads = await global_payloads(environment, "project.completed")
    done = {(p.project_id, p.request_complete) for p in payloads}
    assert done == {(UUID(first["id"]), False), (UUID(second["id"]), True)}


async def test_project_events_go_to_the_global_tier_and_the_states_centre(
    live_api: Api,
) -> None:
    api = live_api
    scene = await funded(api)
    created = await start(api, scene.request_id)
    await post(api, f"/v1/projects/{created['id']}/reports", report_body(final=True), LAO)
    servers, topics = api.resources.settings.kafka_bootstrap_servers, api.resources.topics
    expected = ["project.started", "project.report-filed", "project.completed"]
    for topic in (
        topics.global_(Stream.FUNDS),
        topics.regional("south-eastern-asia", Stream.FUNDS),
    ):
        events = await read_events(servers, topic, 20, seconds=10)
        ours = [e for e in events if getattr(e.payload, "project_id", None) == UUID(created["id"])]
        assert [e.payload.event_type for e in ours] == expected, topic
        assert {e.key for e in ours} == {str(scene.request_id)}
    balkans = await read_events(
        servers, topics.regional("western-balkans", Stream.FUNDS), 1, seconds=2
    )
    assert not [e for e in balkans if e.payload.event_type.startswith("project.")]


@dataclass
class Bad:
    name: str
    status: int
    rule: str
    who: Principal = SECRETARIAT


START_CASES = [
    (Bad("unknown request", 422, "unknown-request"), {"request_id": str(uuid4())}),
    (
        Bad("budget beyond the commitment", 422, "budget-exceeds-commitment"),
        {
            "budget": [{"funder": "norway", "amount": "100000.01", "currency": "USD"}],
            "schedule": [],
        },
    ),
    (
        Bad("milestone after the end", 422, "milestone-outside-project"),
        {"milestones": [{"title": "Late", "due": (ENDS + timedelta(days=1)).isoformat()}]},
    ),
    (
        Bad("end before start", 422, "end-before-start"),
        {"ends": (STARTS - timedelta(days=1)).isoformat()},
    ),
    (
        Bad("indicator of another convention", 422, "unknown-indicator"),
        {"targets": [{"indicator": "bch-records-published", "baseline": "0", "target": "5"}]},
    ),
    (
        Bad("partner without a key", 422, "reporting-partner"),
        {"implementing_partner": "nobody-with-a-key"},
    ),
]


@pytest.mark.parametrize(("case", "changes"), START_CASES, ids=[c.name for c, _ in START_CASES])
async def test_a_bad_project_is_refused_naming_the_rule_and_nothing_is_kept(
    api: Api, environment: Environment, case: Bad, changes: dict[str, Any]
) -> None:
    scene = await funded(api)
    before = await counts(environment)
    body = {**project_body(scene.request_id), **changes}
    problem = await post(api, "/v1/projects", body, case.who, case.status)
    assert problem["rule"] == case.rule
    assert await counts(environment) == before


async def test_a_project_for_a_request_not_funded_is_refused(
    api: Api, environment: Environment
) -> None:
    published = await announce(api, "published")
    source = await register(api, NORWAY)
    await record(api, source, "pledges", "100000.00", request_id=published)
    before = await counts(environment)
    problem = await post(api, "/v1/projects", project_body(published), SECRETARIAT, 409)
    assert problem["rule"] == "request-not-funded"
    assert await counts(environment) == before


REPORT_CASES = [
    (Bad("by another state", 403, "project-reporter", CAMBODIA), {}),
    (Bad("by a funder that does not implement it", 403, "project-reporter", NORWAY), {}),
    (Bad("by the secretariat", 403, "project-reporter", SECRETARIAT), {}),
    (Bad("by an operator", 403, "project-reporter", OPERATOR), {}),
    (
        Bad("for an indicator it does not track", 422, "untracked-indicator", LAO),
        {"values": {"area-released": "1000"}},
    ),
]


@pytest.mark.parametrize(("case", "changes"), REPORT_CASES, ids=[c.name for c, _ in REPORT_CASES])
async def test_a_bad_report_is_refused_naming_the_rule_and_nothing_is_kept(
    api: Api, environment: Environment, case: Bad, changes: dict[str, Any]
) -> None:
    scene = await funded(api)
    created = await start(api, scene.request_id)
    before = await counts(environment)
    path = f"/v1/projects/{created['id']}/reports"
    problem = await post(api, path, report_body(**changes), case.who, case.status)
    assert problem["rule"] == case.rule
    assert await counts(environment) == before


async def test_a_closed_project_takes_no_report(api: Api, environment: Environment) -> None:
    scene = await funded(api)
    created = await start(api, scene.request_id)
    path = f"/v1/projects/{created['id']}/reports"
    await post(api, path, report_body(final=True), LAO)
    before = await counts(environment)
    problem = await post(api, path, report_body(), JAPAN, 409)
    assert problem["rule"] == "project-closed"
    assert await counts(environment) == before


async def test_the_sweep_alerts_once_for_an_overdue_report_and_a_late_disbursement(
    api: Api, environment: Environment
) -> None:
    scene = await funded(api)
    await start(api, scene.request_id)
    sweep = ProjectSweep(api.resources)
    soon = datetime.combine(TODAY + timedelta(days=30), time(9), UTC)
    assert await sweep.sweep(soon) == 0  # first instalment covered; report due at day 90
    later = datetime.combine(TODAY + timedelta(days=200), time(9), UTC)
    assert await sweep.sweep(later) == 2
    assert await sweep.sweep(later) == 0
    assert await sweep.sweep(later + timedelta(days=1)) == 0
    types = await outbox_types(environment)
    assert sorted(t for t in types if "overdue" in t or "late" in t) == [
        "org.clearinghouse.project.disbursement-late.v1",
        "org.clearinghouse.project.report-overdue.v1",
    ]
    [late] = await global_payloads(environment, "project.disbursement-late")
    assert (late.planned_on, str(late.planned), str(late.disbursed)) == (
        SECOND,
        "80000.00",
        "40000.00",
    )
    [overdue] = await global_payloads(environment, "project.report-overdue")
    assert (overdue.due, overdue.state) == (STARTS + timedelta(days=90), "LAO")
