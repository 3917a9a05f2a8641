"""Every operation of every service's OpenAPI document, called by each kind of outsider against
what someone else owns: no write succeeds, no read shows the owner's data unless the matrix says
it is open by design, and the service's tables are exactly as they were after every call.

What each outsider gets is kept as data in authorization_matrix.py; a route missing there fails.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from deploy.local.__main__ import DEFINITIONS
from services import SERVICES
from services.inventory.app.commands import reserve
from services.inventory.app.handlers import request_changed
from shared.events import Envelope
from shared.events.requests import Amount, RequestFunded, RequestSubmitted
from shared.principal import Principal
from shared.topics import Stream
from tests.database import fetch, snapshot
from tests.factories import bulk_file, extension_body, request_body, request_event
from tests.integration.authorization_matrix import (
    COALITION,
    HIDDEN,
    IATI_REQUEST,
    KINDS,
    LAO_OFFER,
    MATRIX,
    PROJECT,
    SEES,
    Entry,
)
from tests.integration.matching.conftest import seed
from tests.integration.notifications.conftest import deliver, notifications
from tests.inventory_factories import acceptance, act_body, registered, source_body, source_row
from tests.matching_factories import request_details, source, window
from tests.service_api import Api, in_process_api
from tests.sheets import csv_file
from tests.system import Environment

LAO = Principal.national("LAO")
SOUTH_EAST_ASIA = Principal.regional("south-eastern-asia")
NORWAY = Principal.for_donor("norway")
SECRETARIAT = Principal.secretariat()
OWNERS = (LAO, SOUTH_EAST_ASIA, NORWAY, SECRETARIAT)
OUTSIDERS = {
    "national": Principal.national("KHM"),
    "regional": Principal.regional("western-balkans"),
    "donor": Principal.for_donor("sweden"),
    "operator": Principal.operator(),
}
PARAMETER = re.compile(r"\{([^}]+)\}")
WRITES = {"POST", "PUT", "PATCH", "DELETE"}


@dataclass
class Owned:
    """The ids of what the owners hold, by name; any of them in an answer is the owners' data."""

    ids: dict[str, str] = field(default_factory=dict)

    def add(self, **ids: object) -> None:
        self.ids.update({name: str(value) for name, value in ids.items()})


async def _post(api: Api, who: Principal, path: str, body: Any = None) -> dict[str, Any]:
    response = await api.client.post(path, json=body, headers=api.headers_for(who))
    assert response.status_code in (200, 201), response.text
    answer: dict[str, Any] = response.json()
    return answer


async def _own_requests(api: Api) -> Owned:
    """LAO's requests: a draft, a submitted one and an endorsed one; and its extension request,
    with the draft request for its resources."""
    owned = Owned()
    for name, steps in (
        ("request_id", []),
        ("submitted", [("submit", LAO)]),
        ("endorsed", [("submit", LAO), ("endorse", SOUTH_EAST_ASIA)]),
    ):
        request = await _post(api, LAO, "/v1/requests", request_body("LAO"))
        for action, who in steps:
            await _post(api, who, f"/v1/requests/{request['id']}/{action}")
        owned.add(**{name: request["id"]})
    response = await api.client.post(
        "/v1/requests/bulk",
        content=bulk_file("LAO"),
        headers={**api.headers_for(LAO), "Content-Type": "text/csv", "Idempotency-Key": "LAO's"},
    )
    assert response.status_code == 201, response.text
    owned.add(key="LAO's", uploaded=response.json()["created"][0]["id"])
    extension = await _post(api, LAO, "/v1/extension-requests", extension_body())
    owned.add(extension_id=extension["id"], linked=extension["assistance_request_id"])
    owned.ids["convention"] = "CCM"
    return owned


