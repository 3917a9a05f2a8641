"""Money and help in kind kept apart by allocation: money is proposed from money windows, help in
kind from windows of the same unit, in whole units; capacity is never proposed in another kind or
unit, and an unmatched request is told which kind no window gives."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from shared.events.requests import InKindNeed
from tests.integration.matching.conftest import OPERATOR, seed
from tests.integration.matching.test_api import proposals, reallocate
from tests.matching_factories import (
    experts_only,
    in_kind_window,
    request_details,
    source,
    window,
)
from tests.service_api import Api


async def _unmatched(api: Api) -> list[dict[str, Any]]:
    answer = await api.client.get("/v1/unmatched", headers=api.headers_for(OPERATOR))
    assert answer.status_code == 200, answer.text
    found: list[dict[str, Any]] = answer.json()
    return found


def _given(found: list[dict[str, Any]]) -> set[tuple[str, str, str | None, str | None]]:
    return {(p["window_id"], p["amount"], p["currency"], p["unit"]) for p in found}


async def test_a_money_request_is_never_proposed_an_in_kind_window(api: Api) -> None:
    request = request_details()
    experts = source(in_kind_window("5000"), donor="sweden")
    both = source(in_kind_window("300"), window("400000.00"))
    await seed(api, [request], [experts, both])
    await reallocate(api)

    found = await proposals(api, f"/v1/requests/{request.request_id}/proposals")

    money_window = both.windows[1].window_id
    assert _given(found) == {(str(money_window), "400000.00", "USD", None)}


async def test_an_in_kind_request_is_proposed_its_unit_from_an_in_kind_window(api: Api) -> None:
    request = experts_only()  # 120 expert-days, no money
    money = source(window("1000000.00"), donor="sweden")
    experts = source(in_kind_window("500"), in_kind_window("80", unit="training-places"))
    await seed(api, [request], [money, experts])
    plan = await reallocate(api)

    found = await proposals(api, f"/v1/requests/{request.request_id}/proposals")
    coalition = await api.client.get(
        f"/v1/requests/{request.request_id}/coalition", headers=api.headers_for(OPERATOR)
    )

    experts_window = experts.windows[0].window_id
    assert _given(found) == {(str(experts_window), "120.00", None, "expert-days")}
    assert Decimal(plan["covered"]) == 0, plan
    assert {u: Decimal(q) for u, q in plan["covered_in_kind"].items()} == {"expert-days": 120}
    [need] = coalition.json()["in_kind"]
    assert (need["unit"], need["asked"], need["proposed"]) == ("expert-days", "120", "120.00")
    assert await _unmatched(api) == []


async def test_help_in_kind_is_shared_in_whole_units_within_capacity(api: Api) -> None:
    """Two requests of 120 expert-days each and a window of 175: whole days, never more than the
    window holds, and no request left out entirely (the fairness floor)."""
    first, second = experts_only(), experts_only(state="KHM")
    experts = source(in_kind_window("175"))
    await seed(api, [first, second], [experts])
    await reallocate(api)

    given = [
        Decimal(p["amount"])
        for request in (first, second)
        for p in await proposals(api, f"/v1/requests/{request.request_id}/proposals")
    ]

    assert len(given) == 2, given
    assert all(amount > 0 for amount in given), given
    assert all(amount == amount.to_integral_value() for amount in given), given
    assert sum(given) <= 175


async def test_a_request_asking_money_and_help_in_kind_gets_a_proposal_of_each(api: Api) -> None:
    experts = InKindNeed(unit="expert-days", quantity=Decimal(30), description="Survey experts")
    request = request_details(amount={"value": "250000.00", "currency": "USD"}, in_kind=[experts])
    donor = source(window("1000000.00"), in_kind_window("200"))
    await seed(api, [request], [donor])
    await reallocate(api)

    found = await proposals(api, f"/v1/requests/{request.request_id}/proposals")

    money, days = (str(w.window_id) for w in donor.windows)
    assert _given(found) == {
        (money, "250000.00", "USD", None),
        (days, "30.00", None, "expert-days"),
    }


async def test_grant_limits_are_money_and_do_not_bind_help_in_kind(api: Api) -> None:
    """A source with a minimum grant of 500,000 USD still gives 120 expert-days."""
    request = experts_only()
    experts = source(in_kind_window("500"), min_grant=Decimal("500000"))
    await seed(api, [request], [experts])
    await reallocate(api)

    found = await proposals(api, f"/v1/requests/{request.request_id}/proposals")

    assert _given(found) == {(str(experts.windows[0].window_id), "120.00", None, "expert-days")}


async def test_a_money_request_with_only_in_kind_windows_is_unmatched_by_assistance_kind(
    api: Api,
) -> None:
    request = request_details()
    await seed(api, [request], [source(in_kind_window("5000"))])
    await reallocate(api)

    found = await proposals(api, f"/v1/requests/{request.request_id}/proposals")
    [unmatched] = await _unmatched(api)

    assert found == []
    assert (unmatched["request_id"], unmatched["reason"]) == (
        str(request.request_id),
        "assistance-kind",
    )
    [nearest] = unmatched["nearest"]
    assert nearest["detail"] == ("window gives expert-days in kind; the request asks money (USD)")


async def test_an_in_kind_request_with_no_window_of_its_unit_says_which_kind_is_missing(
    api: Api,
) -> None:
    request = experts_only()
    training = source(in_kind_window("500", unit="training-places"))
    await seed(api, [request], [source(window("1000000.00")), training])
    plan = await reallocate(api)

    found = await proposals(api, f"/v1/requests/{request.request_id}/proposals")
    [unmatched] = await _unmatched(api)

    assert found == []
    assert plan["proposed"] == 0, plan
    assert unmatched["reason"] == "assistance-kind"
    assert unmatched["windows_stopped_by"] == {"assistance-kind": 2}
    assert {m["detail"] for m in unmatched["nearest"]} == {
        "window gives money (USD); the request asks expert-days",
        "window gives training-places in kind; the request asks expert-days",
    }
