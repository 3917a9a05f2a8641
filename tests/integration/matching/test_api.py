"""The matching API on the real database: proposals and their reasons, coalitions, donors'
answers, and bad input refused with problem details that change nothing."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

from services.matching.adapters.repository import AllocationQueue
from services.matching.app import commands
from shared.events.inventory import SourceStatus
from shared.events.requests import Amount
from tests.database import fetch
from tests.factories import NOW
from tests.integration.matching.conftest import (
    KHM,
    LAO,
    NORWAY,
    OPERATOR,
    SECRETARIAT,
    SOUTH_EAST_ASIA,
    SWEDEN,
    seed,
)
from tests.matching_factories import request_details, source, window
from tests.service_api import Api
from tests.system import Environment


async def reallocate(api: Api, **headers: str) -> dict[str, Any]:
    answer = await api.client.post(
        "/v1/allocations", headers={**api.headers_for(SECRETARIAT), **headers}
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def proposals(api: Api, path: str, who: Any = OPERATOR) -> list[dict[str, Any]]:
    answer = await api.client.get(path, headers=api.headers_for(who))
    assert answer.status_code == 200, answer.text
    body: list[dict[str, Any]] = answer.json()
    return body


async def outbox_count(environment: Environment) -> int:
    rows = await fetch(environment.database_url, "SELECT count(*) AS n FROM matching.outbox")
    return int(rows[0]["n"])


async def two_donors_one_request(api: Api) -> tuple[Any, list[dict[str, Any]]]:
    request = request_details(amount=Amount(value=Decimal("900000.00"), currency="USD"))
    await seed(
        api,
        [request],
        [source(window("600000.00")), source(window("300000.00"), donor="sweden")],
    )
    await reallocate(api)
    return request, await proposals(api, f"/v1/requests/{request.request_id}/proposals")


async def test_a_request_gets_a_coalition_of_donors_with_reasons(api: Api) -> None:
    request, found = await two_donors_one_request(api)

    coalition = await api.client.get(
        f"/v1/requests/{request.request_id}/coalition", headers=api.headers_for(SWEDEN)
    )

    assert sorted((p["donor"], p["amount"], p["lead"]) for p in found) == [
        ("norway", "600000.00", True),
        ("sweden", "300000.00", False),
    ]
    explanation = found[0]["explanation"]
    assert all(rule["passed"] for rule in explanation["rules"])
    assert set(explanation["criteria"]) == {
        "thematic_fit",
        "regional_focus",
        "urgency",
        "waiting",
        "neglect",
    }
    assert explanation["allocation"]["fairness_floor"] > 0
    assert coalition.json()["lead_donor"] == "norway"
    assert coalition.json()["proposed"] == "900000.00"
    assert coalition.json()["remaining"] == "900000.00"


async def test_each_caller_sees_the_proposals_of_its_scope(api: Api) -> None:
    request, _ = await two_donors_one_request(api)
    path = f"/v1/requests/{request.request_id}/proposals"
    norway_source = (await proposals(api, path))[0]["source_id"]

    assert len(await proposals(api, path, LAO)) == 2
    assert len(await proposals(api, path, SOUTH_EAST_ASIA)) == 2
    assert await proposals(api, path, KHM) == []
    assert [p["donor"] for p in await proposals(api, path, NORWAY)] == ["norway"]
    assert len(await proposals(api, "/v1/states/LAO/proposals", LAO)) == 2
    assert len(await proposals(api, f"/v1/sources/{norway_source}/proposals", SECRETARIAT)) == 1
    refused = await api.client.get("/v1/states/LAO/proposals", headers=api.headers_for(KHM))
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"


async def test_a_donor_accepts_its_own_proposal_once_and_coverage_is_announced(
    api: Api, environment: Environment
) -> None:
    _, found = await two_donors_one_request(api)
    norway = next(p for p in found if p["donor"] == "norway")
    accept = f"/v1/proposals/{norway['id']}/accept"
    headers = {**api.headers_for(NORWAY), "Idempotency-Key": "accept-1"}

    first = await api.client.post(accept, headers=headers)
    replay = await api.client.post(accept, headers=headers)
    before = await outbox_count(environment)
    twice = await api.client.post(accept, headers=api.headers_for(NORWAY))

    assert first.status_code == 200, first.text
    assert first.json()["status"] == "accepted"
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.json() == first.json()
    assert twice.status_code == 409
    assert twice.json()["rule"] == "proposal-accepted"
    assert await outbox_count(environment) == before
    types = await fetch(
        environment.database_url,
        "SELECT DISTINCT event_type FROM matching.outbox WHERE event_type LIKE '%accepted%'"
        " OR event_type LIKE '%coverage%' ORDER BY event_type",
    )
    assert [r["event_type"] for r in types] == [
        "org.clearinghouse.match.accepted.v1",
        "org.clearinghouse.match.coverage-changed.v1",
    ]


async def test_bad_answers_are_refused_and_change_nothing(
    api: Api, environment: Environment
) -> None:
    _, found = await two_donors_one_request(api)
    sweden = next(p for p in found if p["donor"] == "sweden")
    before = await outbox_count(environment)

    someone_elses = await api.client.post(
        f"/v1/proposals/{sweden['id']}/accept", headers=api.headers_for(NORWAY)
    )
    not_a_donor = await api.client.post(
        f"/v1/proposals/{sweden['id']}/accept", headers=api.headers_for(SECRETARIAT)
    )
    unknown = await api.client.post(
        "/v1/proposals/00000000-0000-0000-0000-000000000000/accept",
        headers=api.headers_for(SWEDEN),
    )
    malformed = await api.client.post(
        "/v1/proposals/not-a-uuid/decline", headers=api.headers_for(SWEDEN), json={}
    )
    too_long = await api.client.post(
        f"/v1/proposals/{sweden['id']}/decline",
        headers=api.headers_for(SWEDEN),
        json={"reason": "x" * 2001},
    )

    assert (someone_elses.status_code, unknown.status_code) == (404, 404)
    assert not_a_donor.status_code == 403
    assert malformed.status_code == 422
    assert too_long.status_code == 422
    assert too_long.json()["errors"][0]["field"] == "body.reason"
    assert await outbox_count(environment) == before
    still = await proposals(api, "/v1/states/LAO/proposals")
    assert {p["status"] for p in still} == {"proposed"}


async def test_a_withdrawn_proposal_cannot_be_accepted(api: Api) -> None:
    _, found = await two_donors_one_request(api)
    norway = next(p for p in found if p["donor"] == "norway")
    closed = source(
        window("600000.00"),
        source_id=UUID(norway["source_id"]),
        version=2,
        status=SourceStatus.CLOSED,
    )
    await seed(api, [], [closed])
    await reallocate(api)

    answer = await api.client.post(
        f"/v1/proposals/{norway['id']}/accept", headers=api.headers_for(NORWAY)
    )

    assert answer.status_code == 409
    assert answer.json()["rule"] == "proposal-withdrawn"


async def test_a_declined_window_is_not_proposed_again(api: Api) -> None:
    request, found = await two_donors_one_request(api)
    sweden = next(p for p in found if p["donor"] == "sweden")

    declined = await api.client.post(
        f"/v1/proposals/{sweden['id']}/decline",
        headers=api.headers_for(SWEDEN),
        json={"reason": "outside our priorities"},
    )
    await reallocate(api)
    after = await proposals(api, f"/v1/requests/{request.request_id}/proposals?status=proposed")

    assert declined.json()["status"] == "declined"
    assert [p["donor"] for p in after] == ["norway"]


async def test_only_the_secretariat_reallocates(api: Api) -> None:
    answer = await api.client.post("/v1/allocations", headers=api.headers_for(OPERATOR))

    assert answer.status_code == 403
    assert answer.json()["type"] == "urn:clearinghouse:problem:forbidden"


async def test_unmatched_requests_say_why_nothing_fits(api: Api) -> None:
    fits = request_details()
    wrong_area = request_details(state="KHM", areas=["victim-assistance"])
    await seed(api, [fits, wrong_area], [source()])
    await reallocate(api)

    answer = await api.client.get("/v1/unmatched", headers=api.headers_for(OPERATOR))
    khm_view = await api.client.get("/v1/unmatched", headers=api.headers_for(LAO))

    assert [(u["request_id"], u["reason"]) for u in answer.json()] == [
        (str(wrong_area.request_id), "thematic-area")
    ]
    assert answer.json()[0]["windows_stopped_by"] == {"thematic-area": 1}
    assert [(m["rule"], m["detail"]) for m in answer.json()[0]["nearest"]] == [
        ("thematic-area", "supports none of victim-assistance (CCM)")
    ]
    assert khm_view.json() == []


async def test_a_draft_on_its_way_queues_no_run_and_its_publication_does(api: Api) -> None:
    submitted = request_details(status="submitted", version=2)
    published = submitted.model_copy(update={"status": "published", "version": 4})

    queued = []
    for version in (submitted, published):
        async with api.resources.unit_of_work() as uow:
            await commands.request_changed(uow, version, NOW)
        async with api.resources.sessions.begin() as session:
            queued.append(await AllocationQueue(session).take())

    assert queued == [{}, {"request": {submitted.request_id}}]


async def test_a_request_the_allocator_has_not_considered_yet_is_pending(api: Api) -> None:
    waiting = request_details(state="KHM", areas=["victim-assistance"])
    await seed(api, [waiting], [source()])
    async with api.resources.sessions.begin() as session:
        await AllocationQueue(session).add("request", waiting.request_id)

    answer = await api.client.get("/v1/unmatched", headers=api.headers_for(OPERATOR))

    assert [(u["request_id"], u["reason"], u["nearest"]) for u in answer.json()] == [
        (str(waiting.request_id), "pending", [])
    ]
