"""A request's life through the HTTP API: review, amendment, history, lists and reports."""

from __future__ import annotations

import csv
import io

from tests.factories import need_body
from tests.integration.requests.conftest import (
    BALKANS,
    KHM,
    LAO,
    OPERATOR,
    SECRETARIAT,
    SOUTH_EAST_ASIA,
)
from tests.integration.requests.flows import act, create, published
from tests.service_api import Api


async def test_a_request_goes_from_draft_to_published_and_its_history_says_who(api: Api) -> None:
    request = await create(api)
    assert (request["status"], request["regional_centre"]) == ("draft", "south-eastern-asia")

    await act(api, request["id"], "submit", LAO)
    await act(api, request["id"], "endorse", SOUTH_EAST_ASIA, reason="a regional priority")
    final = await act(api, request["id"], "publish", SECRETARIAT)
    history = await api.client.get(
        f"/v1/requests/{request['id']}/history", headers=api.headers_for(OPERATOR)
    )

    assert final["status"] == "published"
    assert [(h["action"], h["to_status"], h["actor"]) for h in history.json()] == [
        ("create", "draft", "national:LAO"),
        ("submit", "submitted", "national:LAO"),
        ("endorse", "endorsed", "regional:south-eastern-asia"),
        ("publish", "published", "secretariat"),
    ]
    assert history.json()[2]["reason"] == "a regional priority"


async def test_a_returned_request_is_amended_with_if_match_and_resubmitted(api: Api) -> None:
    request = await create(api)
    await act(api, request["id"], "submit", LAO)
    returned = await act(
        api, request["id"], "return", SOUTH_EAST_ASIA, reason="attach the survey report"
    )
    etag = f'"{returned["version"]}"'

    amended = await api.client.put(
        f"/v1/requests/{request['id']}",
        json=need_body(title="Clearance, survey attached"),
        headers={**api.headers_for(LAO), "If-Match": etag},
    )
    resubmitted = await act(api, request["id"], "submit", LAO)

    assert amended.status_code == 200, amended.text
    assert amended.headers["etag"] == f'"{returned["version"] + 1}"'
    assert resubmitted["title"] == "Clearance, survey attached"
    assert resubmitted["status"] == "submitted"


async def test_a_state_without_a_centre_is_reviewed_by_the_secretariat(api: Api) -> None:
    from tests.integration.requests.conftest import PER

    request = await create(api, PER)
    await act(api, request["id"], "submit", PER)
    endorsed = await act(api, request["id"], "endorse", SECRETARIAT)

    assert request["regional_centre"] is None
    assert endorsed["status"] == "endorsed"


async def test_lists_filter_page_and_stay_within_the_callers_scope(api: Api) -> None:
    for _ in range(3):
        await create(api, LAO)
    await create(api, KHM, areas=["victim-assistance"])
    await create(api, SECRETARIAT, state="BIH")

    async def ids(who: object, **params: object) -> list[str]:
        found: list[str] = []
        cursor = None
        while True:
            query = {**params, "limit": 2, **({"cursor": cursor} if cursor else {})}
            page = await api.client.get("/v1/requests", params=query, headers=api.headers_for(who))  # type: ignore[arg-type]
            assert page.status_code == 200, page.text
            found += [item["state"] for item in page.json()["items"]]
            cursor = page.json()["next_cursor"]
            if cursor is None:
                return found

    assert sorted(await ids(SECRETARIAT)) == ["BIH", "KHM", "LAO", "LAO", "LAO"]
    assert await ids(LAO) == ["LAO"] * 3
    assert await ids(LAO, state="KHM") == []
    assert sorted(await ids(SOUTH_EAST_ASIA)) == ["KHM", "LAO", "LAO", "LAO"]
    assert await ids(BALKANS) == ["BIH"]
    assert await ids(OPERATOR, area="victim-assistance") == ["KHM"]
    assert await ids(OPERATOR, region="western-balkans", status="draft") == ["BIH"]


async def test_reports_count_requests_and_list_states_by_obligation(api: Api) -> None:
    await published(api)
    khm = await create(api, KHM, areas=["victim-assistance", "survey-and-clearance"])
    await act(api, khm["id"], "submit", KHM)
    await create(api, LAO, areas=["stockpile-destruction"])  # a draft: not yet requesting

    summary = (
        await api.client.get("/v1/reports/summary", headers=api.headers_for(OPERATOR))
    ).json()
    by_obligation = await api.client.get(
        "/v1/reports/states-by-obligation",
        params={"convention": "CCM", "format": "csv"},
        headers=api.headers_for(SECRETARIAT),
    )
    rows = list(csv.DictReader(io.StringIO(by_obligation.text)))[1:]  # after the HXL hashtags

    counts = {(c["dimension"], c["key"]): c["count"] for c in summary}
    assert counts[("convention", "CCM")] == 3
    assert counts[("status", "draft")] == 1
    assert counts[("area", "CCM/survey-and-clearance")] == 2
    assert by_obligation.headers["content-type"].startswith("text/csv")
    assert {(r["area"], r["states"]) for r in rows} == {
        ("survey-and-clearance", "KHM; LAO"),
        ("victim-assistance", "KHM"),
    }


async def test_the_deadline_report_lists_unmatched_requests_near_their_deadline(api: Api) -> None:
    from datetime import date, timedelta

    soon = await create(api, deadline=(date.today() + timedelta(days=20)).isoformat())
    await create(api, deadline=(date.today() + timedelta(days=400)).isoformat())
    await act(api, soon["id"], "submit", LAO)

    report = await api.client.get(
        "/v1/reports/deadlines", params={"within_days": 30}, headers=api.headers_for(OPERATOR)
    )

    assert [(r["request_id"], r["days_left"]) for r in report.json()] == [(soon["id"], 20)]


async def test_a_reason_is_optional_where_the_lifecycle_does_not_need_one(api: Api) -> None:
    """Withdrawing, endorsing and completing take a reason, or no body at all."""
    request = await create(api)
    await act(api, request["id"], "submit", LAO)
    endorsed = await api.client.post(
        f"/v1/requests/{request['id']}/endorse", headers=api.headers_for(SOUTH_EAST_ASIA)
    )
    withdrawn = await api.client.post(
        f"/v1/requests/{request['id']}/withdraw", headers=api.headers_for(LAO)
    )

    assert (endorsed.status_code, endorsed.json()["status"]) == (200, "endorsed")
    assert (withdrawn.status_code, withdrawn.json()["status"]) == (200, "withdrawn")
