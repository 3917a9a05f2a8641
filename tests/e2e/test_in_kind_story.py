"""Help in kind across the four services, each its own process, on the real broker and database:
a state asks for expert-days and no money; a donor offers expert-days beside money; matching
proposes the days from the days window; the donor accepts; the inventory holds the days in their
unit; the request is funded; the donor turns the reservation into a commitment, a ledger entry in
expert-days. Money is never touched."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from tests.e2e.story import clients, system
from tests.e2e.test_story import proposed, status_is, step
from tests.factories import request_body
from tests.inventory_factories import in_kind_window_body, source_body, window_body
from tests.polling import eventually
from tests.system import Environment, running

DAYS = "60"


async def test_an_in_kind_request_is_funded_in_its_unit(environment: Environment) -> None:
    processes = system(environment)
    with running(*processes.values()):
        async with clients(environment, processes) as cast:
            body = source_body(windows=[window_body("1000000.00"), in_kind_window_body("400")])
            created = await cast["inventory"].post(
                "/v1/sources", json=body, headers=cast.as_("donor", idempotency_key="days-source")
            )
            assert created.status_code == 201, created.text
            money_window, days_window = (w["id"] for w in created.json()["windows"])
            request = request_body(
                amount=None,
                in_kind=[{"unit": "expert-days", "quantity": DAYS, "description": "Surveyors"}],
            )
            posted = await cast["requests"].post(
                "/v1/requests", json=request, headers=cast.as_("state", idempotency_key="days")
            )
            assert posted.status_code == 201, posted.text
            request_id = posted.json()["id"]
            for path, who in (("submit", "state"), ("endorse", "centre")):
                await step(cast, "requests", f"/v1/requests/{request_id}/{path}", who, {})
            await step(cast, "requests", f"/v1/requests/{request_id}/publish", "secretariat")

            proposal = await proposed(cast, request_id)
            await step(cast, "matching", f"/v1/proposals/{proposal['id']}/accept", "donor")
            funded = await eventually(lambda: status_is(cast, request_id, "funded"), seconds=90)
            reservation = await eventually(lambda: held(cast, request_id), seconds=30)
            entry = await cast["inventory"].post(
                f"/v1/reservations/{reservation['id']}/commitment",
                json={"date": date.today().isoformat()},
                headers=cast.as_("donor", idempotency_key="days-commitment"),
            )
            ledger = await cast["inventory"].get(
                f"/v1/ledger/requests/{request_id}", headers=cast.as_("secretariat")
            )
            coalition = await cast["matching"].get(
                f"/v1/requests/{request_id}/coalition", headers=cast.as_("state")
            )

    assert (proposal["window_id"], proposal["unit"], proposal["currency"]) == (
        days_window,
        "expert-days",
        None,
    )
    assert Decimal(proposal["amount"]) == Decimal(DAYS)
    assert {u: Decimal(q) for u, q in funded["reserved_in_kind"].items()} == {
        "expert-days": Decimal(DAYS)
    }
    assert Decimal(funded["reserved_amount"]) == 0
    assert (reservation["unit"], reservation["currency"]) == ("expert-days", None)
    assert entry.status_code == 201, entry.text
    committed = entry.json()
    assert (committed["kind"], committed["unit"], committed["currency"]) == (
        "committed",
        "expert-days",
        None,
    )
    assert Decimal(committed["amount"]) == Decimal(DAYS)
    lines = ledger.json()["balances"]
    assert [(line["window_id"], line["unit"]) for line in lines] == [(days_window, "expert-days")]
    assert Decimal(lines[0]["committed"]) == Decimal(DAYS)
    assert all(line["window_id"] != money_window for line in lines)
    [need] = coalition.json()["in_kind"]
    assert Decimal(need["committed"]) == Decimal(DAYS)
    assert Decimal(need["remaining"]) == 0


async def held(cast: Any, request_id: str) -> dict[str, Any] | None:
    answer = await cast["inventory"].get(
        "/v1/reservations", params={"request_id": request_id}, headers=cast.as_("donor")
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    items = body["items"] if isinstance(body, dict) else body
    found = [r for r in items if r["status"] == "held"]
    return found[0] if found else None
