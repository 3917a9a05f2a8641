"""Every proposal has a party that answers it: a source's donor with its key, or the secretariat
for a source registered without a donor; a source whose donor holds no key is never proposed, and
a key issued or revoked changes that at once."""

from __future__ import annotations

from decimal import Decimal

from services.matching.settings import MatchingSettings
from shared.auth import issue_key, revoke_key
from shared.events.requests import Amount
from shared.principal import Principal
from tests.database import fetch
from tests.integration.matching.conftest import NORWAY, OPERATOR, SECRETARIAT, eventually, seed
from tests.integration.matching.test_api import proposals, reallocate
from tests.matching_factories import request_details, source, window
from tests.service_api import Api
from tests.system import Environment


def without_donor(name: str) -> object:
    return source(window("800000.00"), name=name).model_copy(update={"donor": None})


async def test_the_secretariat_answers_for_a_source_registered_without_a_donor(
    api: Api, environment: Environment
) -> None:
    request = request_details(amount=Amount(value=Decimal("500000.00"), currency="USD"))
    await seed(api, [request], [without_donor("Global Environment Facility")])  # type: ignore[list-item]
    await reallocate(api)
    (proposal,) = await proposals(api, f"/v1/requests/{request.request_id}/proposals")
    accept = f"/v1/proposals/{proposal['id']}/accept"

    by_a_donor = await api.client.post(accept, headers=api.headers_for(NORWAY))
    by_the_secretariat = await api.client.post(accept, headers=api.headers_for(SECRETARIAT))

    assert proposal["donor"] is None
    assert by_a_donor.status_code == 404  # a donor does not see another's proposals
    assert by_the_secretariat.status_code == 200, by_the_secretariat.text
    assert by_the_secretariat.json()["status"] == "accepted"
    rows = await fetch(
        environment.database_url,
        "SELECT DISTINCT event_id, "
        "convert_from(value, 'UTF8')::jsonb -> 'data' ->> 'accepted_by' AS actor "
        "FROM matching.outbox WHERE event_type LIKE '%match.accepted%'",
    )
    assert [r["actor"] for r in rows] == ["secretariat"]


async def test_a_source_whose_donor_holds_no_key_is_never_proposed(api: Api) -> None:
    request = request_details(amount=Amount(value=Decimal("500000.00"), currency="USD"))
    keyless = source(window("900000.00"), donor="atlantis")
    await seed(api, [request], [keyless])

    plan = await reallocate(api)
    unmatched = await api.client.get("/v1/unmatched", headers=api.headers_for(OPERATOR))

    assert plan["proposed"] == 0
    assert [u["request_id"] for u in unmatched.json()] == [str(request.request_id)]
    assert unmatched.json()[0]["reason"] == "no-sources"


async def test_a_donor_key_issued_or_revoked_reallocates_its_sources_at_once(
    live_api: Api, environment: Environment
) -> None:
    """No full re-allocation is asked for: the key's arrival over the access topic queues the
    donor's sources, and the allocator proposes them; its revocation withdraws the proposal."""
    request = request_details(amount=Amount(value=Decimal("500000.00"), currency="USD"))
    await seed(live_api, [request], [source(window("900000.00"), donor="denmark")])
    settings = environment.settings(MatchingSettings)
    path = f"/v1/requests/{request.request_id}/proposals"

    key = await issue_key(settings, Principal.for_donor("denmark"), "a new donor's first key")
    proposed = await eventually(lambda: proposals(live_api, path), bool)
    await revoke_key(settings, key.split("_")[1])
    withdrawn = await eventually(
        lambda: proposals(live_api, path), lambda found: found[0]["status"] == "withdrawn"
    )

    assert [(p["donor"], p["status"]) for p in proposed] == [("denmark", "proposed")]
    assert [p["id"] for p in withdrawn] == [proposed[0]["id"]]
