"""The inventory's portal pages over HTTP: each office's sources with their windows and ledger,
filters and paging, and nothing of another donor's, state's or region's sources."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

import pytest

from services.inventory.api import pages
from shared.languages import Names
from tests.integration.inventory.conftest import (
    BALKANS,
    CAMBODIA,
    JAPAN,
    LAO,
    NORWAY,
    OPERATOR,
    SECRETARIAT,
    SOUTH_EAST_ASIA,
)
from tests.integration.inventory.flows import record, register
from tests.integration.inventory.test_state_offers import offer
from tests.inventory_factories import window_body
from tests.portal_pages import next_page, page_as, sign_in
from tests.service_api import Api


@dataclass
class Scene:
    norway: dict[str, Any]
    japan: dict[str, Any]
    cambodia: dict[str, Any]


async def scene(api: Api) -> Scene:
    """Norway's fund for South-eastern Asia with a pledge, a commitment and a disbursement;
    Japan's agency's for the Western Balkans; Cambodia's offer of expert-days."""
    norway = await register(
        api, NORWAY, name="Norway: mine action", regional_focus=["south-eastern-asia"]
    )
    japan = await register(
        api,
        JAPAN,
        name="Japan: Balkans clearance",
        kind="bilateral-agency",
        donor="japan",
        home_country="JPN",
        regional_focus=["western-balkans"],
        windows=[window_body("500000.00")],
    )
    cambodia = await register(api, CAMBODIA, **offer())
    request_id = uuid4()
    await record(api, norway, "pledges", "300000.00")
    await record(api, norway, "commitments", "200000.00", request_id=request_id)
    await record(api, norway, "disbursements", "50000.00", request_id=request_id, note="first")
    return Scene(norway, japan, cambodia)


def listed(html: str) -> set[str]:
    return set(re.findall(r'data-source="([^"]+)"', html))


def cell(html: str, row: str, name: str) -> str:
    """The text of one cell (by its class) of the first row marked `row`."""
    found = html.split(row)[1].split(f'class="number {name}">')[1].split("</td>")[0]
    return found.strip()


async def test_each_office_sees_the_sources_it_looks_after_and_no_others(api: Api) -> None:
    s = await scene(api)
    ids = {"norway": s.norway["id"], "japan": s.japan["id"], "cambodia": s.cambodia["id"]}

    seen = {
        who.label: await page_as(api, who, "/portal/sources")
        for who in (NORWAY, JAPAN, CAMBODIA, LAO, SOUTH_EAST_ASIA, BALKANS, SECRETARIAT, OPERATOR)
    }

    assert {label: page.status_code for label, page in seen.items()} == dict.fromkeys(seen, 200)
    assert {label: listed(page.text) for label, page in seen.items()} == {
        "donor:norway": {ids["norway"]},
        "donor:japan": {ids["japan"]},
        "national:KHM": {ids["cambodia"]},
        "national:LAO": set(),
        "regional:south-eastern-asia": {ids["norway"]},
        "regional:western-balkans": {ids["japan"]},
        "secretariat": set(ids.values()),
        "operator": set(ids.values()),
    }
    norway = seen["donor:norway"].text
    assert "Japan" not in norway
    assert "Cambodia" not in norway
    window = f'data-window="{s.norway["windows"][0]["id"]}"'
    assert cell(norway, window, "capacity") == "1,000,000.00 USD"
    assert cell(norway, window, "used") == "200,000.00 USD"
    assert cell(norway, window, "left") == "800,000.00 USD"
    totals = 'data-measure="USD"'
    assert cell(norway, totals, "pledged") == "300,000.00 USD"
    assert cell(norway, totals, "committed") == "200,000.00 USD"
    assert cell(norway, totals, "disbursed") == "50,000.00 USD"
    cambodia = seen["national:KHM"].text
    assert cell(cambodia, 'data-measure="expert-days"', "left").startswith("400")
    assert "Norway" not in seen["regional:western-balkans"].text


