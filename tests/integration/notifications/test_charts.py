"""The operators' charts on the dashboard, computed from the events the service took in: need
against the ledger by region and convention, the time to a proposal and to funding, unmatched
requests by reason, the states waiting longest; and that only operators and the secretariat see
them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest
from lxml import html

from shared.events import EventPayload
from shared.events import matching as mat
from shared.events import requests as req
from shared.principal import Principal
from shared.topics import Stream
from shared.values import Money
from tests.factories import envelope, match, request_event
from tests.integration.notifications.conftest import (
    KHM,
    LAO,
    NORWAY,
    OPERATOR,
    PER,
    SECRETARIAT,
    SOUTH_EAST_ASIA,
    deliver,
    figure,
    later,
    ledger_entry,
    signed_in,
)
from tests.matching_factories import source
from tests.service_api import Api

NOW = datetime.now(UTC)
EUROS = Money(Decimal("250000.00"), "EUR")


async def _tell(api: Api, stream: Stream, payload: EventPayload, days_ago: float) -> None:
    at = NOW - timedelta(days=days_ago)
    await deliver(api, stream, envelope(payload, str(uuid4()), f"/clearinghouse/{stream}", at))


async def _charts(api: Api) -> str:
    async with signed_in(api, OPERATOR) as operator:
        page = await operator.get("/dashboard/charts")
    assert page.status_code == 200, page.text
    return page.text


async def test_the_charts_follow_what_the_events_tell(service: Api) -> None:
    lao = request_event(req.RequestSubmitted, "LAO")
    lao_id = lao.request.request_id
    await _tell(service, Stream.REQUESTS, lao, days_ago=30)
    khm = request_event(req.RequestSubmitted, "KHM", amount=EUROS)
    await _tell(service, Stream.REQUESTS, khm, days_ago=20)
    per = request_event(req.RequestSubmitted, "PER", centre=None)
    await _tell(service, Stream.REQUESTS, per, days_ago=45)

    before = await _charts(service)
    assert figure(before, "chart-need-by-region", "south-eastern-asia", "need", "USD") == (
        "1,500,000.00"
    )
    assert figure(before, "chart-need-by-region", "south-eastern-asia", "pledged", "USD") == "0.00"
    assert figure(before, "chart-need-by-region", "(global tier)", "need", "USD") == "1,500,000.00"
    assert figure(before, "chart-need-by-convention", "CCM", "need", "USD") == "3,000,000.00"
    assert figure(before, "chart-need-by-convention", "CCM", "need", "EUR") == "250,000.00"
    assert figure(before, "chart-unmatched-reasons", "in-review", "requests") == "3"
    assert figure(before, "chart-waiting-longest", "PER", "days") == "45"
    assert figure(before, "chart-waiting-longest", "LAO", "days") == "30"
    assert figure(before, "chart-time-to-proposal", "median", "to first proposal") == "n/a"

    published = later(req.RequestPublished, lao_id)
    await _tell(service, Stream.REQUESTS, published, days_ago=10)
    norway = source(donor="norway")
    proposal = match(lao_id).model_copy(update={"source_id": norway.source_id})
    await _tell(
        service, Stream.MATCHES, mat.MatchProposed(match=proposal, score=0.9, explanation={}), 7
    )
    await _tell(service, Stream.MATCHES, mat.MatchAccepted(match=proposal, accepted_by="x"), 6)
    for kind, amount in (("pledged", "600000"), ("committed", "500000"), ("disbursed", "200000")):
        await _tell(service, Stream.FUNDS, ledger_entry(lao_id, norway.source_id, kind, amount), 5)
    funded = later(req.RequestFunded, lao_id)
    await _tell(service, Stream.REQUESTS, funded, days_ago=1)
    khm_published = later(req.RequestPublished, khm.request.request_id, "KHM", amount=EUROS)
    await _tell(service, Stream.REQUESTS, khm_published, days_ago=9)
    refused = match(khm.request.request_id, state="KHM")
    await _tell(
        service, Stream.MATCHES, mat.MatchProposed(match=refused, score=0.5, explanation={}), 8
    )
    await _tell(service, Stream.MATCHES, mat.MatchDeclined(match=refused, declined_by="x"), 2)

    after = await _charts(service)
    region = "south-eastern-asia"
    assert figure(after, "chart-need-by-region", region, "need", "USD") == "1,500,000.00"
    assert figure(after, "chart-need-by-region", region, "pledged", "USD") == "600,000.00"
    assert figure(after, "chart-need-by-region", region, "committed", "USD") == "500,000.00"
    assert figure(after, "chart-need-by-region", region, "disbursed", "USD") == "200,000.00"
    assert figure(after, "chart-need-by-convention", "CCM", "committed", "USD") == "500,000.00"
    assert figure(after, "chart-time-to-proposal", "up-to-a-week", "to first proposal") == "1"
    assert figure(after, "chart-time-to-proposal", "a-day-or-less", "to first proposal") == "1"
    assert figure(after, "chart-time-to-proposal", "up-to-a-week", "to funding") == "0"
    assert figure(after, "chart-time-to-proposal", "up-to-a-month", "to funding") == "1"
    assert figure(after, "chart-time-to-proposal", "median", "to first proposal") == "2.0"
    assert figure(after, "chart-time-to-proposal", "median", "to funding") == "9.0"
    assert figure(after, "chart-time-to-proposal", "waiting", "to funding") == "1"
    assert figure(after, "chart-unmatched-reasons", "declined", "requests") == "1"
    assert figure(after, "chart-unmatched-reasons", "in-review", "requests") == "1"
    waiting = html_keys(after, "chart-waiting-longest")
    assert waiting == ["PER", "KHM"]  # Lao PDR's request is funded: it waits no more


def html_keys(page: str, chart: str) -> list[str]:
    return [str(k) for k in html.fromstring(page).xpath(f"//*[@id='{chart}']//tr/@data-key")]


async def test_the_dashboard_draws_the_charts_with_the_vendored_library(service: Api) -> None:
    async with signed_in(service, SECRETARIAT) as secretariat:
        page = await secretariat.get("/dashboard")
        library = await secretariat.get("/dashboard/static/chart.min.js")
        drawing = await secretariat.get("/dashboard/static/charts.js")
    assert page.status_code == 200
    for chart in (
        "chart-need-by-region",
        "chart-need-by-convention",
        "chart-time-to-proposal",
        "chart-unmatched-reasons",
        "chart-waiting-longest",
    ):
        assert f'<figure id="{chart}"' in page.text
    assert '<script src="/dashboard/static/chart.min.js" defer>' in page.text
    assert "<style" not in page.text
    assert library.status_code == drawing.status_code == 200
    assert "Chart.js v4.6.1" in library.text
    assert library.headers["content-security-policy"].startswith("default-src 'self'")


@pytest.mark.parametrize("who", [LAO, KHM, PER, SOUTH_EAST_ASIA, NORWAY])
async def test_only_operators_and_the_secretariat_see_the_charts(
    service: Api, who: Principal
) -> None:
    await _tell(service, Stream.REQUESTS, request_event(req.RequestSubmitted, "LAO"), 3)
    async with signed_in(service, who) as client:
        charts = await client.get("/dashboard/charts")
        dashboard = await client.get("/dashboard")
    anonymous = await service.client.get("/dashboard/charts")
    for refused in (charts, dashboard):
        assert refused.status_code == 403
        assert "chart-" not in refused.text
        assert "1,500,000" not in refused.text
    assert anonymous.status_code == 303
