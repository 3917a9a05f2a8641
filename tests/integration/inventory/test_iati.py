"""IATI 2.03 through the HTTP API on the real database: the export is valid against the official
schema, an import into a fresh system gives the same ledger, and a bad file stores nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest
from lxml import etree

from deploy.local.stack import LocalStack
from services.inventory import demo
from services.inventory.adapters import iati as iati_file
from services.inventory.app.handlers import request_changed
from services.inventory.service import SERVICE as INVENTORY
from services.requests import demo as requests_demo
from shared.events.requests import RequestEvent, RequestFunded, RequestPublished
from shared.principal import Principal
from shared.topics import Stream
from shared.values import Money
from tests.database import fetch
from tests.factories import envelope, request_event
from tests.integration.inventory.conftest import EVERYONE, JAPAN, LAO, NORWAY, SECRETARIAT
from tests.integration.inventory.flows import get, record, register
from tests.integration.inventory.test_bad_input import state
from tests.inventory_factories import IATI_PUBLISHER, donor_file
from tests.kafka import send
from tests.polling import eventually
from tests.service_api import Api, in_process_api
from tests.system import Environment, new_environment

PREFIX = IATI_PUBLISHER
TODAY = date.today()


async def announce(api: Api, event: RequestEvent | None = None) -> RequestEvent:
    """The inventory hears of a funded request, as from the requests topic."""
    event = event or request_event(RequestFunded, status="funded", version=9)
    request_id = event.request.request_id
    async with api.resources.unit_of_work() as uow:
        await request_changed(uow, envelope(event, str(request_id), "/tests/requests"))
    return event


async def export(api: Api, who: Principal = SECRETARIAT, **params: Any) -> etree._Element:
    response = await api.client.get(
        "/v1/iati/activities", params=params, headers=api.headers_for(who)
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/xml")
    document = etree.fromstring(response.content)
    assert iati_file.schema().validate(document), iati_file.schema().error_log
    return document


async def import_file(
    api: Api, data: bytes, who: Principal = NORWAY, status: int = 200, **params: Any
) -> dict[str, Any]:
    response = await api.client.post(
        "/v1/iati/activities",
        content=data,
        params=params,
        headers={**api.headers_for(who), "Content-Type": "application/xml"},
    )
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def transactions(document: etree._Element) -> list[tuple[str | None, ...]]:
    return [
        (
            t.getparent().findtext("iati-identifier"),  # type: ignore[union-attr]
            t.find("transaction-type").get("code"),  # type: ignore[union-attr]
            t.findtext("value"),
            t.find("value").get("currency"),  # type: ignore[union-attr]
            t.find("transaction-date").get("iso-date"),  # type: ignore[union-attr]
            t.findtext("provider-org/narrative"),
        )
        for t in document.iter("transaction")
    ]


async def funded(api: Api) -> tuple[RequestEvent, dict[str, Any]]:
    """Norway pledges, commits (then corrects) and disburses for a funded request."""
    event = await announce(api)
    request_id = event.request.request_id
    source = await register(api)
    await record(api, source, "pledges", "50000.00", request_id=request_id)
    committed = await record(api, source, "commitments", "400000.00", request_id=request_id)
    response = await api.client.post(
        f"/v1/ledger/entries/{committed['id']}/corrections",
        json={
            "amount": {"value": "-40000.00", "currency": "USD"},
            "date": str(TODAY),
            "reason": "Second phase dropped",
        },
        headers=api.headers_for(NORWAY),
    )
    assert response.status_code == 201, response.text
    await record(api, source, "disbursements", "120000.00", request_id=request_id)
    return event, source


async def test_the_export_is_valid_iati_2_03_with_the_requests_sectors_and_country(
    api: Api,
) -> None:
    event, _ = await funded(api)
    request_id = event.request.request_id

    document = await export(api)

    [activity] = document.findall("iati-activity")
    assert activity.findtext("iati-identifier") == f"{PREFIX}-{request_id}"
    assert activity.findtext("title/narrative") == event.request.title
    assert activity.find("recipient-country").get("code") == "LA"  # type: ignore[union-attr]
    assert [s.get("code") for s in activity.findall("sector")] == ["15250"]
    assert activity.find("budget/value").text == "1500000.00"  # type: ignore[union-attr]
    funders = activity.findall("participating-org[@role='1']")
    assert [f.get("ref") for f in funders] == [f"{PREFIX}-norway"]
    assert [(t[1], t[2]) for t in transactions(document)] == [
        ("12", "50000.00"),
        ("2", "360000.00"),  # the commitment as its correction left it
        ("3", "120000.00"),
    ]


async def test_a_donor_exports_its_own_sources_and_filters_narrow_the_file(api: Api) -> None:
    event, _ = await funded(api)
    japan = await register(api, JAPAN, donor="japan", name="Japan: mine action")
    await record(api, japan, "commitments", "300000.00", JAPAN, request_id=event.request.request_id)

    everything = transactions(await export(api))
    for_norway = transactions(await export(api, NORWAY))
    for_japan = transactions(await export(api, JAPAN, donor="norway"))  # its own, still
    only_japan = transactions(await export(api, SECRETARIAT, donor="japan"))
    for_lao = transactions(await export(api, LAO, state="LAO", convention="CCM"))

    assert len(everything) == 4
    assert for_lao == everything
    assert {t[5] for t in for_norway} == {"Norway: mine action"}
    assert for_japan == only_japan == [t for t in everything if t[5] == "Japan: mine action"]
    for nothing in ({"state": "PER"}, {"convention": "Stockholm"}):
        response = await api.client.get(
            "/v1/iati/activities", params=nothing, headers=api.headers_for(SECRETARIAT)
        )
        assert response.status_code == 404, nothing  # a file needs an activity to be valid


@pytest.fixture
async def fresh(stack: LocalStack, migrated: str) -> AsyncIterator[Api]:
    """A second, empty system: its own database and topics."""
    other = new_environment(stack.kafka_bootstrap_servers, stack.database_url, template=migrated)
    async for api in in_process_api(INVENTORY, other, EVERYONE, workers=False):
        yield api


async def ledger_of(api: Api, request_id: UUID) -> list[tuple[str, ...]]:
    """What each source holds for the request, by the source's name."""
    names = {s["id"]: s["name"] for s in (await get(api, "/v1/sources"))["items"]}
    body = await get(api, f"/v1/ledger/requests/{request_id}")
    return sorted(
        (names[b["source_id"]], b["currency"], b["pledged"], b["committed"], b["disbursed"])
        for b in body["balances"]
    )


