"""The notifications service served on a free port against the real database and broker."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterable
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from lxml import html

from services.notifications.service import SERVICE as NOTIFICATIONS
from shared.events import Envelope
from shared.events import inventory as inv
from shared.events import requests as req
from shared.principal import Principal
from shared.topics import Stream
from tests.database import fetch
from tests.factories import request_event
from tests.kafka import publish
from tests.polling import eventually
from tests.service_api import Api, over_http
from tests.system import Environment

LAO = Principal.national("LAO")
KHM = Principal.national("KHM")
PER = Principal.national("PER")  # no centre covers Peru in the test network
MNE = Principal.national("MNE")
SOUTH_EAST_ASIA = Principal.regional("south-eastern-asia")
BALKANS = Principal.regional("western-balkans")
SECRETARIAT = Principal.secretariat()
OPERATOR = Principal.operator()
NORWAY = Principal.for_donor("norway")
SWEDEN = Principal.for_donor("sweden")
EVERYONE = (LAO, KHM, PER, MNE, SOUTH_EAST_ASIA, BALKANS, SECRETARIAT, OPERATOR, NORWAY, SWEDEN)

FAST = {
    "webhook_allow_private_addresses": True,  # the test receivers listen on 127.0.0.1
    "webhook_backoff_seconds": 0.05,
    "webhook_backoff_max_seconds": 0.4,
    "webhook_poll_seconds": 0.2,
    "stream_poll_seconds": 0.5,
    "alert_sweep_seconds": 3600,  # the tests sweep themselves, at the times they choose
}


def notifications(
    environment: Environment, principals: Iterable[Principal] = EVERYONE, **overrides: Any
) -> contextlib.AbstractAsyncContextManager[Api]:
    """The service on a free port, with the tests' fast settings and these `overrides`."""
    return over_http(NOTIFICATIONS, environment, principals, **{**FAST, **overrides})


@pytest.fixture
async def service(environment: Environment) -> AsyncIterator[Api]:
    async with notifications(environment) as api:
        yield api


async def deliver(api: Api, stream: Stream, *envelopes: Envelope[Any]) -> None:
    """Publish events on the tier their service uses and wait until the feed consumer had them."""
    topics = api.resources.topics
    topic = topics.national(stream) if stream is Stream.REQUESTS else topics.global_(stream)
    await publish(api.resources.settings.kafka_bootstrap_servers, topic, *envelopes)
    wanted = {str(e.id) for e in envelopes}
    url = api.resources.settings.database_url

    async def handled() -> bool:
        rows = await fetch(url, "SELECT event_id FROM notifications.inbox WHERE consumer = 'feed'")
        return wanted <= {str(row["event_id"]) for row in rows}

    await eventually(handled)


async def feed(api: Api, who: Principal, **filters: Any) -> list[dict[str, Any]]:
    response = await api.client.get(
        "/v1/feed", params={"limit": 500, **filters}, headers=api.headers_for(who)
    )
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


@contextlib.asynccontextmanager
async def signed_in(api: Api, who: Principal) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the service's pages signed in to the portal as `who`, with its own cookie."""
    key = api.headers_for(who)["Authorization"].removeprefix("Bearer ")
    async with httpx.AsyncClient(base_url=api.url, timeout=30) as client:
        answer = await client.post("/portal/sign-in", data={"key": key})
        assert answer.status_code == 303, answer.text
        yield client


def figure(page: str, chart: str, key: str, series: str, currency: str | None = None) -> str:
    """One number of a chart's table on a page, by the row's key and the series' name."""
    money = f" and @data-currency='{currency}'" if currency else ""
    path = f"//*[@id='{chart}']//tr[@data-key='{key}'{money}]/td[@data-series='{series}']"
    cells = html.fromstring(page).xpath(path)
    assert len(cells) == 1, f"{chart} {key} {series}: {len(cells)} cells"
    return str(cells[0].text_content()).strip()


STEPS: dict[type[req.RequestEvent], tuple[str, str, int]] = {
    req.RequestPublished: ("published", "endorsed", 4),
    req.RequestFunded: ("funded", "matched", 6),
}


def later(
    event_type: type[req.RequestEvent], request_id: UUID, state: str = "LAO", **need: Any
) -> req.RequestEvent:
    """A later step (`STEPS`) of a request already told: its status, the one before, a newer
    version."""
    status, before, version = STEPS[event_type]
    return request_event(
        event_type,
        state,
        status=status,
        from_status=before,
        version=version,
        request_id=request_id,
        **need,
    )


def ledger_entry(
    request_id: UUID, source_id: UUID, kind: str = "committed", amount: str = "500000.00"
) -> inv.LedgerEntryRecorded:
    """A ledger entry in dollars for a request, as the inventory announces it."""
    return inv.LedgerEntryRecorded(
        entry_id=uuid4(),
        source_id=source_id,
        window_id=uuid4(),
        request_id=request_id,
        kind=kind,
        amount=Decimal(amount),
        currency="USD",
        date=date(2026, 11, 23),
        actor="donor:norway",
    )
