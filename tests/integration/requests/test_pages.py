"""The requests service's portal pages over HTTP: what each office sees, the request form and its
refusals beside each field, the changes of a request and the review queue, each write once."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from lxml import html

from shared.geography import countries
from shared.principal import Principal
from tests.database import fetch
from tests.integration.requests.conftest import (
    BALKANS,
    DONOR,
    KHM,
    LAO,
    OPERATOR,
    PER,
    SECRETARIAT,
    SOUTH_EAST_ASIA,
)
from tests.integration.requests.flows import act, create
from tests.portal_pages import FORM, sign_in
from tests.service_api import Api
from tests.system import Environment

NEXT_YEAR = (date.today() + timedelta(days=365)).isoformat()
TITLE = "Clearance of cluster munition remnants in Xieng Khouang"


def filled(**changes: str) -> dict[str, str]:
    """The request form as a focal point fills it in (field names are the API body's paths)."""
    fields = {
        "convention": "CCM",
        "areas": "CCM/survey-and-clearance",
        "assistance_types": "financial",
        "title": TITLE,
        "description": "Clearance of confirmed hazardous areas ahead of the Article 4 deadline.",
        "amount.value": "1500000.00",
        "amount.currency": "USD",
        "deadline": NEXT_YEAR,
        "deadline_reason": "Article 4 clearance deadline",
        "urgency": "high",
        "contact.name": "National focal point",
        "contact.email": "focal.point@example.org",
    }
    return {**fields, **changes}


async def post(api: Api, path: str, fields: dict[str, str] | list[tuple[str, str]]) -> Any:
    return await api.client.post(path, content=urlencode(fields), headers=FORM)


def page(response: Any) -> Any:
    return html.fromstring(response.text)


def hidden_key(response: Any, action: str) -> str:
    """The idempotency key of the page's form posting to `action`."""
    [key] = page(response).xpath(
        f"//form[@action='{action}']//input[@name='idempotency_key']/@value"
    )
    return str(key)


async def opened(api: Api, who: Principal, request_id: str) -> Any:
    """The request's page as `who` signs in and opens it."""
    await sign_in(api, who)
    return await api.client.get(f"/portal/requests/{request_id}")


def listed(response: Any) -> set[str]:
    return set(page(response).xpath("//table[@id='requests']//tr/@data-request"))


async def stored_requests(environment: Environment) -> int:
    [row] = await fetch(environment.database_url, "SELECT count(*) FROM requests.requests")
    return int(row[0])


async def status_of(environment: Environment, request_id: str) -> str:
    [row] = await fetch(
        environment.database_url, f"SELECT status FROM requests.requests WHERE id = '{request_id}'"
    )
    return str(row[0])


async def test_each_office_lists_the_requests_it_may_see_and_donors_are_refused(
    api: Api,
) -> None:
    ids = {who.state: (await create(api, who))["id"] for who in (LAO, KHM, PER)}
    seen = {}
    for who in (LAO, KHM, SOUTH_EAST_ASIA, BALKANS, SECRETARIAT, OPERATOR):
        await sign_in(api, who)
        answer = await api.client.get("/portal/requests")
        assert answer.status_code == 200, answer.text
        seen[who.label] = listed(answer)
        new_link = page(answer).xpath("//a[@href='/portal/requests/new']")
        assert bool(new_link) == (who.role == "national")
    await sign_in(api, DONOR)
    refused = [
        await api.client.get(path)
        for path in ("/portal/requests", "/portal/queue", f"/portal/requests/{ids['PER']}")
    ]

    assert seen == {
        "national:LAO": {ids["LAO"]},
        "national:KHM": {ids["KHM"]},
        "regional:south-eastern-asia": {ids["LAO"], ids["KHM"]},
        "regional:western-balkans": set(),
        "secretariat": set(ids.values()),
        "operator": set(ids.values()),
    }
    assert [r.status_code for r in refused] == [403, 403, 403]
    assert all(TITLE not in r.text and "Survey and clearance" not in r.text for r in refused)


async def test_lists_are_filtered_viewed_and_paged(api: Api) -> None:
    first = await create(api, LAO, title="First survey request")
    second = await create(api, LAO, convention="APMBC", areas=["mine-clearance"])
    near = (date.today() + timedelta(days=10)).isoformat()
    third = await create(api, LAO, deadline=near)
    for request in (first, third):
        await act(api, request["id"], "submit", LAO)
        await act(api, request["id"], "endorse", SOUTH_EAST_ASIA)
        await act(api, request["id"], "publish", SECRETARIAT)
    await sign_in(api, SOUTH_EAST_ASIA)

    async def shown(**query: str) -> set[str]:
        answer = await api.client.get(f"/portal/requests?{urlencode(query)}")
        assert answer.status_code == 200, answer.text
        return listed(answer)

    one_page = await api.client.get("/portal/requests?limit=2")
    [next_page] = page(one_page).xpath("//a[@rel='next']/@href")
    rest = await api.client.get(f"/portal/requests{next_page}")

    assert await shown(status="draft") == {second["id"]}
    assert await shown(convention="APMBC") == {second["id"]}
    assert await shown(area="mine-clearance") == {second["id"]}
    assert await shown(state="KHM") == set()
    assert await shown(view="unmatched") == {first["id"], third["id"]}
    assert await shown(view="open", status="draft") == set()
    assert await shown(view="at-risk") == {third["id"]}
    assert await shown(deadline_before=(date.today() + timedelta(days=30)).isoformat()) == {
        third["id"]
    }
    assert listed(one_page) == {third["id"], second["id"]}
    assert listed(rest) == {first["id"]}
    assert "limit=2" in next_page


async def test_a_bad_filter_is_shown_beside_its_field(api: Api) -> None:
    await create(api, LAO)
    await sign_in(api, SECRETARIAT)

    answer = await api.client.get("/portal/requests?state=XXX&deadline_before=soon")

    assert answer.status_code == 422
    document = page(answer)
    assert document.xpath("//select[@name='state']/@aria-invalid") == ["true"]
    assert document.xpath("//input[@name='deadline_before']/@aria-invalid") == ["true"]
    assert listed(answer) == set()


async def test_a_request_of_another_state_or_region_is_the_same_404_as_an_unknown_id(
    api: Api, environment: Environment
) -> None:
    request_id = (await create(api, LAO))["id"]
    answers = {}
    for who in (KHM, BALKANS):
        await sign_in(api, who)
        answers[who.label] = await api.client.get(f"/portal/requests/{request_id}")
        submitted = await post(
            api, f"/portal/requests/{request_id}/submit", {"idempotency_key": f"k-{who.label}"}
        )
        answers[f"{who.label} submits"] = submitted
    unknown = await api.client.get("/portal/requests/00000000-0000-4000-8000-000000000000")
    not_an_id = await api.client.get("/portal/requests/secrets")

    def main(answer: Any) -> str:
        return str(html.tostring(page(answer).xpath("//main")[0]))

    assert {a.status_code for a in (*answers.values(), unknown, not_an_id)} == {404}
    assert {main(a) for a in (*answers.values(), unknown, not_an_id)} == {main(unknown)}
    assert await status_of(environment, request_id) == "draft"


async def test_the_focal_point_creates_a_draft_once_however_often_the_form_is_sent(
    api: Api, environment: Environment
) -> None:
    await sign_in(api, LAO)
    form = await api.client.get("/portal/requests/new")
    key = hidden_key(form, "/portal/requests/new")
    fields = {**filled(), "idempotency_key": key}

    first, double_click = await asyncio.gather(
        post(api, "/portal/requests/new", fields), post(api, "/portal/requests/new", fields)
    )
    again = await post(api, "/portal/requests/new", fields)
    shown = await api.client.get(first.headers["location"])

    assert form.status_code == 200
    assert [a.status_code for a in (first, double_click, again)] == [303, 303, 303]
    assert {a.headers["location"] for a in (first, double_click, again)} == {
        first.headers["location"]
    }
    assert await stored_requests(environment) == 1
    assert page(shown).xpath("//*[@id='status']/text()") == ["draft"]
    assert TITLE in shown.text


async def test_only_a_focal_point_has_the_request_form(api: Api) -> None:
    codes = []
    for who in (SOUTH_EAST_ASIA, SECRETARIAT, OPERATOR, DONOR):
        await sign_in(api, who)
        codes.append((await api.client.get("/portal/requests/new")).status_code)
        codes.append((await post(api, "/portal/requests/new", filled())).status_code)

    assert codes == [403] * 8


BAD_FORMS: list[tuple[str, dict[str, str], str]] = [
    ("no title", {"title": ""}, "title"),
    ("short title", {"title": "ab"}, "title"),
    ("unknown convention", {"convention": "Kyoto"}, "convention"),
    ("area of another convention", {"areas": "Stockholm/pops-inventory"}, "areas"),
    ("no area", {"areas": ""}, "areas"),
    ("negative amount", {"amount.value": "-5"}, "amount.value"),
    ("amount not a number", {"amount.value": "lots"}, "amount.value"),
    ("fractions of a cent", {"amount.value": "10.001"}, "amount.value"),
    ("no currency", {"amount.currency": ""}, "amount.currency"),
    ("unknown currency", {"amount.currency": "XYZ"}, "amount.currency"),
    ("lower-case currency", {"amount.currency": "usd"}, "amount.currency"),
    ("deadline in the past", {"deadline": "2020-01-01"}, "deadline"),
    ("no deadline", {"deadline": ""}, "deadline"),
    ("bad e-mail", {"contact.email": "not-an-address"}, "contact.email"),
    ("no contact name", {"contact.name": ""}, "contact.name"),
    (
        "quantity of zero in the second row in kind",
        {"in_kind.1.unit": "expert-days", "in_kind.1.quantity": "0"},
        "in_kind.1.quantity",
    ),
    ("unit missing in kind", {"in_kind.2.quantity": "12"}, "in_kind.2.unit"),
    (
        "evidence date not a date",
        {"evidence.1.kind": "survey", "evidence.1.date": "soon"},
        "evidence.1.date",
    ),
]


@pytest.mark.parametrize(("case", "changes", "name"), BAD_FORMS, ids=[b[0] for b in BAD_FORMS])
async def test_a_bad_field_is_shown_beside_it_the_form_stays_filled_and_nothing_is_stored(
    api: Api, environment: Environment, case: str, changes: dict[str, str], name: str
) -> None:
    await sign_in(api, LAO)
    fields = filled(**changes)

    answer = await post(api, "/portal/requests/new", {**fields, "idempotency_key": case})

    assert answer.status_code == 422, case
    document = page(answer)
    [marked] = document.xpath(f"//*[@name='{name}'][@aria-invalid='true']")[:1]
    described = marked.get("aria-describedby")
    [message] = document.xpath(f"//*[@id='{described}']/text()")
    assert "pattern" not in message, message
    assert document.xpath("//*[@role='alert']")
    if name != "title":
        assert document.xpath("//input[@name='title']/@value") == [fields["title"]]
    assert document.xpath("//input[@name='contact.email']/@value") == [fields["contact.email"]]
    assert await stored_requests(environment) == 0


async def test_two_needs_of_one_unit_are_refused_beside_the_help_in_kind(
    api: Api, environment: Environment
) -> None:
    await sign_in(api, LAO)
    rows = {
        f"in_kind.{row}.{name}": value
        for row in (0, 2)
        for name, value in (("unit", "expert-days"), ("quantity", "10"), ("description", "x"))
    }

    answer = await post(api, "/portal/requests/new", {**filled(**rows), "idempotency_key": "k"})

    assert answer.status_code == 422
    assert (
        page(answer).xpath("//p[@id='f-in_kind-error']/text()")[0].startswith("one need per unit")
    )
    assert page(answer).xpath("//select[@name='in_kind.2.unit']/option[@selected]/@value") == [
        "expert-days"
    ]
    assert await stored_requests(environment) == 0


async def test_a_corrected_form_sent_with_its_key_creates_the_request_once(
    api: Api, environment: Environment
) -> None:
    await sign_in(api, LAO)
    refused = await post(api, "/portal/requests/new", {**filled(title=""), "idempotency_key": "k"})
    key = hidden_key(refused, "/portal/requests/new")
    corrected = {**filled(), "idempotency_key": key}

    created = [await post(api, "/portal/requests/new", corrected) for _ in range(2)]

    assert key == "k"
    assert [c.status_code for c in created] == [303, 303]
    assert await stored_requests(environment) == 1


async def test_the_state_amends_against_the_version_it_read_and_a_stale_form_is_refused(
    api: Api, environment: Environment
) -> None:
    request_id = (await create(api, LAO))["id"]
    shown = page(await opened(api, LAO, request_id))
    action = f"/portal/requests/{request_id}/amend"
    [version] = shown.xpath(f"//form[@action='{action}']//input[@name='version']/@value")
    [shown_title] = shown.xpath(f"//form[@action='{action}']//input[@name='title']/@value")

    amended = await post(
        api, action, {**filled(title="Amended title"), "version": version, "idempotency_key": "a"}
    )
    stale = await post(
        api, action, {**filled(title="Stale title"), "version": version, "idempotency_key": "b"}
    )
    bad = await post(
        api, action, {**filled(title=""), "version": str(int(version) + 1), "idempotency_key": "c"}
    )
    [row] = await fetch(environment.database_url, "SELECT title, version FROM requests.requests")

    assert shown_title == "Survey and clearance of cluster munition remnants"
    assert amended.status_code == 303
    assert stale.status_code == 412  # the problem's status: changed since read
    assert "Changed since read" in stale.text
    assert page(stale).xpath("//*[@id='stale']")
    assert page(stale).xpath(f"//form[@action='{action}']//input[@name='title']/@value") == [
        "Stale title"
    ]
    assert bad.status_code == 422
    assert page(bad).xpath("//input[@name='title']/@aria-invalid") == ["true"]
    assert (row["title"], row["version"]) == ("Amended title", int(version) + 1)


async def test_a_request_goes_through_review_on_the_pages_of_each_office(
    api: Api, environment: Environment
) -> None:
    request_id = (await create(api, LAO))["id"]
    page_path = f"/portal/requests/{request_id}"

    async def change(who: Principal, name: str, **fields: str) -> Any:
        shown = await opened(api, who, request_id)
        action = f"{page_path}/{name}"
        key = hidden_key(shown, action)
        [version] = page(shown).xpath(f"//form[@action='{action}']//input[@name='version']/@value")
        return await post(api, action, {"idempotency_key": key, "version": version, **fields})

    def buttons(answer: Any) -> list[str]:
        return [b.strip() for b in page(answer).xpath("//main//form//button/text()")]

    submitted = await change(LAO, "submit")
    await sign_in(api, SOUTH_EAST_ASIA)
    queue = await api.client.get("/portal/queue")
    action = f"{page_path}/return"
    key = hidden_key(queue, action)
    no_reason = await post(
        api, action, {"idempotency_key": key, "back": "/portal/queue", "reason": " "}
    )
    stale = await post(
        api,
        action,
        {"idempotency_key": key, "back": "/portal/queue", "reason": "Add it", "version": "1"},
    )
    returned = await post(
        api, action, {"idempotency_key": key, "back": "/portal/queue", "reason": "Add the survey"}
    )
    seen_returned = await opened(api, LAO, request_id)
    returned_list = listed(await api.client.get("/portal/requests?view=returned"))
    resubmitted = await change(LAO, "submit")
    endorsed = await change(SOUTH_EAST_ASIA, "endorse")
    secretariat_buttons = buttons(await opened(api, SECRETARIAT, request_id))
    published = await change(SECRETARIAT, "publish")
    operator_view = await opened(api, OPERATOR, request_id)
    history = page(operator_view).xpath("//table[@id='history']//tr/@data-action")

    assert submitted.status_code == 303
    assert submitted.headers["location"] == page_path
    assert page(queue).xpath(f"//tr[@data-request='{request_id}']//button/text()") == [
        "Endorse",
        "Return",
    ]
    assert no_reason.status_code == 422
    assert page(no_reason).xpath(
        f"//tr[@data-request='{request_id}']//input[@name='reason']/@aria-invalid"
    ) == ["true"]
    assert stale.status_code == 412
    assert "Changed since read" in stale.text
    assert page(stale).xpath(f"//form[@action='{action}']//input[@name='reason']/@value") == [
        "Add it"
    ]
    assert (returned.status_code, returned.headers["location"]) == (303, "/portal/queue")
    assert page(seen_returned).xpath("//*[@id='returned']//p[@class='reason']/text()") == [
        "Add the survey"
    ]
    assert returned_list == {request_id}
    assert buttons(seen_returned) == ["Submit", "Withdraw", "Save"]
    assert resubmitted.status_code == endorsed.status_code == published.status_code == 303
    assert secretariat_buttons == ["Publish", "Return", "Withdraw"]
    assert page(operator_view).xpath("//*[@id='status']/text()") == ["published"]
    assert buttons(operator_view) == []
    assert history == ["create", "submit", "return", "submit", "endorse", "publish"]
    assert await status_of(environment, request_id) == "published"


async def test_a_change_sent_twice_is_made_once_and_one_not_for_the_office_is_refused(
    api: Api, environment: Environment
) -> None:
    request_id = (await create(api, LAO))["id"]
    shown = await opened(api, LAO, request_id)
    action = f"/portal/requests/{request_id}/submit"
    fields = {"idempotency_key": hidden_key(shown, action)}
    twice = [await post(api, action, fields) for _ in range(2)]
    publish = await post(api, f"/portal/requests/{request_id}/publish", {"idempotency_key": "p"})
    [count] = await fetch(
        environment.database_url,
        "SELECT count(*) FROM requests.request_history WHERE action = 'submit'",
    )

    assert [t.status_code for t in twice] == [303, 303]
    assert count[0] == 1
    assert publish.status_code == 403
    assert "may not publish" in publish.text
    assert await status_of(environment, request_id) == "submitted"


async def test_the_queue_holds_the_submitted_requests_of_the_office_oldest_first(
    api: Api,
) -> None:
    first, second, draft, peru = (
        await create(api, LAO, title="Waiting longest"),
        await create(api, KHM, title="Waiting less"),
        await create(api, LAO, title="Still a draft"),
        await create(api, PER),
    )
    for request, who in ((first, LAO), (second, KHM), (peru, PER)):
        await act(api, request["id"], "submit", who)
    queues = {}
    for who in (SOUTH_EAST_ASIA, BALKANS, SECRETARIAT, OPERATOR):
        await sign_in(api, who)
        answer = await api.client.get("/portal/queue")
        assert answer.status_code == 200, answer.text
        rows = page(answer).xpath("//table[@id='queue']//tr[@data-request]")
        queues[who.label] = [(row.get("data-request"), len(row.xpath(".//button"))) for row in rows]
    await sign_in(api, SECRETARIAT)
    first_page = await api.client.get("/portal/queue?limit=2")
    [next_page] = page(first_page).xpath("//a[@rel='next']/@href")
    second_page = await api.client.get(f"/portal/queue{next_page}")
    paged = await api.client.get("/portal/queue?cursor=not-a-cursor")
    refused = []
    for who in (LAO, DONOR):
        await sign_in(api, who)
        refused.append((await api.client.get("/portal/queue")).status_code)

    assert queues["regional:south-eastern-asia"] == [(first["id"], 2), (second["id"], 2)]
    assert queues["regional:western-balkans"] == []
    assert queues["secretariat"] == [(first["id"], 2), (second["id"], 2), (peru["id"], 2)]
    assert queues["operator"] == [(first["id"], 0), (second["id"], 0), (peru["id"], 0)]
    assert draft["id"] not in str(queues)
    assert page(first_page).xpath("//tr/@data-request") == [first["id"], second["id"]]
    assert page(second_page).xpath("//tr/@data-request") == [peru["id"]]
    assert paged.status_code == 422
    assert refused == [403, 403]


async def test_states_are_named_in_the_language_asked_for(api: Api) -> None:
    request_id = (await create(api, LAO))["id"]
    await sign_in(api, SOUTH_EAST_ASIA)
    french = countries()["LAO"].name_in("fr")

    listing = await api.client.get("/portal/requests?lang=fr")
    shown = await api.client.get(f"/portal/requests/{request_id}?lang=fr")

    assert french != countries()["LAO"].name
    assert page(listing).xpath("//td[@data-state='LAO']/text()") == [french]
    assert page(listing).xpath("//form[@class='filters']//input[@name='lang']/@value") == ["fr"]
    assert french in shown.text
    assert shown.headers["content-language"] == "fr"


async def test_the_state_withdraws_its_request_saying_why(
    api: Api, environment: Environment
) -> None:
    request_id = (await create(api, LAO))["id"]
    shown = await opened(api, LAO, request_id)
    action = f"/portal/requests/{request_id}/withdraw"

    withdrawn = await post(
        api, action, {"idempotency_key": hidden_key(shown, action), "reason": "Funded at home"}
    )
    after = page(await api.client.get(f"/portal/requests/{request_id}"))

    assert withdrawn.status_code == 303
    assert after.xpath("//*[@id='status']/text()") == ["withdrawn"]
    assert after.xpath("//tr[@data-action='withdraw']/td[last()]/text()") == ["Funded at home"]
    assert after.xpath("//main//form") == []
    assert await status_of(environment, request_id) == "withdrawn"
