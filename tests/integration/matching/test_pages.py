"""The matching service's portal pages over HTTP: the proposals and coalitions each office may
see, donors' answers through the page's forms, refusals that change nothing, answers sent twice
that count once."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from services.matching.api import pages
from shared.events.inventory import Support
from shared.events.requests import Amount, RequestDetails
from shared.languages import Names
from shared.portal.forms import FORM_KEY
from tests.database import fetch
from tests.integration.matching.conftest import (
    KHM,
    LAO,
    NORWAY,
    OPERATOR,
    SECRETARIAT,
    SOUTH_EAST_ASIA,
    SWEDEN,
    seed,
)
from tests.integration.matching.test_api import outbox_count, proposals, reallocate
from tests.matching_factories import request_details, source, window
from tests.portal_pages import FORM, next_page, page_as, sign_in
from tests.service_api import Api
from tests.system import Environment

LAO_TITLE = "Clearance of cluster munition remnants in Xieng Khouang"
ALB_TITLE = "Assistance to the victims of cluster munitions in Albania"


@dataclass
class Scene:
    """Two donors proposed for Lao PDR's request, and Sweden's Balkan fund for Albania's."""

    lao: RequestDetails
    alb: RequestDetails
    norway: dict[str, Any]
    sweden: dict[str, Any]
    balkans: dict[str, Any]


async def scene(api: Api) -> Scene:
    lao = request_details(
        title=LAO_TITLE, amount=Amount(value=Decimal("900000.00"), currency="USD")
    )
    alb = request_details(
        state="ALB",
        regional_centre="western-balkans",
        title=ALB_TITLE,
        areas=["victim-assistance"],
        amount=Amount(value=Decimal("200000.00"), currency="USD"),
    )
    balkans = source(
        window("200000.00"),
        donor="sweden",
        name="Sweden: Balkans victim assistance",
        supports=[Support(convention="CCM", areas=["victim-assistance"])],
        regional_focus=["western-balkans"],
    )
    await seed(
        api,
        [lao, alb],
        [
            source(window("600000.00"), name="Norway: mine action fund"),
            source(window("300000.00"), donor="sweden", name="Sweden: mine action in Asia"),
            balkans,
        ],
    )
    await reallocate(api)
    found = await proposals(api, "/v1/proposals")
    by = {(p["donor"], p["state"]): p for p in found}
    assert len(found) == 3, found
    return Scene(lao, alb, by[("norway", "LAO")], by[("sweden", "LAO")], by[("sweden", "ALB")])


def shown(html: str, attribute: str) -> set[str]:
    return set(re.findall(rf'data-{attribute}="([^"]+)"', html))


def row_of(html: str, proposal_id: str) -> str:
    """The proposal's row of the list (its explanation holds a table of its own)."""
    return html.split(f'data-proposal="{proposal_id}"')[1].split("\n    </tr>")[0]


def form_key(html: str, proposal_id: str, answer: str) -> str:
    form = html.split(f'action="/portal/proposals/{proposal_id}/{answer}"')[1]
    found = re.search(rf'name="{FORM_KEY}" value="([^"]+)"', form)
    assert found
    return found.group(1)


async def post(api: Api, path: str, **fields: str) -> Any:
    body = "&".join(f"{k}={v}" for k, v in fields.items())
    return await api.client.post(path, content=body, headers=FORM)


async def status_of(api: Api, proposal: dict[str, Any]) -> str:
    answer = await api.client.get(
        f"/v1/proposals/{proposal['id']}", headers=api.headers_for(OPERATOR)
    )
    status: str = answer.json()["status"]
    return status


async def test_each_office_sees_the_proposals_of_its_scope_and_nothing_else(api: Api) -> None:
    s = await scene(api)
    ids = {"norway": s.norway["id"], "sweden": s.sweden["id"], "balkans": s.balkans["id"]}

    seen = {
        who.label: await page_as(api, who, "/portal/proposals")
        for who in (NORWAY, SWEDEN, LAO, KHM, SOUTH_EAST_ASIA, SECRETARIAT, OPERATOR)
    }

    assert {label: page.status_code for label, page in seen.items()} == dict.fromkeys(seen, 200)
    rows = {label: shown(page.text, "proposal") for label, page in seen.items()}
    assert rows == {
        "donor:norway": {ids["norway"]},
        "donor:sweden": {ids["sweden"], ids["balkans"]},
        "national:LAO": {ids["norway"], ids["sweden"]},
        "national:KHM": set(),
        "regional:south-eastern-asia": {ids["norway"], ids["sweden"]},
        "secretariat": set(ids.values()),
        "operator": set(ids.values()),
    }
    norway = seen["donor:norway"].text
    assert LAO_TITLE in norway
    assert "Lao" in norway
    assert ALB_TITLE not in norway
    assert "Sweden" not in norway
    assert "recipient-eligible" in norway
    assert "thematic fit" in norway
    assert "guaranteed this request" in norway
    assert f'action="/portal/proposals/{ids["norway"]}/accept"' in norway
    assert "/accept" not in seen["national:LAO"].text
    assert "/accept" not in seen["operator"].text
    assert "/accept" not in seen["secretariat"].text  # every source here names its donor
    assert ALB_TITLE not in seen["regional:south-eastern-asia"].text
    assert LAO_TITLE not in seen["national:KHM"].text


