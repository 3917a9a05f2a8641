"""Steady proposals on the real database and broker: a change below the threshold re-proposes
nothing and tells the donor nothing; a material change is proposed anew with its reason, carried
by `match.withdrawn`; a co-donor dropped from a coalition shows in the coalition view with its
reason and when."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

from shared.events import decode
from shared.events.inventory import SourceDetails, SourceStatus
from shared.events.matching import MatchWithdrawn
from shared.events.requests import Amount, RequestDetails
from shared.topics import Stream
from tests.database import fetch
from tests.integration.matching.conftest import (
    LAO,
    OPERATOR,
    changed,
    eventually,
    publish,
    published,
    seed,
)
from tests.integration.matching.test_api import reallocate
from tests.kafka import read_topic
from tests.matching_factories import request_details, source, window
from tests.service_api import Api
from tests.system import Environment


def usd(value: str) -> Amount:
    return Amount(value=Decimal(value), currency="USD")


def with_available(fund: SourceDetails, available: str, version: int) -> SourceDetails:
    """The source as the inventory tells it again, its window's availability changed."""
    [open_window] = fund.windows
    moved = open_window.model_copy(update={"available": Decimal(available)})
    return fund.model_copy(update={"version": version, "windows": [moved]})


async def proposals(api: Api, request_id: UUID, status: str = "proposed") -> list[Any]:
    answer = await api.client.get(
        f"/v1/requests/{request_id}/proposals",
        params={"status": status},
        headers=api.headers_for(OPERATOR),
    )
    assert answer.status_code == 200, answer.text
    body: list[Any] = answer.json()
    return body


async def told(api: Api, environment: Environment, request_id: UUID) -> list[tuple[str, Any]]:
    """What matching's outbox holds for the global matches topic about the request's matches:
    each event's type and payload, oldest first (what the donors' notifications are made
    from)."""
    rows = await fetch(
        environment.database_url,
        "SELECT value FROM matching.outbox WHERE key = $1 AND topic = $2"
        " AND event_type NOT LIKE '%coverage%' ORDER BY id",
        str(request_id),
        api.resources.topics.global_(Stream.MATCHES),
    )
    envelopes = [decode(row["value"]) for row in rows]
    return [(e.payload.event_type, e.payload) for e in envelopes]


async def settled(api: Api, environment: Environment, fund: SourceDetails) -> None:
    """Matching has taken the source's latest version and the allocator's run has committed."""

    async def seen() -> tuple[int, int]:
        [row] = await fetch(
            environment.database_url,
            "SELECT (SELECT version FROM matching.source_view WHERE source_id = $1) AS version,"
            " (SELECT count(*) FROM matching.allocation_queue) AS queued",
            fund.source_id,
        )
        return row["version"] or 0, row["queued"]

    await eventually(seen, lambda s: s == (fund.version, 0))


async def one_proposal(api: Api) -> tuple[RequestDetails, SourceDetails, Any]:
    """A request for 500,000 and a fund whose one window has 119,999.68: one proposal."""
    request = request_details(amount=usd("500000.00"))
    fund = source(window("119999.68"))
    await seed(api, [request], [fund])
    await reallocate(api)
    [first] = await proposals(api, request.request_id)
    return request, fund, first


async def test_a_change_below_the_threshold_proposes_nothing_and_tells_the_donor_nothing(
    api: Api, environment: Environment
) -> None:
    request, fund, first = await one_proposal(api)
    before = await told(api, environment, request.request_id)

    await seed(api, [], [with_available(fund, "120000.40", version=2)])
    summary = await reallocate(api)

    [standing] = await proposals(api, request.request_id)
    assert (standing["id"], standing["amount"]) == (first["id"], "119999.68")
    assert (summary["proposed"], summary["withdrawn"]) == (0, 0)
    assert await told(api, environment, request.request_id) == before
    assert [kind for kind, _ in before] == ["match.proposed"]