async def test_an_export_imported_into_a_fresh_system_gives_the_same_ledger(
    api: Api, fresh: Api
) -> None:
    event, _ = await funded(api)
    request_id = event.request.request_id
    exported = etree.tostring(await export(api))
    await announce(fresh, event)
    await register(fresh)  # the same donor's source, by its name

    first = await import_file(fresh, exported)
    again = await import_file(fresh, exported)

    assert (first["recorded"], first["skipped"], first["refused"]) == (3, 0, 0)
    assert [r["outcome"] for r in again["rows"]] == ["skipped"] * 3
    assert await ledger_of(fresh, request_id) == await ledger_of(api, request_id)
    assert transactions(await export(fresh)) == transactions(await export(api))
    back = await import_file(api, etree.tostring(await export(fresh)))  # and home again
    assert back["recorded"] == 0
    assert back["skipped"] == 3


async def test_an_import_is_idempotent_by_key_and_a_dry_run_stores_nothing(
    api: Api, environment: Environment
) -> None:
    event = await announce(api)
    await register(api)
    data = donor_file(f"{PREFIX}-{event.request.request_id}", [("c-1", "2", "250000.00")])
    before = await state(environment)

    dry = await import_file(api, data, dry_run="true")

    assert dry["dry_run"] is True
    assert dry["recorded"] == 1
    after_dry = await state(environment)
    assert after_dry["ledger_entries"] == before["ledger_entries"] == 0
    key = {"Idempotency-Key": "norway-iati-2026-12"}
    answers = [
        await api.client.post(
            "/v1/iati/activities",
            content=data,
            headers={**api.headers_for(NORWAY), **key, "Content-Type": "application/xml"},
        )
        for _ in range(2)
    ]
    assert [a.status_code for a in answers] == [200, 200]
    assert answers[0].json() == answers[1].json()
    entries = await fetch(
        environment.database_url, "SELECT kind, amount, reference FROM inventory.ledger_entries"
    )
    assert [(e["kind"], str(e["amount"])) for e in entries] == [("committed", "250000.00")]
    assert entries[0]["reference"] == f"{PREFIX}-{event.request.request_id}/c-1"