async def test_proposals_are_filtered_and_paged(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    s = await scene(api)
    await sign_in(api, SWEDEN)
    accepted = await post(
        api, f"/portal/proposals/{s.balkans['id']}/accept", **{FORM_KEY: "sweden-balkans"}
    )

    by_request = await api.client.get(
        "/portal/proposals", params={"request": str(s.alb.request_id)}
    )
    by_source = await api.client.get("/portal/proposals", params={"source": s.sweden["source_id"]})
    by_status = await api.client.get("/portal/proposals", params={"status": "accepted"})
    bad = await api.client.get("/portal/proposals", params={"status": "funded"})
    monkeypatch.setattr(pages, "PAGE_SIZE", 1)
    first = await api.client.get("/portal/proposals")
    second = await next_page(api, "/portal/proposals", first)

    assert accepted.status_code == 303
    assert shown(by_request.text, "proposal") == {s.balkans["id"]}
    assert ALB_TITLE in by_request.text.split("<table")[0]  # named above the list
    assert shown(by_source.text, "proposal") == {s.sweden["id"]}
    assert shown(by_status.text, "proposal") == {s.balkans["id"]}
    assert bad.status_code == 422
    assert 'id="f-status-error"' in bad.text
    assert shown(bad.text, "proposal") == set()
    pages_seen = [shown(first.text, "proposal"), shown(second.text, "proposal")]
    assert all(len(p) == 1 for p in pages_seen)
    assert pages_seen[0] | pages_seen[1] == {s.sweden["id"], s.balkans["id"]}
    assert 'rel="next"' not in second.text


async def test_a_donor_accepts_through_the_page_once_however_often_the_form_is_sent(
    api: Api, environment: Environment
) -> None:
    s = await scene(api)
    page = await page_as(api, NORWAY, "/portal/proposals", status="proposed")
    key = form_key(page.text, s.norway["id"], "accept")
    back = "status=proposed"

    first = await post(
        api, f"/portal/proposals/{s.norway['id']}/accept", idempotency_key=key, back=back
    )
    after_first = await outbox_count(environment)
    again = await post(
        api, f"/portal/proposals/{s.norway['id']}/accept", idempotency_key=key, back=back
    )
    after = await api.client.get("/portal/proposals")

    assert (first.status_code, again.status_code) == (303, 303)
    assert (
        first.headers["location"]
        == again.headers["location"]
        == "/portal/proposals?status=proposed"
    )
    assert await status_of(api, s.norway) == "accepted"
    assert await outbox_count(environment) == after_first
    accepted = await fetch(
        environment.database_url,
        "SELECT count(DISTINCT event_id) AS n FROM matching.outbox"
        " WHERE event_type LIKE '%match.accepted%'",
    )
    assert accepted[0]["n"] == 1
    row = row_of(after.text, s.norway["id"])
    assert "accepted" in row
    assert "by donor:norway" in row
    assert "/accept" not in row


async def test_a_decline_needs_a_reason_given_beside_the_field_and_stores_nothing(
    api: Api, environment: Environment
) -> None:
    s = await scene(api)
    page = await page_as(api, SWEDEN, "/portal/proposals")
    key = form_key(page.text, s.sweden["id"], "decline")
    path = f"/portal/proposals/{s.sweden['id']}/decline"
    before = await outbox_count(environment)

    blank = await post(api, path, idempotency_key=key, reason="++")
    too_long = await post(api, path, idempotency_key=key, reason="x" * 2001)
    unchanged = await status_of(api, s.sweden)
    outbox_unchanged = await outbox_count(environment)
    given = await post(api, path, idempotency_key=key, reason="outside+our+2027+priorities")

    assert blank.status_code == too_long.status_code == 422
    field = f'id="reason-{s.sweden["id"]}-error"'
    assert field in blank.text
    assert "Say why you decline" in blank.text
    assert f'id="reason-{s.sweden["id"]}" name="reason"' in blank.text
    assert f'value="{key}"' in blank.text  # the refused form keeps its key
    assert field in too_long.text
    assert "2000" in too_long.text
    assert (unchanged, outbox_unchanged) == ("proposed", before)
    assert given.status_code == 303
    assert await status_of(api, s.sweden) == "declined"
    after = await api.client.get("/portal/proposals", params={"status": "declined"})
    assert "outside our 2027 priorities" in after.text


async def test_answers_the_principal_may_not_give_are_refused_and_change_nothing(
    api: Api, environment: Environment
) -> None:
    s = await scene(api)
    before = await outbox_count(environment)
    await sign_in(api, NORWAY)
    someone_elses = await post(
        api, f"/portal/proposals/{s.sweden['id']}/accept", idempotency_key="n1"
    )
    await sign_in(api, OPERATOR)
    operator = await post(api, f"/portal/proposals/{s.norway['id']}/accept", idempotency_key="o1")
    await sign_in(api, LAO)
    state = await post(
        api, f"/portal/proposals/{s.norway['id']}/decline", idempotency_key="l1", reason="no"
    )
    api.client.cookies.clear()
    signed_out = await post(api, f"/portal/proposals/{s.norway['id']}/accept", idempotency_key="x")

    assert (
        someone_elses.status_code == 404
    )  # as an unknown proposal: nothing of another donor shown
    assert "Not found" in someone_elses.text
    assert s.sweden["id"] not in shown(someone_elses.text, "proposal")
    assert operator.status_code == state.status_code == 403
    assert "does not answer for this source" in operator.text
    assert "does not answer for this source" in state.text
    assert signed_out.status_code == 303
    assert signed_out.headers["location"].startswith("/portal/sign-in")
    assert await outbox_count(environment) == before
    assert {await status_of(api, p) for p in (s.norway, s.sweden)} == {"proposed"}


async def test_each_office_sees_the_coalitions_it_takes_part_in_or_oversees(api: Api) -> None:
    s = await scene(api)
    await sign_in(api, NORWAY)
    await post(api, f"/portal/proposals/{s.norway['id']}/accept", idempotency_key="n-accept")
    lao, alb = str(s.lao.request_id), str(s.alb.request_id)

    seen = {
        who.label: await page_as(api, who, "/portal/coalitions")
        for who in (NORWAY, SWEDEN, LAO, KHM, SOUTH_EAST_ASIA, OPERATOR)
    }
    by_state = await page_as(api, SECRETARIAT, "/portal/coalitions", state="ALB")
    bad = await api.client.get("/portal/coalitions", params={"state": "XX"})

    assert {label: shown(page.text, "coalition") for label, page in seen.items()} == {
        "donor:norway": {lao},
        "donor:sweden": {lao, alb},
        "national:LAO": {lao},
        "national:KHM": set(),
        "regional:south-eastern-asia": {lao},
        "operator": {lao, alb},
    }
    norway = seen["donor:norway"].text
    assert ALB_TITLE not in norway
    money = norway.split('data-need="money"')[1].split("</tr>")[0]
    assert "600,000.00 USD" in money.split('class="number committed"')[1].split("</td>")[0]
    assert "300,000.00 USD" in money.split('class="number proposed"')[1].split("</td>")[0]
    assert "Sweden: mine action in Asia" in norway  # a fellow member, named
    assert shown(by_state.text, "coalition") == {alb}
    assert bad.status_code == 422
    assert 'id="f-state-error"' in bad.text


async def test_the_secretariat_answers_a_source_that_names_no_donor(api: Api) -> None:
    request = request_details(title=LAO_TITLE)
    fund = source(window("400000.00"), donor="none", name="Global Environment Facility")
    await seed(api, [request], [fund.model_copy(update={"donor": None})])
    await reallocate(api)
    proposal = (await proposals(api, "/v1/proposals"))[0]
    accept = f'action="/portal/proposals/{proposal["id"]}/accept"'

    secretariat = await page_as(api, SECRETARIAT, "/portal/proposals")
    operator = await page_as(api, OPERATOR, "/portal/proposals")
    state = await page_as(api, LAO, "/portal/proposals")

    assert proposal["donor"] is None
    assert accept in secretariat.text
    assert accept not in operator.text
    assert accept not in state.text
    assert "answered by the secretariat" in state.text


async def test_names_are_given_in_the_language_asked_for(api: Api) -> None:
    await scene(api)
    french = Names("fr")

    page = await page_as(api, SOUTH_EAST_ASIA, "/portal/proposals", lang="fr")
    coalitions = await api.client.get("/portal/coalitions", params={"lang": "fr"})

    assert page.headers["content-language"] == "fr"
    assert french.state("LAO") in page.text
    assert french.state("LAO") != Names().state("LAO")
    assert "lang=fr&amp;request=" in page.text  # its links keep the language
    assert french.state("LAO") in coalitions.text


async def test_a_focal_point_answers_its_own_states_offer_on_the_page(api: Api) -> None:
    request = request_details(title=LAO_TITLE)
    offer = source(window("300000.00"), donor="cambodia", name="Cambodia: mine action fund")
    await seed(api, [request], [offer.model_copy(update={"home_country": "KHM"})])
    await reallocate(api)
    proposal = (await proposals(api, "/v1/proposals"))[0]
    accept = f"/portal/proposals/{proposal['id']}/accept"

    cambodia = await page_as(api, KHM, "/portal/proposals")
    key = form_key(cambodia.text, proposal["id"], "accept")
    accepted = await post(api, accept, idempotency_key=key)
    lao = await page_as(api, LAO, "/portal/proposals")

    assert shown(cambodia.text, "proposal") == {proposal["id"]}
    assert accepted.status_code == 303
    assert await status_of(api, proposal) == "accepted"
    assert "by national:KHM" in row_of(lao.text, proposal["id"])
    assert f'action="{accept}"' not in lao.text
