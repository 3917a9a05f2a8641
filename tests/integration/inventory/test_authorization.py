"""Who may do what: donors their own sources, centres the sources of their region, the secretariat
everything; everyone reads."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from shared.principal import Principal
from tests.integration.inventory.conftest import (
    BALKANS,
    EVERYONE,
    JAPAN,
    LAO,
    NORWAY,
    OPERATOR,
    SECRETARIAT,
    SOUTH_EAST_ASIA,
)
from tests.integration.inventory.flows import register
from tests.inventory_factories import act_body, source_body, window_body
from tests.service_api import Api

REGIONAL = {"donor": None, "regional_focus": ["south-eastern-asia"]}


async def status_of(api: Api, who: Principal, method: str, path: str, body: Any = None) -> int:
    headers = {**api.headers_for(who), "If-Match": "*"}
    response = await api.client.request(method, path, json=body, headers=headers)
    return response.status_code


async def test_who_may_register_a_source(api: Api) -> None:
    cases = [
        (NORWAY, source_body(), 201),
        (NORWAY, source_body(donor=None), 201),  # becomes Norway's own
        (JAPAN, source_body(), 403),  # Norway's, registered by Japan
        (SECRETARIAT, source_body(donor="japan"), 201),
        (SOUTH_EAST_ASIA, source_body(**REGIONAL), 201),
        (SOUTH_EAST_ASIA, source_body(donor=None, regional_focus=["western-balkans"]), 403),
        (SOUTH_EAST_ASIA, source_body(), 403),  # a donor's source
        (LAO, source_body(), 403),
        (OPERATOR, source_body(), 403),
    ]

    answers = [
        (who.label, await status_of(api, who, "POST", "/v1/sources", body))
        for who, body, _ in cases
    ]

    assert answers == [(who.label, expected) for who, _, expected in cases]


async def test_who_may_manage_a_source_and_its_ledger(api: Api) -> None:
    norways = await register(api)
    regional = await register(api, SOUTH_EAST_ASIA, **REGIONAL)

    async def may(source: dict[str, Any], who: Principal, **changes: Any) -> list[int]:
        """[editing it, committing from it]"""
        window = source["windows"][0]["id"]
        stated = {} if source["donor"] else REGIONAL
        body = source_body(**{**stated, "windows": [{**window_body(), "id": window}], **changes})
        path = f"/v1/sources/{source['id']}"
        return [
            await status_of(api, who, "PUT", path, body),
            await status_of(api, who, "POST", f"{path}/commitments", act_body(window, "100.00")),
        ]

    assert await may(norways, NORWAY) == [200, 201]
    assert await may(norways, SECRETARIAT) == [200, 201]
    for outsider in (JAPAN, SOUTH_EAST_ASIA, BALKANS, LAO, OPERATOR):
        assert await may(norways, outsider) == [403, 403], outsider.label
    assert await may(norways, NORWAY, donor="japan") == [403, 201]  # cannot give it away
    assert await may(regional, SOUTH_EAST_ASIA) == [200, 201]
    assert await may(regional, SOUTH_EAST_ASIA, regional_focus=["western-balkans"]) == [403, 201]
    for outsider in (BALKANS, NORWAY, LAO):
        assert await may(regional, outsider) == [403, 403], outsider.label


async def test_everyone_reads_and_nobody_finds_what_does_not_exist(api: Api) -> None:
    source = await register(api)
    missing = uuid4()

    for who in EVERYONE:
        assert await status_of(api, who, "GET", f"/v1/sources/{source['id']}") == 200
        assert await status_of(api, who, "GET", "/v1/sources") == 200
        assert await status_of(api, who, "GET", f"/v1/sources/{source['id']}/ledger") == 200
        assert await status_of(api, who, "GET", f"/v1/sources/{missing}") == 404
        assert await status_of(api, who, "POST", f"/v1/sources/{missing}/pause") == 404