async def test_a_material_change_is_proposed_anew_and_the_withdrawal_says_from_what_to_what(
    api: Api, environment: Environment
) -> None:
    request, fund, first = await one_proposal(api)

    await seed(api, [], [with_available(fund, "200000.00", version=2)])
    await reallocate(api)

    [again] = await proposals(api, request.request_id)
    [withdrawn] = await proposals(api, request.request_id, "withdrawn")
    reason = "amount changed: 119,999.68 to 200,000.00 USD"
    assert (again["amount"], withdrawn["id"], withdrawn["reason"]) == (
        "200000.00",
        first["id"],
        reason,
    )
    events = await told(api, environment, request.request_id)
    assert [kind for kind, _ in events] == ["match.proposed", "match.withdrawn", "match.proposed"]
    assert isinstance(events[1][1], MatchWithdrawn)
    assert events[1][1].reason == reason


async def test_a_dropped_co_donor_shows_in_the_coalition_with_its_reason_and_when(
    api: Api,
) -> None:
    request = request_details(amount=usd("900000.00"))
    norway, sweden = source(window("600000.00")), source(window("300000.00"), donor="sweden")
    await seed(api, [request], [norway, sweden])
    await reallocate(api)
    paused = sweden.model_copy(update={"version": 2, "status": SourceStatus.PAUSED})
    await seed(api, [], [paused])
    await reallocate(api)

    answer = await api.client.get(
        f"/v1/requests/{request.request_id}/coalition", headers=api.headers_for(LAO)
    )

    coalition = answer.json()
    assert answer.status_code == 200, answer.text
    assert [m["donor"] for m in coalition["members"]] == ["norway"]
    [dropped] = coalition["dropped"]
    assert (dropped["donor"], dropped["source_id"], dropped["amount"]) == (
        "sweden",
        str(sweden.source_id),
        "300000.00",
    )
    assert (dropped["status"], dropped["reason"]) == ("withdrawn", "source unavailable")
    assert dropped["at"]


async def test_over_the_broker_a_small_change_tells_nothing_and_a_material_one_tells_why(
    live_api: Api, environment: Environment
) -> None:
    resources = live_api.resources
    topics = resources.topics
    request = request_details(amount=usd("500000.00"))
    fund = source(window("119999.68"))
    sources, key = topics.global_(Stream.SOURCES), str(fund.source_id)
    await publish(resources, sources, changed(fund), key)
    await publish(
        resources, topics.global_(Stream.REQUESTS), published(request), str(request.request_id)
    )
    [first] = await eventually(lambda: proposals(live_api, request.request_id), lambda p: len(p))

    nudged = with_available(fund, "120000.40", version=2)
    await publish(resources, sources, changed(nudged, "updated"), key)
    await settled(live_api, environment, nudged)
    after_nudge = await told(live_api, environment, request.request_id)
    grown = with_available(fund, "200000.00", version=3)
    await publish(resources, sources, changed(grown, "updated"), key)
    [again] = await eventually(
        lambda: proposals(live_api, request.request_id),
        lambda p: len(p) == 1 and p[0]["id"] != first["id"],
    )

    assert [kind for kind, _ in after_nudge] == ["match.proposed"]
    assert again["amount"] == "200000.00"
    withdrawals = await eventually(
        lambda: withdrawals_on_topic(environment, topics.global_(Stream.MATCHES), request),
        lambda w: len(w) > 0,
    )
    assert [w.reason for w in withdrawals] == ["amount changed: 119,999.68 to 200,000.00 USD"]


async def withdrawals_on_topic(
    environment: Environment, topic: str, request: RequestDetails
) -> list[MatchWithdrawn]:
    """The `match.withdrawn` events about the request on the topic so far."""
    records = await read_topic(environment.kafka_bootstrap_servers, topic, 10_000, seconds=2)
    return [
        e.payload
        for e in (decode(r.value, r.key) for r in records)
        if isinstance(e.payload, MatchWithdrawn)
        and e.payload.match.request_id == request.request_id
    ]
