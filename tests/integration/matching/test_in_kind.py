"""Money and help in kind kept apart by allocation: in-kind capacity is never proposed as money,
and a request with no amount of money gets no proposal of 0.00 but is listed unmatched, with the
reason `assistance-kind` saying what is missing."""

from __future__ import annotations

from typing import Any

from tests.integration.matching.conftest import OPERATOR, seed
from tests.integration.matching.test_api import proposals, reallocate
from tests.matching_factories import experts_only, in_kind_window, request_details, source, window
from tests.service_api import Api


async def _unmatched(api: Api) -> list[dict[str, Any]]:
    answer = await api.client.get("/v1/unmatched", headers=api.headers_for(OPERATOR))
    assert answer.status_code == 200, answer.text
    found: list[dict[str, Any]] = answer.json()
    return found


async def test_a_money_request_is_never_proposed_an_in_kind_window(api: Api) -> None:
    request = request_details()
    experts = source(in_kind_window("5000"), donor="sweden")
    both = source(in_kind_window("300"), window("400000.00"))
    await seed(api, [request], [experts, both])
    await reallocate(api)

    found = await proposals(api, f"/v1/requests/{request.request_id}/proposals")

    money_window = both.windows[1].window_id
    assert [(p["window_id"], p["amount"], p["currency"]) for p in found] == [
        (str(money_window), "400000.00", "USD")
    ]


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
    assert "offers expert-days in kind" in nearest["detail"]


async def test_a_request_with_no_amount_gets_no_proposal_and_says_what_is_missing(
    api: Api,
) -> None:
    request = experts_only()
    await seed(api, [request], [source(window("1000000.00")), source(in_kind_window("500"))])
    plan = await reallocate(api)

    found = await proposals(api, f"/v1/requests/{request.request_id}/proposals")
    [unmatched] = await _unmatched(api)

    assert found == []
    assert plan["proposed"] == 0, plan
    assert unmatched["reason"] == "assistance-kind"
    assert unmatched["windows_stopped_by"] == {"assistance-kind": 2}
    assert {m["detail"] for m in unmatched["nearest"]} == {
        "asks only in-kind help (expert-days); in-kind proposals are not made yet"
    }
