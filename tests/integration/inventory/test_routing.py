"""Source events reach the global tier and the topics of the regional centres the source focuses on,
as CloudEvents anyone can read."""

from __future__ import annotations

from typing import Any

from shared.events.inventory import LedgerEntryRecorded, SourceChanged
from shared.topics import Stream
from tests.integration.inventory.conftest import SECRETARIAT
from tests.integration.inventory.flows import record, register
from tests.inventory_factories import source_body
from tests.kafka import read_events, read_topic
from tests.service_api import Api

FOCUSED = {"donor": None, "regional_focus": ["south-eastern-asia"], "max_grant": None}


async def test_source_events_follow_the_regional_focus_before_and_after_an_edit(
    live_api: Api,
) -> None:
    api, topics = live_api, live_api.resources.topics
    servers = live_api.resources.settings.kafka_bootstrap_servers
    source = await register(api, SECRETARIAT, **FOCUSED)
    moved = source_body(
        **{**FOCUSED, "regional_focus": ["western-balkans"]},
        windows=[{**source["windows"][0], "id": source["windows"][0]["id"]}],
    )
    for name in ("pledged", "committed", "reserved", "disbursed", "available"):
        moved["windows"][0].pop(name)
    updated = await api.client.put(
        f"/v1/sources/{source['id']}",
        json=moved,
        headers={**api.headers_for(SECRETARIAT), "If-Match": '"1"'},
    )
    assert updated.status_code == 200, updated.text
    await record(api, source, "commitments", "1000.00", SECRETARIAT)

    async def changes(topic: str, expected: int) -> list[Any]:
        events = await read_events(servers, topic, expected)
        assert all(e.key == source["id"] for e in events)
        return [(type(e.payload).__name__, getattr(e.payload, "change", None)) for e in events]

    assert await changes(topics.global_(Stream.SOURCES), 3) == [
        ("SourceChanged", "registered"),
        ("SourceChanged", "updated"),
        ("SourceChanged", "ledger"),
    ]
    assert await changes(topics.regional("south-eastern-asia", Stream.SOURCES), 2) == [
        ("SourceChanged", "registered"),
        ("SourceChanged", "updated"),
    ]
    assert await changes(topics.regional("western-balkans", Stream.SOURCES), 2) == [
        ("SourceChanged", "updated"),
        ("SourceChanged", "ledger"),
    ]
    assert await changes(topics.regional("western-balkans", Stream.FUNDS), 1) == [
        ("LedgerEntryRecorded", None)
    ]

    (raw,) = await read_topic(servers, topics.global_(Stream.FUNDS), 1)
    (entry,) = await read_events(servers, topics.global_(Stream.FUNDS), 1)
    headers = dict(raw.headers)
    assert headers["content-type"] == b"application/cloudevents+json"
    assert isinstance(entry.payload, LedgerEntryRecorded)
    assert (entry.payload.kind, str(entry.payload.amount), entry.payload.actor) == (
        "committed",
        "1000.00",
        "secretariat",
    )
    (latest,) = [
        e.payload
        for e in await read_events(servers, topics.global_(Stream.SOURCES), 3)
        if isinstance(e.payload, SourceChanged) and e.payload.change == "ledger"
    ]
    assert latest.source.regional_focus == ["western-balkans"]
    assert str(latest.source.windows[0].available) == "999000.00"