async def test_a_donors_own_activity_names_the_request_it_funds_by_receiver_activity(
    api: Api,
) -> None:
    event = await announce(api)
    await register(api)
    ours = f"{PREFIX}-{event.request.request_id}"
    data = donor_file(
        "XM-DAC-8-2026-LAO-17",
        [("c-1", "2", "90000.00"), ("d-1", "3", "30000.00")],
        receiver_activity=ours,
    )

    report = await import_file(api, data)

    assert [(r["ref"], r["outcome"]) for r in report["rows"]] == [
        ("c-1", "recorded"),
        ("d-1", "recorded"),
    ]
    [line] = (await get(api, f"/v1/ledger/requests/{event.request.request_id}"))["balances"]
    assert (line["committed"], line["disbursed"]) == ("90000.00", "30000.00")


def bad_files(activity: str) -> list[tuple[str, bytes, str, str | None]]:
    """(what, file, the rule of the problem, the rule of the first refused row)."""
    good = ("c-1", "2", "20000.00")
    return [
        ("not XML", b"ref;type;value\nc-1;2;1000\n", "not-xml", None),
        ("IATI 1.05", b'<iati-activities version="1.05"></iati-activities>', "iati-version", None),
        (
            "not valid against 2.03",
            donor_file(activity, [good])
            .replace(b"<iati-identifier>", b"<identifier>")
            .replace(b"</iati-identifier>", b"</identifier>"),
            "iati-schema",
            None,
        ),
        (
            "an unknown organisation",
            donor_file(activity, [good], provider="XM-DAC-999"),
            "transactions-refused",
            "unknown-organisation",
        ),
        (
            "an unknown request",
            donor_file(f"{PREFIX}-{uuid4()}", [good]),
            "transactions-refused",
            "unknown-request",
        ),
        (
            "a request of another publisher",
            donor_file("XM-DAC-8-2026-1", [good]),
            "transactions-refused",
            "unknown-request",
        ),
        (
            "a currency the ledger has no window in",
            donor_file(activity, [("c-1", "2", "20000.00", "EUR")]),
            "transactions-refused",
            "currency",
        ),
        (
            "incoming funds",
            donor_file(activity, [("c-1", "1", "20000.00")]),
            "transactions-refused",
            "transaction-type",
        ),
        (
            "a transaction twice",
            donor_file(activity, [good, good]),
            "transactions-refused",
            "repeated-transaction",
        ),
        (
            "a disbursement beyond the commitment",
            donor_file(activity, [good, ("d-1", "3", "50000.00")]),
            "transactions-refused",
            "exceeds-commitment",
        ),
        (
            "no transaction ref",
            donor_file(activity, [good]).replace(b' ref="c-1"', b""),
            "transactions-refused",
            "transaction-ref",
        ),
    ]


async def test_a_bad_file_is_a_problem_naming_the_transaction_and_stores_nothing(
    api: Api, environment: Environment
) -> None:
    event = await announce(api)
    await register(api)
    activity = f"{PREFIX}-{event.request.request_id}"
    before = await state(environment)
    for what, data, rule, row_rule in bad_files(activity):
        response = await api.client.post(
            "/v1/iati/activities",
            content=data,
            headers={**api.headers_for(NORWAY), "Content-Type": "application/xml"},
        )
        problem = response.json()
        assert response.status_code == 422, (what, response.text)
        assert problem["rule"] == rule, (what, problem)
        if row_rule is not None:
            refused = [r for r in problem["rows"] if r["outcome"] == "refused"]
            assert refused[0]["rule"] == row_rule, (what, problem)
            assert refused[0]["activity"] == activity or row_rule == "unknown-request", what
            assert refused[0]["line"] > 0, what
            assert "nothing was recorded" in problem["detail"], what
        assert await state(environment) == before, what
    schema_problem = (
        await api.client.post(
            "/v1/iati/activities",
            content=bad_files(activity)[2][1],
            headers=api.headers_for(NORWAY),
        )
    ).json()
    assert schema_problem["errors"][0]["line"] == 4  # where <identifier> stands


