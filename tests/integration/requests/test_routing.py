"""Which tier hears about a request, read back from the real topics as CloudEvents."""

from __future__ import annotations

from typing import cast

from shared.events.envelope import decode
from shared.events.requests import RequestEvent
from shared.topics import Stream
from tests.integration.requests.conftest import LAO, PER, SECRETARIAT
from tests.integration.requests.flows import act, create, published
from tests.kafka import read_topic
from tests.service_api import Api


async def _request_events(
    api: Api, topic: str, expected: int, seconds: float = 30
) -> list[RequestEvent]:
    servers = api.resources.settings.kafka_bootstrap_servers
    records = await read_topic(servers, topic, expected, seconds=seconds)
    events = [decode(r.value, r.key).payload for r in records]
    assert all(isinstance(e, RequestEvent) for e in events)
    return cast(list[RequestEvent], events)


async def _types_on(
    api: Api, topic: str, expected: int, seconds: float = 30
) -> list[tuple[str, str]]:
    """(event type, request id) of every record on `topic`, in order."""
    events = await _request_events(api, topic, expected, seconds)
    return [(e.event_type, str(e.request.request_id)) for e in events]


async def test_submission_is_heard_nationally_and_regionally_publication_globally(
    live_api: Api,
) -> None:
    topics = live_api.resources.topics
    request = await published(live_api)
    rid = request["id"]

    national = await _types_on(live_api, topics.national(Stream.REQUESTS), 3)
    regional = await _types_on(live_api, topics.regional("south-eastern-asia", Stream.REQUESTS), 3)
    global_ = await _types_on(live_api, topics.global_(Stream.REQUESTS), 2)
    # Everything was published by now: another centre's topic gets a short look.
    balkans = topics.regional("western-balkans", Stream.REQUESTS)
    other_region = await _types_on(live_api, balkans, 1, seconds=2)

    lifecycle = [
        ("request.submitted", rid),
        ("request.endorsed", rid),
        ("request.published", rid),
    ]
    assert national == lifecycle
    assert regional == lifecycle
    assert global_ == lifecycle[1:]
    assert other_region == []


async def test_a_state_with_no_centre_goes_straight_to_the_global_tier(live_api: Api) -> None:
    topics = live_api.resources.topics
    request = await create(live_api, PER)
    await act(live_api, request["id"], "submit", PER)
    await act(live_api, request["id"], "endorse", SECRETARIAT)

    global_ = await _types_on(live_api, topics.global_(Stream.REQUESTS), 2)

    assert global_ == [
        ("request.submitted", request["id"]),
        ("request.endorsed", request["id"]),
    ]


async def test_every_record_is_a_structured_cloudevent_keyed_by_the_request(
    live_api: Api,
) -> None:
    request = await create(live_api, LAO)
    await act(live_api, request["id"], "submit", LAO)

    [record] = await read_topic(
        live_api.resources.settings.kafka_bootstrap_servers,
        live_api.resources.topics.national(Stream.REQUESTS),
        1,
    )
    event = decode(record.value, record.key)
    [payload] = await _request_events(
        live_api, live_api.resources.topics.national(Stream.REQUESTS), 1
    )

    assert record.key == request["id"].encode()
    assert dict(record.headers)["content-type"] == b"application/cloudevents+json"
    assert event.source == "/clearinghouse/requests"
    assert event.type == "org.clearinghouse.request.submitted.v1"
    assert (payload.request.state, payload.actor) == ("LAO", "national:LAO")
