"""Steps donors and the secretariat take, as HTTP calls."""

from __future__ import annotations

from typing import Any

from shared.principal import Principal
from tests.integration.inventory.conftest import NORWAY
from tests.inventory_factories import act_body, source_body
from tests.service_api import Api


async def register(api: Api, who: Principal = NORWAY, **changes: Any) -> dict[str, Any]:
    response = await api.client.post(
        "/v1/sources", json=source_body(**changes), headers=api.headers_for(who)
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def record(
    api: Api,
    source: dict[str, Any],
    kind: str,
    amount: str,
    who: Principal = NORWAY,
    status: int = 201,
    **changes: Any,
) -> dict[str, Any]:
    """Record a pledge, commitment or disbursement on the source's first window."""
    body = act_body(source["windows"][0]["id"], amount, **changes)
    response = await api.client.post(
        f"/v1/sources/{source['id']}/{kind}", json=body, headers=api.headers_for(who)
    )
    assert response.status_code == status, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def get(api: Api, path: str, who: Principal = NORWAY, **params: Any) -> Any:
    response = await api.client.get(path, params=params, headers=api.headers_for(who))
    assert response.status_code == 200, response.text
    return response.json()