async def test_someone_elses_source_is_refused_row_by_row(
    api: Api, environment: Environment
) -> None:
    event = await announce(api)
    await register(api)
    data = donor_file(f"{PREFIX}-{event.request.request_id}", [("c-1", "2", "20000.00")])

    problem = await import_file(api, data, JAPAN, status=422)

    assert problem["rows"][0]["rule"] == "forbidden"
    assert (await state(environment))["ledger_entries"] == 0


async def test_the_inventory_keeps_the_newest_version_of_each_request_from_its_events(
    live_api: Api, environment: Environment
) -> None:
    resources = live_api.resources
    request_id = uuid4()
    newer = request_event(RequestFunded, status="funded", version=8, request_id=request_id)
    older = request_event(RequestPublished, status="published", version=6, request_id=request_id)
    other = request_event(RequestPublished, status="published", version=5, request_id=uuid4())
    for event in (newer, older, other):  # one key, so handled in this order
        await send(
            resources.producer,
            resources.topics.global_(Stream.REQUESTS),
            envelope(event, str(request_id), "/tests/requests"),
        )

    async def both() -> Any:
        rows = await fetch(
            environment.database_url,
            "SELECT request_id, version, status FROM inventory.requests ORDER BY version DESC",
        )
        return rows if len(rows) == 2 else None

    rows = await eventually(both)
    assert (rows[0]["request_id"], rows[0]["version"], rows[0]["status"]) == (
        request_id,
        8,
        "funded",
    )


async def test_the_demo_ledger_exports_as_valid_iati(environment: Environment) -> None:
    """The demo's sources, two of the requests demo's Lao PDR requests, and what Norway and Japan
    commit and disburse for them: the export validates against the 2.03 schema."""
    donors = tuple(Principal.for_donor(donor) for donor in demo.DONORS)
    api = in_process_api(
        INVENTORY, environment, (*EVERYONE, *donors), workers=False, regional_centres_file=None
    )
    lao = [body for _, body in requests_demo.requests(TODAY) if body["state"] == "LAO"][:2]
    async for service in api:
        service.client.headers.update(service.headers_for(SECRETARIAT))
        await demo.load(service.client, {})
        for body, donor in zip(lao, (NORWAY, JAPAN), strict=True):
            event = await announce(service, demo_request(body))
            found = await get(service, "/v1/sources", donor, donor=donor.donor, convention="CCM")
            [source] = found["items"]  # the donor state's source for mine action
            request_id = event.request.request_id
            for kind, amount in (("commitments", "500000.00"), ("disbursements", "150000.00")):
                await record(service, source, kind, amount, donor, request_id=request_id)
        document = await export(service)

    activities = document.findall("iati-activity")
    assert [a.findtext("title/narrative") for a in activities] == [b["title"] for b in lao]
    assert {a.find("recipient-country").get("code") for a in activities} == {"LA"}  # type: ignore[union-attr]
    assert {s.get("code") for s in document.iter("sector")} == {"15250"}
    assert [t[1:3] for t in transactions(document)] == [
        ("2", "500000.00"),
        ("3", "150000.00"),
    ] * 2


def demo_request(body: dict[str, Any]) -> RequestEvent:
    """A demo request's body as the requests service announces it once funded."""
    return request_event(
        RequestFunded,
        status="funded",
        state=body["state"],
        areas=tuple(body["areas"]),
        title=body["title"],
        description=body["description"],
        amount=Money(Decimal(body["amount"]["value"]), body["amount"]["currency"]),
        deadline=date.fromisoformat(body["deadline"]),
    )


async def test_a_file_beyond_the_body_limit_is_refused_unread(environment: Environment) -> None:
    data = donor_file(f"{PREFIX}-{uuid4()}", [(f"c-{n}", "2", "20000.00") for n in range(20)])
    assert len(data) > 2048
    api = in_process_api(INVENTORY, environment, EVERYONE, workers=False, max_body_bytes=2048)
    async for service in api:
        response = await service.client.post(
            "/v1/iati/activities",
            content=data,
            headers={**service.headers_for(NORWAY), "Content-Type": "application/xml"},
        )
    assert response.status_code == 413
    assert (await state(environment))["idempotency_keys"] == 0
