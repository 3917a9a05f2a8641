"""One request's whole journey across the four services, each its own process, on the real broker
and database: submitted by a state, endorsed by its regional centre (which follows it on its own
region's topic), published, matched with an explained proposal, accepted by the donor, reserved
by the inventory, and funded; the operators' feed, the webhooks and the alerts tell each step to
those who should hear of it, and nothing to anyone else."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from shared.events.inventory import FundsReserved
from shared.events.matching import MatchAccepted, MatchProposed
from shared.events.requests import (
    RequestEndorsed,
    RequestFunded,
    RequestPublished,
    RequestSubmitted,
)
from tests.e2e.story import (
    CAST,
    CENTRE,
    OTHER_CENTRE,
    STATE,
    Clients,
    Subscription,
    clients,
    hooked,
    subscribe,
    system,
)
from tests.factories import request_body
from tests.integration.notifications.receiver import Receiver, receiving
from tests.inventory_factories import source_body, window_body
from tests.polling import eventually
from tests.system import Environment, running

ASKED = "400000.00"
JOURNEY = {"request.submitted", "request.endorsed", "request.published", "match.proposed"} | {
    "match.accepted",
    "funds.reserved",
    "request.funded",
}


async def test_a_request_travels_from_the_state_to_funded(environment: Environment) -> None:
    processes = system(environment)
    with running(*processes.values()):
        async with (
            clients(environment, processes) as cast,
            Subscription(environment, CENTRE) as centre,
            Subscription(environment, OTHER_CENTRE) as other_centre,
            receiving(Receiver()) as centre_hook,
            receiving(Receiver()) as other_hook,
        ):
            await subscribe(cast, "centre", centre_hook)
            await subscribe(cast, "other centre", other_hook)
            source = await register_source(cast)
            request_id = await submit_request(cast)

            submitted = await centre.wait_for(RequestSubmitted.cloudevent_type(), request_id)
            await step(cast, "requests", f"/v1/requests/{request_id}/endorse", "centre", {})
            await step(cast, "requests", f"/v1/requests/{request_id}/publish", "secretariat")
            alert = await eventually(lambda: alert_about(cast, request_id), seconds=60)

            proposal = await proposed(cast, request_id)
            await step(cast, "matching", f"/v1/proposals/{proposal['id']}/accept", "donor")
            funded = await eventually(lambda: status_is(cast, request_id, "funded"), seconds=90)
            ledger = await cast["inventory"].get(
                f"/v1/ledger/requests/{request_id}", headers=cast.as_("secretariat")
            )
            coalition = await cast["matching"].get(
                f"/v1/requests/{request_id}/coalition", headers=cast.as_("state")
            )
            await centre.wait_for(RequestFunded.cloudevent_type(), request_id)
            await eventually(lambda: hooked(centre_hook) >= JOURNEY, seconds=60)
            cleared = await eventually(lambda: no_alert_about(cast, request_id), seconds=60)
            feeds = {who: await feed_about(cast, who, request_id) for who in cast.keys}
            await other_centre.poll()

    assert submitted.payload.request.state == STATE
    assert proposal["source_id"] == source["id"]
    assert Decimal(proposal["amount"]) == Decimal(ASKED)
    assert {"rules", "criteria"} <= explained(proposal)
    assert funded["status"] == "funded"
    assert ledger.status_code == 200, ledger.text
    assert reserved_in(ledger.json()) == Decimal(ASKED)
    assert coalition.json()["lead_donor"] == "norway"
    assert coalition.json()["reserved"] == ASKED
    seen = centre.types_about(request_id)
    for event in (RequestEndorsed, RequestPublished, MatchProposed, MatchAccepted, FundsReserved):
        assert event.cloudevent_type() in seen, (event, seen)
    assert other_centre.types_about(request_id) == []

    # The operators' feed, the webhooks and the alerts: the right thing to the right audience.
    assert JOURNEY | {"alert.deadline-near"} <= set(feeds["operator"])
    assert set(feeds["state"]) >= JOURNEY
    assert set(feeds["centre"]) >= JOURNEY
    assert feeds["centre"]["request.submitted"] == "warning"  # the centre has to review it
    assert feeds["secretariat"]["request.endorsed"] == "warning"  # and then publish it
    assert "request.submitted" not in feeds["secretariat"]  # a centre covers the state
    assert feeds["donor"]["match.proposed"] == "warning"  # the donor has to answer
    assert "request.submitted" not in feeds["donor"]
    assert feeds["other state"] == feeds["other centre"] == feeds["other donor"] == {}
    assert alert["type"] == "alert.deadline-near"
    assert cleared
    assert hooked(centre_hook) >= JOURNEY
    assert all(all(checks) for _, checks in centre_hook.verified)
    assert len(centre_hook.handled) == sum(centre_hook.attempts.values())  # no repeats needed
    assert other_hook.attempts == {}


async def feed_about(cast: Clients, who: str, request_id: str) -> dict[str, str]:
    """What `who` was told about the request, as its own audience (a centre also sees what its
    states were told): each notification type and its severity; for those who should hear
    nothing, their whole feed."""
    answer = await cast["notifications"].get(
        "/v1/feed", params={"limit": 500}, headers=cast.as_(who)
    )
    assert answer.status_code == 200, answer.text
    items = answer.json()["items"]
    if who.startswith("other"):
        return {item["type"]: item["severity"] for item in items}
    own = [i for i in items if i["audience"] == CAST[who].label and i["request_id"] == request_id]
    return {item["type"]: item["severity"] for item in own}


async def alert_about(cast: Clients, request_id: str) -> dict[str, Any] | None:
    answer = await cast["notifications"].get("/v1/alerts", headers=cast.as_("state"))
    alerts = [a for a in answer.json() if a["request_id"] == request_id]
    return alerts[0] if alerts else None


async def no_alert_about(cast: Clients, request_id: str) -> bool:
    return await alert_about(cast, request_id) is None


async def register_source(cast: Clients) -> dict[str, Any]:
    body = source_body(windows=[window_body("1000000.00")])
    created = await cast["inventory"].post(
        "/v1/sources", json=body, headers=cast.as_("donor", idempotency_key="norway-source")
    )
    assert created.status_code == 201, created.text
    source: dict[str, Any] = created.json()
    return source


async def submit_request(cast: Clients) -> str:
    deadline = date.today() + timedelta(days=40)  # near enough to be alerted until funded
    body = request_body(
        STATE, amount={"value": ASKED, "currency": "USD"}, deadline=deadline.isoformat()
    )
    created = await cast["requests"].post(
        "/v1/requests", json=body, headers=cast.as_("state", idempotency_key="lao-clearance")
    )
    assert created.status_code == 201, created.text
    request_id: str = created.json()["id"]
    await step(cast, "requests", f"/v1/requests/{request_id}/submit", "state")
    return request_id


async def step(
    cast: Clients, service: str, path: str, who: str, body: dict[str, str] | None = None
) -> dict[str, Any]:
    answer = await cast[service].post(path, json=body, headers=cast.as_(who))
    assert answer.status_code == 200, (path, answer.text)
    result: dict[str, Any] = answer.json()
    return result


async def proposed(cast: Clients, request_id: str) -> dict[str, Any]:
    async def standing() -> dict[str, Any] | None:
        answer = await cast["matching"].get(
            f"/v1/requests/{request_id}/proposals", headers=cast.as_("donor")
        )
        found: list[dict[str, Any]] = answer.json() if answer.status_code == 200 else []
        return found[0] if found else None

    return await eventually(standing, seconds=90)


async def status_is(cast: Clients, request_id: str, status: str) -> dict[str, Any] | None:
    answer = await cast["requests"].get(f"/v1/requests/{request_id}", headers=cast.as_("state"))
    request: dict[str, Any] = answer.json()
    return request if request["status"] == status else None


def explained(proposal: dict[str, Any]) -> set[str]:
    explanation = proposal["explanation"]
    assert isinstance(explanation, dict)
    return set(explanation)


def reserved_in(ledger: dict[str, list[dict[str, str]]]) -> Decimal:
    return sum((Decimal(line["reserved"]) for line in ledger["balances"]), Decimal(0))
