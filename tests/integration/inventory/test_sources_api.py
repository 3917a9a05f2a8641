"""Sources through the HTTP API: registration, versions, status, and the search a state makes."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from services.inventory.adapters.repository import SourceRepository
from services.inventory.adapters.search import EligibleState, SourceFilter
from shared.eligibility import Eligibility, is_eligible
from shared.geography import countries
from tests.database import fetch
from tests.integration.inventory.conftest import NORWAY, OPERATOR, SECRETARIAT
from tests.integration.inventory.flows import get, record, register
from tests.inventory_factories import source_body, window_body
from tests.service_api import Api
from tests.system import Environment

TODAY = date.today()


async def test_a_source_is_registered_read_updated_and_keeps_its_history(api: Api) -> None:
    created = await api.client.post(
        "/v1/sources",
        json=source_body(),
        headers={**api.headers_for(NORWAY), "Idempotency-Key": "norway-1"},
    )
    source = created.json()
    updated = await api.client.put(
        f"/v1/sources/{source['id']}",
        json=source_body(
            name="Norway: mine action 2027",
            windows=[{**window_body(capacity="2000000.00"), "id": source["windows"][0]["id"]}],
        ),
        headers={**api.headers_for(NORWAY), "If-Match": created.headers["etag"]},
    )
    history = await get(api, f"/v1/sources/{source['id']}/history", OPERATOR)
    read = await api.client.get(f"/v1/sources/{source['id']}", headers=api.headers_for(OPERATOR))

    assert created.status_code == 201, created.text
    assert created.headers["location"] == f"/v1/sources/{source['id']}"
    assert (source["version"], source["status"], source["donor"]) == (1, "active", "norway")
    assert updated.status_code == 200, updated.text
    assert updated.headers["etag"] == '"2"'
    assert read.json()["windows"][0]["capacity"] == "2000000.00"
    assert read.json()["windows"][0]["id"] == source["windows"][0]["id"]
    assert [(v["version"], v["change"], v["actor"]) for v in history] == [
        (1, "registered", "donor:norway"),
        (2, "updated", "donor:norway"),
    ]
    assert history[0]["document"]["profile"]["name"] == "Norway: mine action"
    assert history[1]["document"]["windows"][0]["capacity"] == "2000000.00"


async def test_a_repeated_post_with_its_idempotency_key_registers_once(
    api: Api, environment: Environment
) -> None:
    headers = {**api.headers_for(NORWAY), "Idempotency-Key": "norway-source"}
    first = await api.client.post("/v1/sources", json=source_body(), headers=headers)
    again = await api.client.post("/v1/sources", json=source_body(), headers=headers)
    other = await api.client.post("/v1/sources", json=source_body(name="Other"), headers=headers)

    rows = await fetch(environment.database_url, "SELECT count(*) AS n FROM inventory.sources")
    assert (first.status_code, again.status_code, other.status_code) == (201, 201, 422)
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert rows[0]["n"] == 1


async def test_pause_resume_and_close_change_the_status_and_the_version(api: Api) -> None:
    source = await register(api)

    async def act(action: str, status: int = 200) -> dict[str, Any]:
        response = await api.client.post(
            f"/v1/sources/{source['id']}/{action}", headers=api.headers_for(SECRETARIAT)
        )
        assert response.status_code == status, response.text
        body: dict[str, Any] = response.json()
        return body

    paused = await act("pause")
    refused = await act("pause", 409)
    resumed = await act("resume")
    closed = await act("close")

    assert (paused["status"], resumed["status"], closed["status"]) == ("paused", "active", "closed")
    assert closed["version"] == 4
    assert refused["rule"] == "not-active"


async def test_the_search_answers_what_a_requesting_state_asks(api: Api) -> None:
    soon = (TODAY + timedelta(days=20)).isoformat()
    norway = await register(api)  # CCM clearance and victim assistance, APMBC, developing states
    gef = await register(
        api,
        SECRETARIAT,
        kind="global-fund",
        name="Global Environment Facility",
        donor=None,
        home_country=None,
        supports=[{"convention": "Stockholm"}],
        assistance_types=["financial"],
        eligibility={"rule": "developing"},
        windows=[window_body("50000000.00", opens=soon)],
        min_grant=None,
        max_grant=None,
        requirements={"cofinancing_percent": "20.00", "proposal_languages": ["en"]},
    )
    asean = await register(
        api,
        SECRETARIAT,
        kind="development-bank",
        name="Regional bank window for south-eastern Asia",
        donor=None,
        supports=[{"convention": "CCM", "areas": ["victim-assistance"]}],
        eligibility={"rule": "regions", "regions": ["south-eastern-asia"]},
        regional_focus=["south-eastern-asia"],
        windows=[window_body("300000.00")],
        min_grant=None,
        max_grant=None,
    )
    await record(api, asean, "commitments", "250000.00", SECRETARIAT)

    async def names(**params: Any) -> list[str]:
        page = await get(api, "/v1/sources", OPERATOR, **params)
        return sorted(item["name"] for item in page["items"])

    everything = sorted(s["name"] for s in (norway, gef, asean))
    assert await names() == everything
    assert await names(convention="CCM", area="victim-assistance") == [
        norway["name"],
        asean["name"],
    ]
    assert await names(area="mine-clearance") == [norway["name"]]
    assert await names(eligible_for="THA") == everything
    assert await names(eligible_for="BIH") == [gef["name"], norway["name"]]
    assert await names(eligible_for="NOR") == []
    assert await names(open_now=True) == [norway["name"], asean["name"]]
    assert await names(open_before=soon) == everything
    assert await names(amount="100000", currency="USD") == [gef["name"], norway["name"]]
    assert await names(region="south-eastern-asia") == [asean["name"]]
    assert await names(kind="global-fund", assistance_type="financial") == [gef["name"]]
    assert await names(max_cofinancing="10") == [norway["name"], asean["name"]]
    assert await names(language="fr") == [norway["name"], asean["name"]]


async def test_closed_sources_are_found_only_when_asked_for_and_pages_do_not_overlap(
    api: Api,
) -> None:
    for number in range(5):
        await register(api, name=f"Source {number}")
    closing = await register(api, name="Closed source")
    await api.client.post(f"/v1/sources/{closing['id']}/close", headers=api.headers_for(NORWAY))

    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = await get(api, "/v1/sources", OPERATOR, **params)
        seen += [item["name"] for item in page["items"]]
        if (cursor := page["next_cursor"]) is None:
            break
    closed = await get(api, "/v1/sources", OPERATOR, status="closed")

    assert sorted(seen) == [f"Source {n}" for n in range(5)]
    assert [item["name"] for item in closed["items"]] == ["Closed source"]


async def test_the_eligibility_search_agrees_with_the_shared_rule_for_every_state(api: Api) -> None:
    rules = [
        {"rule": "all"},
        {"rule": "states", "states": ["LAO", "PER"]},
        {"rule": "regions", "regions": ["western-balkans"]},
        {"rule": "income-groups", "income_groups": ["Low", "Upper middle"]},
        {"rule": "developing"},
    ]
    for rule in rules:
        await register(api, SECRETARIAT, name=f"Eligibility {rule['rule']}", eligibility=rule)

    network = api.resources.network
    async with api.resources.unit_of_work() as uow:
        repository = SourceRepository(uow)
        for state in countries():
            where = SourceFilter(eligible=EligibleState.of(state, network))
            found = {s.profile.eligibility.rule.value for s in await repository.all_matching(where)}
            expected = {
                r["rule"]
                for r in rules
                if is_eligible(Eligibility.model_validate(r), state, network)
            }
            assert found == expected, state
