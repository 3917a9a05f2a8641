"""Extension requests through the API on the real database and broker: each office's part, each
bad input refused with nothing stored or sent, the events on the tiers, and the granted deadline
reaching the linked assistance request."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from services.requests.service import SERVICE as REQUESTS
from shared.events.envelope import decode
from shared.events.requests import ExtensionEvent
from shared.principal import Principal
from shared.topics import Stream
from tests.database import fetch
from tests.factories import extension_body
from tests.integration.requests.conftest import (
    BALKANS,
    DONOR,
    KHM,
    LAO,
    OPERATOR,
    PER,
    SECRETARIAT,
    SOUTH_EAST_ASIA,
)
from tests.integration.requests.extension_flows import (
    CAST,
    GRANTED,
    LAO_DEADLINE,
    MNE,
    NETHERLANDS,
    REQUESTED,
    analysed,
    filed,
    name_group,
    post,
)
from tests.kafka import read_topic
from tests.service_api import Api, api_fixtures
from tests.system import Environment

ext_api, ext_live_api = api_fixtures(REQUESTS, CAST)


async def _stored(environment: Environment) -> tuple[int, ...]:
    [row] = await fetch(
        environment.database_url,
        "SELECT (SELECT count(*) FROM requests.extension_requests),"
        " (SELECT count(*) FROM requests.extension_history),"
        " (SELECT count(*) FROM requests.requests),"
        " (SELECT count(*) FROM requests.request_history),"
        " (SELECT count(*) FROM requests.outbox),"
        " (SELECT coalesce(sum(version), 0) FROM requests.extension_requests)",
    )
    return tuple(row)


async def test_filed_analysed_and_granted_the_deadline_reaches_the_linked_request(
    ext_api: Api, environment: Environment
) -> None:
    extension = await analysed(ext_api)
    path = f"/v1/extension-requests/{extension['id']}"
    decision = {"granted": True, "new_deadline": GRANTED, "meeting": "Thirteenth MSP"}
    decided = await post(ext_api, f"{path}/decision", SECRETARIAT, decision)
    request = await ext_api.client.get(
        f"/v1/requests/{decided['assistance_request_id']}", headers=ext_api.headers_for(LAO)
    )
    history = await ext_api.client.get(
        f"/v1/requests/{decided['assistance_request_id']}/history",
        headers=ext_api.headers_for(LAO),
    )
    [decided_events] = await fetch(
        environment.database_url,
        "SELECT count(*) FROM requests.outbox WHERE event_type LIKE '%extension.decided%'",
    )

    assert (decided["status"], decided["granted_deadline"]) == ("granted", GRANTED)
    assert decided["requested_deadline"] == REQUESTED
    assert [q["answer"] for q in decided["questions"]] == ["Savannakhet and Xekong"]
    assert request.json()["status"] == "draft"
    assert request.json()["deadline"] == GRANTED
    assert request.json()["amount"] == {"value": "9000000.00", "currency": "USD"}
    assert [t["action"] for t in history.json()] == ["create", "amend"]
    assert history.json()[1]["actor"] == "secretariat"
    assert decided_events[0] == 3  # national, regional and global tiers


async def test_the_extension_history_records_each_step(ext_api: Api) -> None:
    extension = await analysed(ext_api)

    response = await ext_api.client.get(
        f"/v1/extension-requests/{extension['id']}/history", headers=ext_api.headers_for(LAO)
    )

    assert [(t["action"], t["to_status"], t["actor"]) for t in response.json()] == [
        ("submit", "submitted", "national:LAO"),
        ("ask", "questions_open", "national:MNE"),
        ("answer", "under_analysis", "national:LAO"),
        ("analyse", "analysed", "donor:netherlands"),
    ]


async def test_a_refusal_is_recorded_and_leaves_the_linked_request(ext_api: Api) -> None:
    extension = await analysed(ext_api)
    path = f"/v1/extension-requests/{extension['id']}"

    decided = await post(
        ext_api, f"{path}/decision", SECRETARIAT, {"granted": False, "meeting": "13MSP"}
    )
    request = await ext_api.client.get(
        f"/v1/requests/{decided['assistance_request_id']}", headers=ext_api.headers_for(LAO)
    )

    assert (decided["status"], decided["granted_deadline"]) == ("not_granted", None)
    assert request.json()["deadline"] == REQUESTED


async def test_a_later_extension_starts_from_the_granted_deadline(ext_api: Api) -> None:
    extension = await analysed(ext_api)
    decision = {"granted": True, "new_deadline": GRANTED, "meeting": "13MSP"}
    await post(ext_api, f"/v1/extension-requests/{extension['id']}/decision", SECRETARIAT, decision)

    old = await post(ext_api, "/v1/extension-requests", LAO, extension_body(), 422)
    again = await post(
        ext_api,
        "/v1/extension-requests",
        LAO,
        extension_body(current_deadline=GRANTED, requested_deadline="2031-08-01"),
        201,
    )

    assert old["rule"] == "current-deadline-on-record"
    assert again["current_deadline"] == GRANTED


async def test_a_second_filing_while_the_first_awaits_its_decision_is_refused(
    ext_api: Api, environment: Environment
) -> None:
    first = await filed(ext_api)
    before = await _stored(environment)

    problem = await post(ext_api, "/v1/extension-requests", LAO, extension_body(), 409)

    assert (problem["rule"], problem["existing"]) == ("one-undecided-extension", first["id"])
    assert await _stored(environment) == before


async def test_two_filings_at_once_store_one_extension(
    ext_api: Api, environment: Environment
) -> None:
    await name_group(ext_api)

    answers = await asyncio.gather(
        *(
            ext_api.client.post(
                "/v1/extension-requests", json=extension_body(), headers=ext_api.headers_for(LAO)
            )
            for _ in range(2)
        )
    )

    assert sorted(a.status_code for a in answers) == [201, 409]
    assert (await _stored(environment))[:3] == (1, 1, 1)


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        (LAO, True),
        (SOUTH_EAST_ASIA, True),
        (SECRETARIAT, True),
        (OPERATOR, True),
        (MNE, True),
        (NETHERLANDS, True),
        (KHM, False),
        (BALKANS, False),
        (DONOR, False),
    ],
    ids=lambda p: p.label if isinstance(p, Principal) else str(p),
)
async def test_who_sees_an_extension_request(ext_api: Api, who: Principal, sees: bool) -> None:
    extension = await filed(ext_api)

    one = await ext_api.client.get(
        f"/v1/extension-requests/{extension['id']}", headers=ext_api.headers_for(who)
    )
    listed = await ext_api.client.get("/v1/extension-requests", headers=ext_api.headers_for(who))

    assert one.status_code == (200 if sees else 404)
    assert [e["id"] for e in listed.json()["items"]] == ([extension["id"]] if sees else [])


async def test_a_retried_filing_changes_nothing(ext_api: Api, environment: Environment) -> None:
    await name_group(ext_api)
    headers = {**ext_api.headers_for(LAO), "Idempotency-Key": "extension-1"}
    first = await ext_api.client.post(
        "/v1/extension-requests", json=extension_body(), headers=headers
    )
    stored = await _stored(environment)
    retry = await ext_api.client.post(
        "/v1/extension-requests", json=extension_body(), headers=headers
    )

    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.json()["id"] == first.json()["id"]
    assert await _stored(environment) == stored
    assert stored[:3] == (1, 1, 1)


async def test_a_stale_if_match_is_refused(ext_api: Api, environment: Environment) -> None:
    extension = await filed(ext_api)
    before = await _stored(environment)

    response = await ext_api.client.post(
        f"/v1/extension-requests/{extension['id']}/questions",
        json={"question": "Why?"},
        headers={**ext_api.headers_for(MNE), "If-Match": '"7"'},
    )

    assert response.status_code == 412
    assert await _stored(environment) == before


FILING_REFUSALS: list[tuple[str, Principal, dict[str, Any], int, str]] = [
    ("obligation the state does not have", MNE, {"state": "MNE"}, 422, "obligation-of-state"),
    (
        "obligation of another convention's area",
        KHM,
        {"state": "KHM"},
        422,
        "obligation-of-state",
    ),
    (
        "new deadline before the current",
        LAO,
        {"requested_deadline": "2024-01-01"},
        422,
        "deadline-after-current",
    ),
    (
        "new deadline equal to the current",
        LAO,
        {"requested_deadline": LAO_DEADLINE},
        422,
        "deadline-after-current",
    ),
    (
        "current deadline not on record",
        LAO,
        {"current_deadline": "2026-08-01"},
        422,
        "current-deadline-on-record",
    ),
    ("a state filing for another", KHM, {}, 403, "state-files-own-extension"),
    ("a centre filing", SOUTH_EAST_ASIA, {}, 403, "state-files-own-extension"),
    ("the secretariat filing", SECRETARIAT, {}, 403, "state-files-own-extension"),
]


@pytest.mark.parametrize(
    ("case", "who", "changes", "status", "rule"),
    FILING_REFUSALS,
    ids=[c[0] for c in FILING_REFUSALS],
)
async def test_a_bad_filing_is_refused_naming_the_rule_and_nothing_is_stored(
    ext_api: Api,
    environment: Environment,
    case: str,
    who: Principal,
    changes: dict[str, Any],
    status: int,
    rule: str,
) -> None:
    await name_group(ext_api)

    problem = await post(ext_api, "/v1/extension-requests", who, extension_body(**changes), status)

    assert problem["rule"] == rule, case
    assert await _stored(environment) == (0, 0, 0, 0, 0, 0)


async def test_an_unknown_area_is_refused_by_the_schema(
    ext_api: Api, environment: Environment
) -> None:
    problem = await post(
        ext_api, "/v1/extension-requests", LAO, extension_body(area="peacekeeping"), 422
    )

    assert "body.area" in [e["field"] for e in problem["errors"]]
    assert await _stored(environment) == (0, 0, 0, 0, 0, 0)


STEP_REFUSALS: list[tuple[str, str, Principal, dict[str, Any], int, str]] = [
    (
        "question by the secretariat",
        "questions",
        SECRETARIAT,
        {"question": "?"},
        403,
        "analysis-group-only",
    ),
    (
        "question by the centre",
        "questions",
        SOUTH_EAST_ASIA,
        {"question": "?"},
        403,
        "analysis-group-only",
    ),
    ("analysis by an outsider", "analysis", LAO, {"analysis": "fine"}, 403, "analysis-group-only"),
    ("answer with no open question", "answers", LAO, {"answer": "x"}, 409, "no-open-question"),
    ("answer by another", "answers", MNE, {"answer": "x"}, 403, "state-answers"),
    (
        "decision before the analysis",
        "decision",
        SECRETARIAT,
        {"granted": False, "meeting": "13MSP"},
        409,
        "not-decidable",
    ),
    (
        "decision by the group",
        "decision",
        MNE,
        {"granted": False, "meeting": "13MSP"},
        403,
        "secretariat-only",
    ),
]


@pytest.mark.parametrize(
    ("case", "step", "who", "body", "status", "rule"),
    STEP_REFUSALS,
    ids=[c[0] for c in STEP_REFUSALS],
)
async def test_a_step_out_of_turn_is_refused_naming_the_rule_and_nothing_is_stored(
    ext_api: Api,
    environment: Environment,
    case: str,
    step: str,
    who: Principal,
    body: dict[str, Any],
    status: int,
    rule: str,
) -> None:
    extension = await filed(ext_api)
    before = await _stored(environment)

    problem = await post(
        ext_api, f"/v1/extension-requests/{extension['id']}/{step}", who, body, status
    )

    assert problem["rule"] == rule, case
    assert await _stored(environment) == before


async def test_a_decision_by_anyone_but_the_secretariat_is_refused(
    ext_api: Api, environment: Environment
) -> None:
    extension = await analysed(ext_api)
    before = await _stored(environment)
    body = {"granted": True, "new_deadline": GRANTED, "meeting": "13MSP"}

    for who in (LAO, SOUTH_EAST_ASIA, NETHERLANDS, OPERATOR):
        problem = await post(
            ext_api, f"/v1/extension-requests/{extension['id']}/decision", who, body, 403
        )
        assert problem["rule"] == "secretariat-only"
    assert await _stored(environment) == before


async def test_only_the_secretariat_names_the_analysis_group(
    ext_api: Api, environment: Environment
) -> None:
    refused = await post(
        ext_api, "/v1/analysis-groups/CCM/members", LAO, {"member": "national:LAO"}, 403
    )
    bad = await post(
        ext_api, "/v1/analysis-groups/CCM/members", SECRETARIAT, {"member": "national:XXX"}, 422
    )
    group = await ext_api.client.get("/v1/analysis-groups/CCM", headers=ext_api.headers_for(LAO))
    [row] = await fetch(
        environment.database_url, "SELECT count(*) FROM requests.analysis_group_members"
    )

    assert (refused["rule"], bad["rule"]) == ("secretariat-only", "analysis-member")
    assert group.json() == {"convention": "CCM", "members": []}
    assert row[0] == 0


async def _extension_events(api: Api, topic: str, expected: int, seconds: float = 30) -> list[str]:
    servers = api.resources.settings.kafka_bootstrap_servers
    records = await read_topic(servers, topic, expected, seconds=seconds)
    events = [decode(r.value, r.key).payload for r in records]
    return [e.event_type for e in events if isinstance(e, ExtensionEvent)]


async def test_extension_events_go_to_the_national_regional_and_global_tiers(
    ext_live_api: Api,
) -> None:
    topics = ext_live_api.resources.topics
    extension = await analysed(ext_live_api)
    decision = {"granted": True, "new_deadline": GRANTED, "meeting": "13MSP"}
    await post(
        ext_live_api, f"/v1/extension-requests/{extension['id']}/decision", SECRETARIAT, decision
    )
    story = [
        "extension.submitted",
        "extension.question-asked",
        "extension.answered",
        "extension.analysed",
        "extension.decided",
    ]

    for topic in (
        topics.national(Stream.REQUESTS),
        topics.regional("south-eastern-asia", Stream.REQUESTS),
        topics.global_(Stream.REQUESTS),
    ):
        assert await _extension_events(ext_live_api, topic, len(story)) == story
    balkans = topics.regional("western-balkans", Stream.REQUESTS)
    assert await _extension_events(ext_live_api, balkans, 1, seconds=2) == []


async def test_an_event_carries_the_extension_the_group_and_the_linked_request(
    ext_live_api: Api,
) -> None:
    extension = await filed(ext_live_api)
    servers = ext_live_api.resources.settings.kafka_bootstrap_servers
    [record] = await read_topic(servers, ext_live_api.resources.topics.global_(Stream.REQUESTS), 1)
    payload = decode(record.value, record.key).payload

    assert isinstance(payload, ExtensionEvent)
    assert str(payload.request_id) == extension["assistance_request_id"]
    assert payload.extension.analysis_group == ["donor:netherlands", "national:MNE"]
    assert (payload.extension.article, str(payload.extension.cost.value)) == ("4", "9000000.00")
    assert record.key.decode() == extension["id"]


async def test_a_state_with_no_centre_files_on_the_global_tier(
    ext_api: Api, environment: Environment
) -> None:
    body = extension_body(
        state="PER",
        area="stockpile-destruction",
        current_deadline="2024-03-01",
        requested_deadline="2027-03-01",
    )

    extension = await post(ext_api, "/v1/extension-requests", PER, body, 201)
    topics = await fetch(
        environment.database_url,
        "SELECT topic FROM requests.outbox WHERE event_type LIKE '%extension.submitted%' "
        "ORDER BY topic",
    )

    assert (extension["regional_centre"], extension["article"]) == (None, "3")
    assert [row[0].split(".", 1)[1] for row in topics] == ["global.requests", "national.requests"]


async def test_a_grant_extends_the_deadline_of_a_linked_request_already_published(
    ext_api: Api, environment: Environment
) -> None:
    extension = await analysed(ext_api)
    request_path = f"/v1/requests/{extension['assistance_request_id']}"
    for step, who in (("submit", LAO), ("endorse", SOUTH_EAST_ASIA), ("publish", SECRETARIAT)):
        await post(ext_api, f"{request_path}/{step}", who, {})
    decision = {"granted": True, "new_deadline": GRANTED, "meeting": "13MSP"}

    await post(ext_api, f"/v1/extension-requests/{extension['id']}/decision", SECRETARIAT, decision)
    request = await ext_api.client.get(request_path, headers=ext_api.headers_for(LAO))
    history = await ext_api.client.get(f"{request_path}/history", headers=ext_api.headers_for(LAO))
    topics = await fetch(
        environment.database_url,
        "SELECT topic FROM requests.outbox WHERE event_type LIKE '%request.deadline-extended%'",
    )

    assert (request.json()["status"], request.json()["deadline"]) == ("published", GRANTED)
    assert "13MSP" in request.json()["deadline_reason"]
    last = history.json()[-1]
    assert (last["action"], last["from_status"], last["to_status"]) == (
        "extend-deadline",
        "published",
        "published",
    )
    assert len(topics) == 3  # national, regional and global tiers
