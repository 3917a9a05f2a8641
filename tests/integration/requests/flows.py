"""Steps partner systems take, as HTTP calls."""

from __future__ import annotations

from typing import Any

from shared.principal import Principal
from tests.factories import request_body
from tests.integration.requests.conftest import LAO, SECRETARIAT, SOUTH_EAST_ASIA
from tests.service_api import Api


async def create(api: Api, who: Principal = LAO, **changes: Any) -> dict[str, Any]:
    state = changes.pop("state", who.state or "LAO")
    response = await api.client.post(
        "/v1/requests", json=request_body(state, **changes), headers=api.headers_for(who)
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def act(
    api: Api, request_id: str, action: str, who: Principal, status: int = 200, **body: Any
) -> dict[str, Any]:
    response = await api.client.post(
        f"/v1/requests/{request_id}/{action}", json=body, headers=api.headers_for(who)
    )
    assert response.status_code == status, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def published(api: Api, **changes: Any) -> dict[str, Any]:
    """A LAO request taken through review to the global tier."""
    request = await create(api, **changes)
    await act(api, request["id"], "submit", LAO)
    await act(api, request["id"], "endorse", SOUTH_EAST_ASIA)
    return await act(api, request["id"], "publish", SECRETARIAT)
