"""The portal's frame, served by every service: signing in with any office's key, the home page
of each principal, refusals of pages that are not the principal's, and its assets."""

from __future__ import annotations

import pytest

from services.inventory.service import SERVICE as INVENTORY
from services.matching.service import SERVICE as MATCHING
from services.notifications.service import SERVICE as NOTIFICATIONS
from services.requests.service import SERVICE as REQUESTS
from shared.portal.session import COOKIE
from shared.principal import Principal
from shared.runtime import ServiceDefinition
from tests.service_api import Api, in_process_api
from tests.system import Environment

LAO = Principal.national("LAO")
NORWAY = Principal.for_donor("norway")
OPERATOR = Principal.operator()
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _key(api: Api, principal: Principal) -> str:
    return api.headers_for(principal)["Authorization"].removeprefix("Bearer ")


async def _sign_in(api: Api, key: str, after: str = "/portal") -> tuple[int, str]:
    answer = await api.client.post(
        "/portal/sign-in", content=f"key={key}&next={after}", headers=FORM
    )
    return answer.status_code, answer.headers.get("location", answer.text)


@pytest.mark.parametrize("definition", [REQUESTS, INVENTORY, MATCHING, NOTIFICATIONS])
async def test_every_service_serves_the_sign_in_page_and_the_portal_assets(
    environment: Environment, definition: ServiceDefinition
) -> None:
    async for api in in_process_api(definition, environment, [LAO], workers=False):
        page = await api.client.get("/portal/sign-in")
        css = await api.client.get("/portal/static/portal.css")
        htmx = await api.client.get("/portal/static/htmx.min.js")
        unknown = await api.client.get("/portal/static/secrets.txt")

    assert page.status_code == 200
    assert '<form method="post" action="/portal/sign-in">' in page.text
    assert page.headers["content-security-policy"].startswith("default-src 'self'")
    assert css.status_code == htmx.status_code == 200
    assert unknown.status_code == 404


async def test_any_office_signs_in_and_sees_the_places_it_may_open(
    environment: Environment,
) -> None:
    async for api in in_process_api(NOTIFICATIONS, environment, [LAO, NORWAY], workers=False):
        before = await api.client.get("/portal")
        wrong = await _sign_in(api, "ch_not_a_key")
        wrong_cookie = api.client.cookies.get(COOKIE)
        status, location = await _sign_in(api, _key(api, LAO))
        cookie = next(c for c in api.client.cookies.jar if c.name == COOKIE)
        lao_home = await api.client.get("/portal")
        await _sign_in(api, _key(api, NORWAY))
        norway_home = await api.client.get("/portal")
        signed_out = await api.client.post("/portal/sign-out")
        after_sign_out = await api.client.get("/portal")

    assert before.status_code == 303
    assert before.headers["location"] == "/portal/sign-in?next=/portal"
    assert wrong[0] == 401
    assert "not valid" in wrong[1]
    assert wrong_cookie is None
    assert (status, location) == (303, "/portal")
    assert cookie.has_nonstandard_attr("HttpOnly")
    assert cookie.path == "/"
    assert "national:LAO" in lao_home.text
    assert 'href="/portal/requests"' in lao_home.text
    assert 'href="/dashboard"' not in lao_home.text
    assert "donor:norway" in norway_home.text
    assert 'href="/portal/requests"' not in norway_home.text
    assert 'href="/portal/proposals"' in norway_home.text
    assert signed_out.status_code == 303
    assert after_sign_out.status_code == 303


@pytest.mark.parametrize("asked", ["//elsewhere.example/x", "https://elsewhere.example/", "\\\\x"])
async def test_signing_in_never_leads_off_the_site(environment: Environment, asked: str) -> None:
    async for api in in_process_api(NOTIFICATIONS, environment, [LAO], workers=False):
        status, location = await _sign_in(api, _key(api, LAO), asked)

    assert (status, location) == (303, "/portal")


async def test_a_page_of_another_office_is_refused_and_shows_none_of_its_content(
    environment: Environment,
) -> None:
    async for api in in_process_api(NOTIFICATIONS, environment, [LAO, OPERATOR], workers=False):
        await _sign_in(api, _key(api, LAO))
        refused = await api.client.get("/dashboard")
        await _sign_in(api, _key(api, OPERATOR))
        shown = await api.client.get("/dashboard")

    assert refused.status_code == 403
    assert "not open to national:LAO" in refused.text
    assert 'id="feed"' not in refused.text
    assert shown.status_code == 200
    assert 'id="feed"' in shown.text
    assert 'href="/dashboard" aria-current="page"' in shown.text
