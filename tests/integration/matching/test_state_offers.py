"""A state's own offer of help is answered by its national focal point, as a donor answers its
sources; and a state is never proposed as the source of its own requests."""

from __future__ import annotations

from tests.integration.matching.conftest import KHM, LAO, NORWAY, OPERATOR, seed
from tests.integration.matching.test_api import proposals, reallocate
from tests.matching_factories import request_details, source, window
from tests.service_api import Api


async def test_a_focal_point_sees_and_answers_the_proposals_of_its_states_source(
    api: Api,
) -> None:
    request = request_details()  # Lao PDR's
    cambodias = source(window("900000.00"), donor="cambodia", home_country="KHM")
    await seed(api, [request], [cambodias])
    await reallocate(api)

    own = await proposals(api, "/v1/proposals", KHM)
    of_source = await proposals(api, f"/v1/sources/{cambodias.source_id}/proposals", KHM)
    accept = f"/v1/proposals/{own[0]['id']}/accept"
    by_lao = await api.client.post(accept, headers=api.headers_for(LAO))
    by_norway = await api.client.post(accept, headers=api.headers_for(NORWAY))
    by_cambodia = await api.client.post(accept, headers=api.headers_for(KHM))

    assert [(p["donor"], p["state"]) for p in own] == [("cambodia", "LAO")]
    assert [p["id"] for p in of_source] == [own[0]["id"]]
    assert by_lao.status_code == 403  # the requesting state sees it, and does not answer it
    assert by_norway.status_code == 404  # another donor does not see it
    assert by_cambodia.status_code == 200, by_cambodia.text
    assert by_cambodia.json()["status"] == "accepted"
    assert by_cambodia.json()["decided_by"] == "national:KHM"


async def test_a_state_is_not_proposed_to_fund_itself(api: Api) -> None:
    own_request = request_details(state="KHM")
    cambodias = source(window("900000.00"), donor="cambodia", name="Cambodia: mine action")
    await seed(api, [own_request], [cambodias])

    plan = await reallocate(api)
    unmatched = await api.client.get("/v1/unmatched", headers=api.headers_for(OPERATOR))

    assert plan["proposed"] == 0
    [why] = unmatched.json()
    assert why["reason"] == "recipient-eligible"
    assert why["nearest"][0]["detail"] == (
        "a state does not fund itself: Cambodia: mine action is KHM's own"
    )