async def _own_sources(api: Api) -> Owned:
    """Norway's source, a pledge and a commitment on its window for a request the inventory
    knows and Norway's project for it, a reservation answering a match of it, another it uploaded
    in a file, and Lao PDR's own offer (paused, so that resuming it is a change)."""
    funded = request_event(RequestFunded, status="funded", request_id=IATI_REQUEST)
    async with api.resources.unit_of_work() as uow:
        await request_changed(uow, Envelope(funded, str(IATI_REQUEST), "/tests/requests"))
    source_ = await _post(api, NORWAY, "/v1/sources", source_body())
    offer = await _post(api, LAO, "/v1/sources", LAO_OFFER)
    await _post(api, LAO, f"/v1/sources/{offer['id']}/pause")
    uploaded = await api.client.post(
        "/v1/sources/bulk",
        content=csv_file([source_row(name="Norway: uploaded")]),
        headers={**api.headers_for(NORWAY), "Content-Type": "text/csv", "Idempotency-Key": "N's"},
    )
    assert uploaded.status_code == 201, uploaded.text
    window_id = source_["windows"][0]["id"]
    path = f"/v1/sources/{source_['id']}/pledges"
    entry = await _post(api, NORWAY, path, act_body(window_id, "1000.00", IATI_REQUEST))
    commitments = f"/v1/sources/{source_['id']}/commitments"
    await _post(api, NORWAY, commitments, act_body(window_id, "10000.00", IATI_REQUEST))
    project = await _post(api, NORWAY, "/v1/projects", PROJECT)
    ids = {"source_id": UUID(source_["id"]), "window_id": UUID(window_id)}
    accepted = acceptance(registered(), "500.00", **ids)  # of the source registered above
    async with api.resources.unit_of_work() as uow:
        await reserve(uow, accepted, datetime.now(UTC))
    [reservation] = await fetch(
        api.resources.settings.database_url, "SELECT id FROM inventory.reservations"
    )
    owned = Owned()
    owned.add(
        source_id=source_["id"],
        window_id=window_id,
        entry_id=entry["id"],
        request_id=accepted.request_id,
        reservation_id=reservation["id"],
        state_offer=offer["id"],
        key="N's",
        uploaded=uploaded.json()["created"][0]["id"],
        project_id=project["id"],
    )
    return owned


async def _own_proposals(api: Api) -> Owned:
    """Norway's proposal for a LAO request, a LAO request nothing is proposed for, and LAO's
    country coalition, led by Norway."""
    served = request_details()
    waiting = request_details(amount=Amount(value=Decimal("5000.00"), currency="EUR"))
    offer = source(window("600000.00"))
    await seed(api, [served, waiting], [offer])
    await _post(api, SECRETARIAT, "/v1/allocations")
    response = await api.client.get("/v1/proposals", headers=api.headers_for(SECRETARIAT))
    [proposal] = response.json()
    owned = Owned()
    owned.add(
        match_id=proposal["id"],
        request_id=served.request_id,
        waiting=waiting.request_id,
        source_id=offer.source_id,
    )
    owned.ids["state"] = "LAO"
    coalition = await _post(api, SECRETARIAT, "/v1/coalitions", COALITION)
    owned.add(coalition_id=coalition["id"], party="norway")
    return owned


async def _own_notifications(api: Api) -> Owned:
    """A LAO request's notifications in the feed, then webhooks of LAO and of Norway."""
    submitted = request_event(RequestSubmitted, "LAO")
    request_id = submitted.request.request_id
    source_ = "/clearinghouse/requests"
    await deliver(
        api, Stream.REQUESTS, Envelope(payload=submitted, key=str(request_id), source=source_)
    )
    owned = Owned()
    owned.add(request_id=request_id)
    for who, name in ((LAO, "subscription_id"), (NORWAY, "norways_subscription")):
        created = await _post(api, who, "/v1/subscriptions", {"url": "http://127.0.0.1:9/hooks"})
        owned.add(**{name: created["id"]})
    return owned


@contextlib.asynccontextmanager
async def _running(service: str, environment: Environment) -> AsyncIterator[Api]:
    """The service as its own tests run it: notifications over HTTP (its stream is endless),
    the others in-process with no workers, so nothing changes their tables but the calls."""
    everyone = (*OWNERS, *OUTSIDERS.values())
    if service == "notifications":
        async with notifications(environment, everyone) as api:
            yield api
        return
    async for api in in_process_api(DEFINITIONS[service], environment, everyone, workers=False):
        yield api


SETUPS: dict[str, Callable[[Api], Awaitable[Owned]]] = {
    "requests": _own_requests,
    "inventory": _own_sources,
    "matching": _own_proposals,
    "notifications": _own_notifications,
}


