"""Steps of an extension request's story, as HTTP calls, and a service with keys for the CCM
analysis group (Montenegro's focal point, the Netherlands) besides every office."""

from __future__ import annotations

from typing import Any

from shared.principal import Principal
from tests.factories import extension_body
from tests.integration.requests.conftest import EVERYONE, LAO, SECRETARIAT
from tests.service_api import Api

MNE = Principal.national("MNE")  # a coordinator of the CCM analysis group
NETHERLANDS = Principal.for_donor("netherlands")
CAST = (*EVERYONE, MNE, NETHERLANDS)
"""Every office, and the CCM analysis group: build a test module's fixtures with
`api_fixtures(REQUESTS, CAST)`."""

LAO_DEADLINE = extension_body()["current_deadline"]  # shared/data/obligations.json
REQUESTED = extension_body()["requested_deadline"]
GRANTED = "2029-08-01"


async def post(
    api: Api, path: str, who: Principal, body: dict[str, Any], status: int = 200
) -> dict[str, Any]:
    """POST as `who`, expecting `status`; the answer's body."""
    response = await api.client.post(path, json=body, headers=api.headers_for(who))
    assert response.status_code == status, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def name_group(api: Api) -> None:
    for member in ("national:MNE", "donor:netherlands"):
        await post(api, "/v1/analysis-groups/CCM/members", SECRETARIAT, {"member": member})


async def filed(api: Api) -> dict[str, Any]:
    """The CCM analysis group named, and Lao PDR's extension request filed."""
    await name_group(api)
    return await post(api, "/v1/extension-requests", LAO, extension_body(), 201)


async def analysed(api: Api) -> dict[str, Any]:
    """Filed, asked about by Montenegro, answered, and analysed by the Netherlands."""
    extension = await filed(api)
    path = f"/v1/extension-requests/{extension['id']}"
    await post(api, f"{path}/questions", MNE, {"question": "Which provinces first?"})
    await post(api, f"{path}/answers", LAO, {"answer": "Savannakhet and Xekong"})
    return await post(api, f"{path}/analysis", NETHERLANDS, {"analysis": "Realistic and costed"})
