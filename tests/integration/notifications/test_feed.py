"""Events of every service become notifications for the right audiences, read within scope."""

from __future__ import annotations

from collections import defaultdict
from typing import Any
from uuid import uuid4

from shared.events import requests as req
from shared.events.matching import (
    Coalition,
    CoalitionMember,
    CoalitionProposed,
    MatchDeclined,
    MatchProposed,
    MatchWithdrawn,
)
from shared.topics import Stream
from tests.factories import envelope, match, request_event
from tests.integration.notifications.conftest import (
    BALKANS,
    EVERYONE,
    KHM,
    LAO,
    NORWAY,
    OPERATOR,
    PER,
    SECRETARIAT,
    SOUTH_EAST_ASIA,
    SWEDEN,
    deliver,
    feed,
)
from tests.service_api import Api

REQUESTS_SOURCE = "/clearinghouse/requests"


def _by_audience(items: list[dict[str, Any]]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = defaultdict(set)
    for item in items:
        found[item["audience"]].add(item["type"])
    return dict(found)


async def test_a_submission_is_told_to_its_state_centre_and_operators_only(service: Api) -> None:
    submitted = request_event(req.RequestSubmitted, "LAO", "south-eastern-asia")
    event = envelope(submitted, str(submitted.request.request_id), REQUESTS_SOURCE)
    await deliver(service, Stream.REQUESTS, event, event)  # redelivered: handled once

    everything = await feed(service, OPERATOR)
    assert sorted((i["audience"], i["severity"]) for i in everything) == [
        ("national:LAO", "info"),
        ("operator", "info"),
        ("regional:south-eastern-asia", "warning"),  # the centre has to review it
    ]
    seen = {p: await feed(service, p) for p in EVERYONE}
    assert [i["audience"] for i in seen[LAO]] == ["national:LAO"]
    assert sorted(i["audience"] for i in seen[SOUTH_EAST_ASIA]) == [
        "national:LAO",
        "regional:south-eastern-asia",
    ]
    assert seen[KHM] == seen[BALKANS] == seen[NORWAY] == seen[PER] == []
    assert len(seen[SECRETARIAT]) == 3  # sees everything, though none is addressed to it


async def test_tiers_decide_when_the_secretariat_hears_of_a_request(service: Api) -> None:
    lao_id, peru_id = uuid4(), uuid4()
    lao = [
        request_event(req.RequestSubmitted, request_id=lao_id),
        request_event(
            req.RequestEndorsed,
            status="endorsed",
            from_status="submitted",
            version=3,
            request_id=lao_id,
        ),
    ]
    peru = request_event(req.RequestSubmitted, "PER", None, request_id=peru_id)
    await deliver(
        service,
        Stream.REQUESTS,
        *(envelope(e, str(lao_id), REQUESTS_SOURCE) for e in lao),
        envelope(peru, str(peru_id), REQUESTS_SOURCE),
    )

    secretariat = await feed(service, SECRETARIAT, audience="secretariat")
    assert sorted((i["type"], i["state"], i["severity"]) for i in secretariat) == [
        ("request.endorsed", "LAO", "warning"),  # to publish
        ("request.submitted", "PER", "warning"),  # no centre: the secretariat reviews it
    ]


async def test_a_proposal_asks_its_donor_and_informs_the_others(service: Api) -> None:
    submitted = request_event(req.RequestSubmitted, "LAO")
    request_id = submitted.request.request_id
    proposal = MatchProposed(match=match(request_id), score=0.82, explanation={})
    await deliver(service, Stream.REQUESTS, envelope(submitted, str(request_id), REQUESTS_SOURCE))
    await deliver(service, Stream.MATCHES, envelope(proposal, str(request_id), "/matching"))

    proposals = await feed(service, OPERATOR, type="match.proposed")
    assert _by_audience(proposals) == {
        audience: {"match.proposed"}
        for audience in (
            "donor:norway",
            "national:LAO",
            "regional:south-eastern-asia",
            "secretariat",
            "operator",
        )
    }
    [for_norway] = await feed(service, NORWAY)
    assert for_norway["severity"] == "warning"
    assert "Survey and clearance" in for_norway["summary"]  # the title, from the read model
    assert await feed(service, SWEDEN) == []


async def test_a_focal_point_is_asked_about_its_own_states_offer(service: Api) -> None:
    """Cambodia's focal point answers for Cambodia's sources: it hears of their proposals, as a
    donor does, beside its own state's notifications; other states do not."""
    submitted = request_event(req.RequestSubmitted, "LAO")
    request_id = submitted.request.request_id
    proposal = MatchProposed(match=match(request_id, donor="cambodia"), score=0.7, explanation={})
    await deliver(service, Stream.REQUESTS, envelope(submitted, str(request_id), REQUESTS_SOURCE))
    await deliver(service, Stream.MATCHES, envelope(proposal, str(request_id), "/matching"))

    cambodia = await feed(service, KHM, type="match.proposed")
    asked = await feed(service, KHM, audience="donor:cambodia")
    by_peru = await service.client.get(
        "/v1/feed", params={"audience": "donor:cambodia"}, headers=service.headers_for(PER)
    )

    assert [(i["audience"], i["severity"]) for i in cambodia] == [("donor:cambodia", "warning")]
    assert [i["type"] for i in asked] == ["match.proposed"]
    assert by_peru.status_code == 403


async def test_filters_combine_and_pages_follow_the_cursor(service: Api) -> None:
    events = [request_event(req.RequestSubmitted, "KHM", title=f"Request {n}") for n in range(5)]
    returned = request_event(
        req.RequestReturned,
        "LAO",
        status="returned",
        from_status="submitted",
        version=3,
        reason="evidence missing",
    )
    await deliver(
        service,
        Stream.REQUESTS,
        *(envelope(e, str(e.request.request_id), REQUESTS_SOURCE) for e in [*events, returned]),
    )

    warnings = await feed(service, OPERATOR, severity="warning", state="LAO")
    assert [(i["type"], i["audience"]) for i in warnings] == [("request.returned", "national:LAO")]
    pages, cursor = [], None
    while True:
        params = {"audience": "national:KHM", "limit": 2, **({"cursor": cursor} if cursor else {})}
        page = await service.client.get(
            "/v1/feed", params=params, headers=service.headers_for(OPERATOR)
        )
        pages.append([i["id"] for i in page.json()["items"]])
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    ids = [i for p in pages for i in p]
    assert [len(p) for p in pages] == [2, 2, 1]
    assert ids == sorted(ids, reverse=True)
    assert len(set(ids)) == 5


async def test_bad_filters_are_refused_naming_the_field(service: Api) -> None:
    for params, field in [
        ({"type": "request.teleported"}, "query.type"),
        ({"severity": "apocalyptic"}, "query.severity"),
        ({"state": "lao"}, "query.state"),
        ({"since": "yesterday"}, "query.since"),
        ({"since": "2026-11-23T09:00:00"}, "query.since"),
        ({"cursor": "not-a-cursor"}, "query.cursor"),
        ({"limit": 0}, "query.limit"),
    ]:
        response = await service.client.get(
            "/v1/feed", params=params, headers=service.headers_for(OPERATOR)
        )
        assert response.status_code == 422, (params, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        fields = [problem.get("field")] + [e["field"] for e in problem.get("errors", [])]
        assert field in fields, (params, problem)


async def test_a_caller_cannot_ask_for_another_audience(service: Api) -> None:
    response = await service.client.get(
        "/v1/feed", params={"audience": "national:KHM"}, headers=service.headers_for(LAO)
    )
    unauthenticated = await service.client.get("/v1/feed")
    assert response.status_code == 403
    assert response.json()["type"] == "urn:clearinghouse:problem:forbidden"
    assert unauthenticated.status_code == 401


async def test_the_overview_counts_a_request_with_standing_proposals_as_proposed(
    service: Api,
) -> None:
    published = request_event(req.RequestPublished, "LAO", status="published", version=4)
    request_id = published.request.request_id
    first, second = match(request_id), match(request_id)
    proposals = [MatchProposed(match=m, score=0.5, explanation={}) for m in (first, second)]
    await deliver(service, Stream.REQUESTS, envelope(published, str(request_id), REQUESTS_SOURCE))
    await deliver(
        service, Stream.MATCHES, *(envelope(p, str(request_id), "/matching") for p in proposals)
    )
    proposed = await totals(service)
    await deliver(
        service,
        Stream.MATCHES,
        envelope(MatchWithdrawn(match=first, reason="capacity taken"), str(request_id), "/m"),
        envelope(MatchDeclined(match=second, declined_by="donor:norway"), str(request_id), "/m"),
    )

    answered = await totals(service)

    assert (proposed["proposed"], proposed["unmatched"]) == (1, 0)
    assert (answered["proposed"], answered["unmatched"]) == (0, 1)


async def totals(service: Api) -> dict[str, int]:
    answer = await service.client.get("/v1/overview", headers=service.headers_for(OPERATOR))
    assert answer.status_code == 200, answer.text
    found: dict[str, int] = answer.json()["total"]
    return found


async def test_a_coalition_event_is_in_the_operators_feed_and_its_members(service: Api) -> None:
    coalition = Coalition(
        coalition_id=uuid4(),
        version=1,
        state="MNE",
        regional_centre="western-balkans",
        convention="CCM",
        areas=["survey-and-clearance"],
        title="Country coalition for Montenegro",
        status="active",
        lead="norway",
        members=[CoalitionMember(party="norway", kind="state")],
    )
    proposed = CoalitionProposed(coalition=coalition, actor="secretariat")
    await deliver(
        service, Stream.MATCHES, envelope(proposed, str(coalition.coalition_id), "/matching")
    )

    seen = {p: await feed(service, p) for p in EVERYONE}
    told = {
        p.label for p, items in seen.items() if any(i["type"] == proposed.event_type for i in items)
    }
    assert told == {
        "national:MNE",
        "regional:western-balkans",
        "secretariat",
        "operator",
        "donor:norway",
    }
    (item,) = [i for i in seen[OPERATOR] if i["audience"] == "operator"]
    assert item["summary"] == "Coalition for Montenegro (CCM): proposed by secretariat"