def _filled(value: Any, ids: dict[str, str]) -> Any:
    """`value` with every `{name}` in its strings replaced by the owned id of that name."""
    if isinstance(value, str):
        return PARAMETER.sub(lambda m: ids[m.group(1)], value)
    if isinstance(value, dict):
        return {k: _filled(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_filled(v, ids) for v in value]
    return value


async def _call(
    api: Api, who: Principal, operation: str, entry: Entry, owned: Owned
) -> tuple[int, str]:
    """The status and body of one call (a stream's body is not waited for)."""
    method, template = operation.split(" ")
    path = PARAMETER.sub(lambda m: owned.ids[entry.on or m.group(1)], template)
    request = api.client.build_request(
        method,
        path,
        params=_filled(entry.query, owned.ids),
        json=_filled(entry.body, owned.ids) if entry.content is None else None,
        content=entry.content,
        headers={**api.headers_for(who), **_filled(entry.headers, owned.ids)},
    )
    response = await api.client.send(request, stream=True)
    try:
        if response.headers.get("content-type", "").startswith("text/event-stream"):
            return response.status_code, ""
        return response.status_code, (await response.aread()).decode()
    finally:
        await response.aclose()


def _verdict(method: str, expected: Any, status: int, text: str, owned: Owned) -> str | None:
    """What is wrong with the answer, if anything."""
    if method in WRITES:
        if 200 <= status < 300:
            return f"a write succeeded ({status})"
        return None if status == expected else f"answered {status}, the matrix says {expected}"
    if expected == SEES:
        return None if status == 200 else f"answered {status}, the matrix says it is open"
    assert expected == HIDDEN, expected
    if status in (403, 404):
        return None
    if status != 200:
        return f"answered {status}"
    shown = sorted(name for name, id_ in owned.ids.items() if id_ in text)
    return f"showed the owners' {', '.join(shown)}" if shown else None


async def _tables(database_url: str, schema: str) -> list[str]:
    rows = await fetch(
        database_url,
        "SELECT table_name FROM information_schema.tables WHERE table_schema = $1 "
        "AND table_type = 'BASE TABLE' ORDER BY table_name",
        schema,
    )
    return [row["table_name"] for row in rows]


async def _state(database_url: str, schema: str, tables: list[str]) -> dict[str, tuple[int, str]]:
    """Each table's row count and a digest of all its rows, as of one moment."""
    queries = [
        (
            f"SELECT count(*) AS n, md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), ''))"
            f' AS digest FROM "{schema}"."{table}" t',
        )
        for table in tables
    ]
    results = await snapshot(database_url, queries)
    return {t: (r[0]["n"], r[0]["digest"]) for t, r in zip(tables, results, strict=True)}


def _operations(document: dict[str, Any]) -> list[str]:
    return [
        f"{method.upper()} {path}"
        for path, operations in document["paths"].items()
        for method in operations
    ]


@pytest.mark.parametrize("service", SERVICES)
async def test_no_outsider_writes_reads_or_changes_what_others_own(
    environment: Environment, service: str
) -> None:
    matrix = MATRIX[service]
    schema = DEFINITIONS[service].metadata.schema or service
    url = environment.database_url
    wrong: dict[str, str] = {}
    async with _running(service, environment) as api:
        operations = _operations((await api.client.get("/openapi.json")).json())
        missing = [operation for operation in operations if operation not in matrix]
        assert not missing, f"no entry in authorization_matrix.py for {service}: {missing}"
        assert sorted(matrix) == sorted(operations), "entries for routes that are gone"

        owned = await SETUPS[service](api)
        tables = await _tables(url, schema)
        before = await _state(url, schema, tables)
        for operation in operations:
            entry = matrix[operation]
            for kind in KINDS:
                status, text = await _call(api, OUTSIDERS[kind], operation, entry, owned)
                problem = _verdict(operation.split()[0], entry.expected(kind), status, text, owned)
                after = await _state(url, schema, tables)
                changed = [t for t in tables if after[t] != before[t]]
                if changed:
                    problem = f"{problem or 'answered ' + str(status)}; changed {changed}"
                    before = after
                if problem:
                    wrong[f"{operation} as {kind}"] = f"{problem}: {text[:300]}"

    print(f"\n{service}: {len(operations)} operations x {len(KINDS)} outsiders")
    assert wrong == {}, "\n".join(f"{call}: {problem}" for call, problem in wrong.items())