async def test_sources_are_filtered_and_paged(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    s = await scene(api)
    await sign_in(api, SECRETARIAT)

    offers = await api.client.get("/portal/sources", params={"kind": "donor-state"})
    japans = await api.client.get("/portal/sources", params={"donor": "japan"})
    closed = await api.client.get("/portal/sources", params={"status": "closed"})
    bad = await api.client.get("/portal/sources", params={"kind": "charity"})
    monkeypatch.setattr(pages, "PAGE_SIZE", 2)
    first = await api.client.get("/portal/sources")
    second = await next_page(api, "/portal/sources", first)
    await sign_in(api, NORWAY)
    another_donor = await api.client.get("/portal/sources", params={"donor": "japan"})

    assert listed(offers.text) == {s.norway["id"], s.cambodia["id"]}  # Japan's is an agency's
    assert listed(japans.text) == {s.japan["id"]}
    assert listed(closed.text) == set()
    assert bad.status_code == 422
    assert 'id="f-kind-error"' in bad.text
    assert len(listed(first.text)) == 2
    assert listed(first.text) | listed(second.text) == {
        s.norway["id"],
        s.japan["id"],
        s.cambodia["id"],
    }
    assert 'rel="next"' not in second.text
    assert listed(another_donor.text) == set()
    assert "Japan" not in another_donor.text
    assert 'name="donor"' not in another_donor.text  # a donor's list is its own


async def test_a_source_page_shows_its_windows_and_ledger_to_those_who_look_after_it(
    api: Api,
) -> None:
    s = await scene(api)
    own = await page_as(api, NORWAY, f"/portal/sources/{s.norway['id']}")
    anothers = await api.client.get(f"/portal/sources/{s.japan['id']}")
    nobody = uuid4()
    unknown = await api.client.get(f"/portal/sources/{nobody}")
    malformed = await api.client.get("/portal/sources/not-an-id")
    centre = await page_as(api, SOUTH_EAST_ASIA, f"/portal/sources/{s.norway['id']}")
    other_centre = await page_as(api, BALKANS, f"/portal/sources/{s.norway['id']}")
    operator = await page_as(api, OPERATOR, f"/portal/sources/{s.japan['id']}")
    api.client.cookies.clear()
    signed_out = await api.client.get(f"/portal/sources/{s.norway['id']}")

    assert own.status_code == 200
    assert "<h1>Norway: mine action</h1>" in own.text
    assert len(re.findall(r"data-entry=", own.text)) == 3
    assert "pledged" in own.text
    assert "disbursed" in own.text
    assert "first" in own.text
    assert cell(own.text, 'data-window="', "used") == "200,000.00 USD"
    assert "South-eastern Asia" in own.text or "south-eastern-asia" in own.text
    for refused in (anothers, unknown, malformed, other_centre):
        assert refused.status_code == 404
        assert "Source not found" in refused.text
        assert "Japan" not in refused.text
        assert "Norway: mine action" not in refused.text
    assert anothers.text.replace(s.japan["id"], "?") == unknown.text.replace(str(nobody), "?")
    assert centre.status_code == operator.status_code == 200
    assert signed_out.status_code == 303
    assert signed_out.headers["location"].startswith("/portal/sign-in")


async def test_names_are_given_in_the_language_asked_for(api: Api) -> None:
    s = await scene(api)
    french = Names("fr")

    listed_page = await page_as(api, NORWAY, "/portal/sources", lang="fr")
    source_page = await api.client.get(f"/portal/sources/{s.norway['id']}", params={"lang": "fr"})

    assert listed_page.headers["content-language"] == "fr"
    assert french.state("NOR") in listed_page.text
    assert french.state("NOR") != Names().state("NOR")
    assert f'href="/portal/sources/{s.norway["id"]}?lang=fr"' in listed_page.text
    assert french.state("NOR") in source_page.text
