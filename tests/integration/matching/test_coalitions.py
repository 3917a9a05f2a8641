"""Country coalitions over HTTP on the real database and broker: who proposes, joins, leads and
records the dialogue; what each principal sees; the bad inputs that store and emit nothing; the
summary of need against what each member gives; the events on the tiers; and matching
preferring the coalition's members for the state's requests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import uuid4

import httpx
import pytest

from services.matching.coalitions_demo import load_coalitions
from services.matching.service import SERVICE as MATCHING
from shared.events import decode
from shared.events.inventory import LedgerEntryRecorded, Support
from shared.events.requests import Amount
from shared.principal import Principal
from shared.topics import Stream
from tests.database import fetch
from tests.factories import NOW
from tests.integration.matching.conftest import eventually, publish, seed
from tests.integration.matching.test_api import reallocate
from tests.kafka import read_topic
from tests.matching_factories import request_details, source, window
from tests.portal_pages import FORM, page_as, sign_in
from tests.service_api import Api, in_process_api
from tests.system import Environment

SECRETARIAT = Principal.secretariat()
OPERATOR = Principal.operator()
BIH = Principal.national("BIH")
LAO = Principal.national("LAO")
BALKANS = Principal.regional("western-balkans")
ASIA = Principal.regional("south-eastern-asia")
NETHERLANDS = Principal.for_donor("netherlands")
NORWAY = Principal.for_donor("norway")
SWEDEN = Principal.for_donor("sweden")
EVERYONE = (SECRETARIAT, OPERATOR, BIH, LAO, BALKANS, ASIA, NETHERLANDS, NORWAY, SWEDEN)
TABLES = ("coalitions", "coalition_members", "coalition_dialogue", "outbox")
SURVEY = ["survey-and-clearance"]
BODY: dict[str, Any] = {
    "state": "BIH",
    "convention": "CCM",
    "areas": SURVEY,
    "title": "Country coalition: Article 4 clearance in Bosnia and Herzegovina",
    "members": [{"party": "netherlands", "kind": "state"}, {"party": "norway", "kind": "state"}],
    "lead": "netherlands",
}
ROUND_TABLE: dict[str, Any] = {
    "date": "2026-12-01",
    "kind": "round-table",
    "participants": ["BIH", "netherlands", "norway"],
    "agreed": "Non-technical survey of the remaining suspected areas comes first.",
    "follow_ups": [{"action": "Share the survey plan", "owner": "BIH", "due": "2027-01-15"}],
}


@pytest.fixture
async def api(environment: Environment) -> AsyncIterator[Api]:
    async for value in in_process_api(
        MATCHING, environment, EVERYONE, workers=False, allocation_poll_seconds=0.2
    ):
        yield value


@pytest.fixture
async def live_api(environment: Environment) -> AsyncIterator[Api]:
    async for value in in_process_api(
        MATCHING, environment, EVERYONE, workers=True, allocation_poll_seconds=0.2
    ):
        yield value


async def post(api: Api, who: Principal, path: str, body: Any = None, key: str = "") -> Any:
    headers = {**api.headers_for(who), "Idempotency-Key": key or str(uuid4())}
    return await api.client.post(path, json=body if body is not None else {}, headers=headers)


async def propose(api: Api, who: Principal = SECRETARIAT, **changes: Any) -> dict[str, Any]:
    answer = await post(api, who, "/v1/coalitions", {**BODY, **changes})
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def counts(environment: Environment) -> dict[str, int]:
    found = {}
    for table in TABLES:
        rows = await fetch(environment.database_url, f"SELECT count(*) AS n FROM matching.{table}")
        found[table] = int(rows[0]["n"])
    return found


async def outbox_types(environment: Environment, key: str) -> list[tuple[str, str]]:
    rows = await fetch(
        environment.database_url,
        "SELECT event_type, topic FROM matching.outbox WHERE key = $1 ORDER BY id",
        key,
    )
    return [(r["event_type"], r["topic"]) for r in rows]


async def test_the_state_proposes_members_join_and_leave_the_lead_changes_and_all_is_told(
    api: Api, environment: Environment
) -> None:
    created = await propose(api, BIH)
    path = f"/v1/coalitions/{created['id']}"

    joined = await post(api, SWEDEN, f"{path}/members", {"kind": "state"})
    again = await post(api, SWEDEN, f"{path}/members", {"kind": "state"}, key="same")
    replayed = await post(api, SWEDEN, f"{path}/members", {"kind": "state"}, key="same")
    lead = await post(api, NETHERLANDS, f"{path}/lead", {"party": "sweden"})
    left = await post(api, NETHERLANDS, f"{path}/members/netherlands/leave")
    dialogue = await post(api, SWEDEN, f"{path}/dialogue", ROUND_TABLE)

    assert created["status"] == "active"
    assert created["regional_centre"] == "western-balkans"
    assert created["proposed_by"] == "national:BIH"
    assert joined.status_code == 200, joined.text
    assert again.status_code == 409
    assert again.json()["rule"] == "member-twice"
    assert replayed.json() == again.json()
    assert lead.status_code == 200
    assert lead.json()["lead"] == "sweden"
    assert left.status_code == 200
    assert [m["party"] for m in left.json()["members"]] == ["norway", "sweden"]
    assert dialogue.status_code == 200, dialogue.text
    (entry,) = dialogue.json()["dialogue"]
    assert entry["follow_ups"][0]["owner"] == "BIH"
    assert entry["recorded_by"] == "donor:sweden"
    regional = api.resources.topics.regional("western-balkans", Stream.MATCHES)
    global_ = api.resources.topics.global_(Stream.MATCHES)
    told = await outbox_types(environment, created["id"])
    kinds = [
        f"org.clearinghouse.coalition.{kind}.v1"
        for kind in (
            "proposed",
            "member-joined",
            "lead-changed",
            "member-left",
            "dialogue-recorded",
        )
    ]
    assert [t for t, topic in told if topic == global_] == kinds
    assert [t for t, topic in told if topic == regional] == kinds


async def test_each_principal_sees_the_coalitions_of_its_scope(api: Api) -> None:
    bosnia = await propose(api)
    lao = await propose(
        api,
        state="LAO",
        members=[{"party": "sweden", "kind": "state"}],
        lead="sweden",
        title="Individualised approach: Lao PDR",
    )

    seen = {}
    for who in EVERYONE:
        answer = await api.client.get("/v1/coalitions", headers=api.headers_for(who))
        assert answer.status_code == 200, answer.text
        seen[who.label] = {c["state"] for c in answer.json()}
    hidden = await api.client.get(f"/v1/coalitions/{lao['id']}", headers=api.headers_for(BIH))
    shown = await api.client.get(f"/v1/coalitions/{bosnia['id']}", headers=api.headers_for(BIH))

    assert seen == {
        "secretariat": {"BIH", "LAO"},
        "operator": {"BIH", "LAO"},
        "national:BIH": {"BIH"},
        "national:LAO": {"LAO"},
        "regional:western-balkans": {"BIH"},
        "regional:south-eastern-asia": {"LAO"},
        "donor:netherlands": {"BIH"},
        "donor:norway": {"BIH"},
        "donor:sweden": {"LAO"},
    }
    assert hidden.status_code == 404
    assert shown.status_code == 200


BAD_PROPOSALS = [
    ({"state": None}, 422, "coalition-state"),
    ({"convention": "NPT"}, 422, "coalition-convention"),
    ({"areas": ["stockpile-destruction", "moon-clearance"]}, 422, "coalition-area"),
    ({"lead": "japan"}, 422, "lead-not-member"),
    (
        {"members": [{"party": "norway"}, {"party": "norway"}], "lead": None},
        409,
        "member-twice",
    ),
]


@pytest.mark.parametrize(("changes", "status", "rule"), BAD_PROPOSALS)
async def test_a_bad_coalition_is_refused_and_nothing_is_stored_or_told(
    api: Api, environment: Environment, changes: dict[str, Any], status: int, rule: str
) -> None:
    before = await counts(environment)

    answer = await post(api, SECRETARIAT, "/v1/coalitions", {**BODY, **changes})

    assert answer.status_code == status, answer.text
    assert answer.json()["rule"] == rule
    assert await counts(environment) == before


@pytest.mark.parametrize(
    ("who", "rule"),
    [
        (OPERATOR, "coalition-proposer"),
        (BALKANS, "coalition-proposer"),
        (LAO, "coalition-proposer"),
        (NETHERLANDS, "coalition-proposer"),
    ],
)
async def test_only_the_secretariat_or_the_state_proposes(
    api: Api, environment: Environment, who: Principal, rule: str
) -> None:
    before = await counts(environment)

    answer = await post(api, who, "/v1/coalitions", BODY)

    assert answer.status_code == 403, answer.text
    assert answer.json()["rule"] == rule
    assert await counts(environment) == before


def _late(follow_up: dict[str, str]) -> dict[str, Any]:
    return {**ROUND_TABLE, "follow_ups": [{**ROUND_TABLE["follow_ups"][0], **follow_up}]}


BAD_CHANGES = [
    (NORWAY, "lead", {"party": "japan"}, 403, "coalition-lead"),
    (SECRETARIAT, "lead", {"party": "japan"}, 422, "lead-not-member"),
    (NORWAY, "members", {"kind": "state"}, 409, "member-twice"),
    (NORWAY, "members", {"party": "undp", "kind": "organisation"}, 403, "coalition-membership"),
    (OPERATOR, "members", {"party": "undp", "kind": "organisation"}, 403, "coalition-membership"),
    (SWEDEN, "members/sweden/leave", None, 409, "not-a-member"),
    (SWEDEN, "dialogue", ROUND_TABLE, 404, None),
    (SECRETARIAT, "members/japan/leave", None, 409, "not-a-member"),
    (SECRETARIAT, "members/netherlands/leave", None, 409, "lead-leaving"),
    (BIH, "dialogue", _late({"due": "2026-11-30"}), 422, "follow-up-due-before-dialogue"),
    (BIH, "dialogue", _late({"owner": " "}), 422, "follow-up-owner"),
    (NORWAY, "dialogue", ROUND_TABLE, 403, "coalition-dialogue"),
    (BALKANS, "dialogue", ROUND_TABLE, 403, "coalition-dialogue"),
    (OPERATOR, "close", {}, 403, "coalition-close"),
]


@pytest.mark.parametrize(("who", "path", "body", "status", "rule"), BAD_CHANGES)
async def test_a_bad_change_is_refused_and_nothing_is_stored_or_told(
    api: Api,
    environment: Environment,
    who: Principal,
    path: str,
    body: Any,
    status: int,
    rule: str | None,
) -> None:
    created = await propose(api)
    before = await counts(environment)

    answer = await post(api, who, f"/v1/coalitions/{created['id']}/{path}", body)

    assert answer.status_code == status, answer.text
    assert answer.json().get("rule") == rule
    assert await counts(environment) == before
    now = await api.client.get(
        f"/v1/coalitions/{created['id']}", headers=api.headers_for(SECRETARIAT)
    )
    assert now.json()["version"] == created["version"]


async def coalition_events(environment: Environment, topic: str) -> list[Any]:
    """The coalitions' events on `topic` so far (the matches' events beside them left out)."""
    records = await read_topic(environment.kafka_bootstrap_servers, topic, 1, seconds=2)
    payloads = (decode(r.value, r.key).payload for r in records)
    return [p for p in payloads if p.event_type.startswith("coalition.")]


def _ledger(source_id: Any, window_id: Any, request_id: Any, kind: str, amount: str) -> Any:
    return LedgerEntryRecorded(
        entry_id=uuid4(),
        source_id=source_id,
        window_id=window_id,
        request_id=request_id,
        kind=kind,
        amount=Decimal(amount),
        currency="USD",
        date=date(2026, 11, 20),
        actor="donor",
    )


async def test_the_summary_sets_the_need_against_each_members_pledges_commitments_and_disbursements(
    live_api: Api, environment: Environment
) -> None:
    api = live_api
    usd = lambda value: Amount(value=Decimal(value), currency="USD")  # noqa: E731
    open_ = request_details(state="BIH", regional_centre="western-balkans", amount=usd("800000.00"))
    funded = request_details(
        state="BIH", regional_centre="western-balkans", status="funded", amount=usd("200000.00")
    )
    unrelated = request_details(
        state="BIH", regional_centre="western-balkans", convention="APMBC", areas=[]
    )
    fund = source(window("1.00"), donor="netherlands", regional_focus=["western-balkans"])
    await seed(api, [open_, funded, unrelated], [fund])
    created = await propose(api)
    entries = [
        _ledger(fund.source_id, fund.windows[0].window_id, funded.request_id, kind, amount)
        for kind, amount in (
            ("pledged", "250000.00"),
            ("committed", "200000.00"),
            ("disbursed", "80000.00"),
        )
    ]
    funds = api.resources.topics.global_(Stream.FUNDS)
    for entry in [*entries, entries[0]]:  # a repeat counts once
        await publish(api.resources, funds, entry, str(fund.source_id))
    path = f"/v1/coalitions/{created['id']}/summary"

    async def summary() -> dict[str, Any]:
        answer = await api.client.get(path, headers=api.headers_for(BIH))
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    found = await eventually(
        summary, lambda s: len(s["givers"]) == 1 and s["givers"][0]["disbursed"] == "80000.00"
    )

    assert [r["request_id"] for r in found["open_requests"]] == [str(open_.request_id)]
    assert [r["request_id"] for r in found["funded_requests"]] == [str(funded.request_id)]
    assert found["needs"] == [
        {
            "measure": "USD",
            "asked": "1000000.00",
            "covered": "0",
            "missing": "1000000.00",
            "in_kind": False,
        }
    ]
    (netherlands,) = found["givers"]
    assert netherlands["party"] == "netherlands"
    assert netherlands["member"]
    assert (netherlands["pledged"], netherlands["committed"]) == ("250000.00", "200000.00")
    hidden = await api.client.get(path, headers=api.headers_for(SWEDEN))
    assert hidden.status_code == 404
    regional = api.resources.topics.regional("western-balkans", Stream.MATCHES)
    told = await eventually(lambda: coalition_events(environment, regional), bool)
    assert [p.event_type for p in told] == ["coalition.proposed"]
    assert told[0].coalition.lead == "netherlands"  # type: ignore[attr-defined]


async def test_matching_prefers_the_coalitions_members_for_the_states_requests(
    api: Api,
) -> None:
    details = request_details(
        state="BIH",
        regional_centre="western-balkans",
        amount=Amount(value=Decimal("500000.00"), currency="USD"),
        deadline=NOW.date() + timedelta(days=365),
    )
    supports = [Support(convention="CCM", areas=SURVEY)]
    funds = [
        source(window("500000.00"), donor=donor, supports=supports, regional_focus=[])
        for donor in ("norway", "sweden")
    ]
    await seed(api, [details], funds)
    await propose(api, members=[{"party": "sweden", "kind": "state"}], lead="sweden")

    await reallocate(api)

    answer = await api.client.get(
        f"/v1/requests/{details.request_id}/proposals", headers=api.headers_for(SECRETARIAT)
    )
    (proposal,) = answer.json()
    assert (proposal["donor"], proposal["amount"]) == ("sweden", "500000.00")
    assert proposal["explanation"]["coalition"] == {"member": "sweden", "bonus": 0.25}


async def test_a_proposal_outside_any_coalition_says_no_coalition(api: Api) -> None:
    details = request_details(state="BIH", regional_centre="western-balkans")
    fund = source(window("2000000.00"), donor="norway", regional_focus=[])
    await seed(api, [details], [fund])

    await reallocate(api)

    answer = await api.client.get(
        f"/v1/requests/{details.request_id}/proposals", headers=api.headers_for(SECRETARIAT)
    )
    (proposal,) = answer.json()
    assert "coalition" not in proposal["explanation"]


async def test_the_coalition_page_shows_members_need_and_dialogue_and_records_an_entry_once(
    api: Api, environment: Environment
) -> None:
    details = request_details(state="BIH", regional_centre="western-balkans")
    await seed(api, [details], [])
    created = await propose(api)
    page = f"/portal/coalitions/{created['id']}"
    form = (
        "idempotency_key=page-entry-1&date=2026-12-01&kind=field-visit"
        "&participants=BIH%2C+netherlands&agreed=Visit+the+Stolac+sites"
        "&follow_up_action=Report+the+visit&follow_up_owner=netherlands&follow_up_due=2027-01-10"
    )

    listed = await page_as(api, BALKANS, "/portal/coalitions")
    shown = await page_as(api, NETHERLANDS, page)
    sent = [await api.client.post(f"{page}/dialogue", content=form, headers=FORM) for _ in "ab"]
    early = form.replace("idempotency_key=page-entry-1", "idempotency_key=page-entry-2")
    refused = await api.client.post(
        f"{page}/dialogue", content=early.replace("2027-01-10", "2026-11-01"), headers=FORM
    )
    after = await api.client.get(page)
    hidden = await page_as(api, LAO, page)
    norway = await page_as(api, NORWAY, page)

    assert created["id"] in listed.text
    assert shown.status_code == 200
    assert 'data-member="netherlands"' in shown.text
    assert 'data-member="norway"' in shown.text
    assert f'data-request="{details.request_id}"' in shown.text
    assert "1,500,000.00 USD" in shown.text  # the need
    assert [s.status_code for s in sent] == [303, 303]
    assert refused.status_code == 422
    assert "before the field visit" in refused.text
    assert after.text.count("data-dialogue=") == 1
    assert "Report the visit: netherlands" in after.text
    assert hidden.status_code == 404
    assert 'action="/portal/coalitions/' + created["id"] + '/dialogue"' not in norway.text
    rows = await fetch(
        environment.database_url, "SELECT count(*) AS n FROM matching.coalition_dialogue"
    )
    assert rows[0]["n"] == 1


async def test_a_donor_joins_from_the_coalition_page(api: Api) -> None:
    created = await propose(api)
    page = f"/portal/coalitions/{created['id']}"

    await sign_in(api, SWEDEN)
    joined = await api.client.post(
        f"{page}/join", content="idempotency_key=join-1&kind=state", headers=FORM
    )
    shown = await api.client.get(page)

    assert joined.status_code == 303
    assert 'data-member="sweden"' in shown.text
    assert "Join the coalition" not in shown.text


async def test_the_demo_coalitions_load_once_with_their_members_and_dialogue(api: Api) -> None:
    async with httpx.AsyncClient(
        transport=api.client._transport,
        base_url=str(api.client.base_url),
        headers=api.headers_for(SECRETARIAT),
    ) as client:
        keys = {SWEDEN: api.headers_for(SWEDEN)["Authorization"].removeprefix("Bearer ")}
        first = await load_coalitions(client, keys)
        second = await load_coalitions(client, keys)

    found = await api.client.get("/v1/coalitions", headers=api.headers_for(OPERATOR))
    by_state = {c["state"]: c for c in found.json()}
    assert first == second
    assert set(by_state) == {"ALB", "LKA"}
    assert by_state["ALB"]["lead"] == "netherlands"
    assert "montenegro" in {m["party"] for m in by_state["ALB"]["members"]}
    assert {m["party"]: m["kind"] for m in by_state["LKA"]["members"]}["sweden"] == "state"
    assert [len(c["dialogue"]) for c in by_state.values()] == [1, 1]
