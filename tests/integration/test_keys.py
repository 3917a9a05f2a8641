"""No door open without a key: every route under /v1 of every service answers 401 problem details
to a call with no key, a garbage key, or a key that was issued and then revoked. The key takes the
path a real key takes: issued and revoked as events on the access topic, through Kafka."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest

from deploy.local.__main__ import DEFINITIONS
from services import SERVICES
from shared.auth import CACHE_SECONDS, issue_key, revoke_key
from shared.principal import Principal
from shared.runtime import create_app
from tests.polling import eventually
from tests.service_api import in_process_api
from tests.system import Environment

PARAMETER = re.compile(r"\{[^}]+\}")


def _operations(document: dict[str, Any]) -> list[tuple[str, str]]:
    """Every (method, path) under /v1, with any id in the path."""
    anything = str(uuid.uuid4())
    return [
        (method.upper(), PARAMETER.sub(anything, path))
        for path, operations in document["paths"].items()
        if path.startswith("/v1/")
        for method in operations
    ]


async def _refusals(
    client: httpx.AsyncClient, headers: dict[str, str], operations: list[tuple[str, str]]
) -> dict[str, Any]:
    answers = {}
    for method, path in operations:
        response = await client.request(method, path, headers=headers, json={})
        kind = response.json().get("type") if response.status_code == 401 else response.status_code
        answers[f"{method} {path}"] = kind
    return answers


async def _until_whoami_answers(
    client: httpx.AsyncClient, headers: dict[str, str], status: int, *, seconds: float
) -> None:
    """Wait for the key's event to reach the service (and a revocation to pass its cache)."""

    async def answered() -> bool:
        return (await client.get("/v1/whoami", headers=headers)).status_code == status

    await eventually(answered, seconds=seconds)


@pytest.mark.parametrize("service", SERVICES)
async def test_every_route_refuses_no_key_a_garbage_key_and_a_revoked_key(
    environment: Environment, service: str
) -> None:
    definition = DEFINITIONS[service]
    settings = environment.settings(definition.settings_type)
    operations = _operations(create_app(definition, settings).openapi())
    async for api in in_process_api(definition, environment, [], workers=True):
        key = await issue_key(settings, Principal.secretariat(), "revoked in the test")
        bearer = {"Authorization": f"Bearer {key}"}

        await _until_whoami_answers(api.client, bearer, 200, seconds=30)
        await revoke_key(settings, key.split("_")[1])
        await _until_whoami_answers(api.client, bearer, 401, seconds=CACHE_SECONDS + 30)
        cases = {
            "no key": {},
            "garbage key": {"Authorization": "Bearer ch_0123456789abcdef_forged"},
            "revoked key": bearer,
        }
        answers = {
            case: await _refusals(api.client, headers, operations)
            for case, headers in cases.items()
        }

    expected = dict.fromkeys(
        (f"{m} {p}" for m, p in operations), "urn:clearinghouse:problem:unauthenticated"
    )
    assert operations
    for case in cases:
        assert answers[case] == expected, case
