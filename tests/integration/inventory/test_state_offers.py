"""A state offers help (seed 003, Oslo Action Plan action 47): its national focal point registers
and keeps its own state's sources, those naming its state's party as their donor, and nobody
else's."""

from __future__ import annotations

from typing import Any

from shared.principal import Principal
from tests.database import fetch
from tests.integration.inventory.conftest import CAMBODIA, LAO, OPERATOR, THAILAND
from tests.inventory_factories import in_kind_window_body, source_body
from tests.service_api import Api


def offer(**changes: Any) -> dict[str, Any]:
    """Cambodia's offer of mine action expertise, South-South, in expert-days."""
    values: dict[str, Any] = {
        "name": "Cambodia: mine action expertise",
        "donor": None,
        "home_country": "KHM",
        "assistance_types": ["technical", "expertise-and-training"],
        "windows": [in_kind_window_body("400")],
        "min_grant": None,
        "max_grant": None,
    }
    return source_body(**{**values, **changes})


async def post(api: Api, who: Principal, body: dict[str, Any]) -> Any:
    return await api.client.post("/v1/sources", json=body, headers=api.headers_for(who))


async def sources_stored(api: Api) -> int:
    rows = await fetch(
        api.resources.settings.database_url, "SELECT count(*) AS n FROM inventory.sources"
    )
    return int(rows[0]["n"])


async def test_a_focal_point_registers_its_own_states_offer(api: Api) -> None:
    stated = await post(api, CAMBODIA, offer())
    named = await post(api, CAMBODIA, offer(donor="cambodia", name="Cambodia: training"))
    listed = await api.client.get(
        "/v1/sources", params={"donor": "cambodia"}, headers=api.headers_for(CAMBODIA)
    )
    unanswered = await api.client.get(
        "/v1/reports/unanswered-sources", headers=api.headers_for(OPERATOR)
    )

    assert stated.status_code == named.status_code == 201, (stated.text, named.text)
    assert stated.json()["donor"] == named.json()["donor"] == "cambodia"
    assert {s["name"] for s in listed.json()["items"]} == {
        "Cambodia: mine action expertise",
        "Cambodia: training",
    }
    assert unanswered.json() == []  # Cambodia's focal point answers them


async def test_another_partys_source_is_refused_naming_the_rule_and_nothing_is_stored(
    api: Api,
) -> None:
    cases = [
        (CAMBODIA, offer(donor="thailand")),  # another state's
        (CAMBODIA, offer(donor="norway")),  # a donor's
        (CAMBODIA, offer(kind="ngo")),  # its own party, but not the state's offer
        (LAO, offer(name="Lao PDR: survey expertise", home_country="LAO")),  # its own
    ]

    answers = [await post(api, who, body) for who, body in cases]

    assert [a.status_code for a in answers] == [403, 403, 403, 201]
    for answer in answers[:3]:
        assert answer.json()["rule"] == "own-state-offers", answer.text
        assert "cambodia" in answer.json()["detail"]
    assert answers[3].json()["donor"] == "lao-people-s-democratic-republic"
    assert await sources_stored(api) == 1


async def test_a_focal_point_manages_its_states_sources_and_no_other_states(api: Api) -> None:
    created = (await post(api, CAMBODIA, offer())).json()
    path = f"/v1/sources/{created['id']}"
    window = {**in_kind_window_body("500"), "id": created["windows"][0]["id"]}
    edit = offer(windows=[window], description="Survey teams and trainers")

    def headers(who: Principal) -> dict[str, str]:
        return {**api.headers_for(who), "If-Match": "*"}

    by_thailand = await api.client.put(path, json=edit, headers=headers(THAILAND))
    paused_by_thailand = await api.client.post(f"{path}/pause", headers=headers(THAILAND))
    edited = await api.client.put(path, json=edit, headers=headers(CAMBODIA))
    paused = await api.client.post(f"{path}/pause", headers=headers(CAMBODIA))
    given_away = await api.client.put(
        path, json={**edit, "donor": "thailand"}, headers=headers(CAMBODIA)
    )
    closed = await api.client.post(f"{path}/close", headers=headers(CAMBODIA))

    assert by_thailand.status_code == paused_by_thailand.status_code == 403
    assert by_thailand.json()["rule"] == "own-state-offers"
    assert edited.status_code == 200, edited.text
    assert edited.json()["windows"][0]["capacity"] == "500"
    assert edited.json()["donor"] == "cambodia"  # kept, though the edit names none
    assert paused.json()["status"] == "paused"
    assert given_away.status_code == 403
    assert closed.json()["status"] == "closed"
