"""One partner's call is one trace across HTTP, outbox, Kafka and consumer; /metrics counts."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from services.requests.service import SERVICE as REQUESTS
from shared.consumer import Consumer
from shared.events import Envelope
from shared.events.envelope import decode
from shared.events.requests import RequestSubmitted
from shared.topics import Stream
from shared.unit_of_work import UnitOfWork
from tests.integration.requests.conftest import LAO
from tests.integration.requests.flows import act, create
from tests.kafka import read_topic
from tests.polling import eventually
from tests.service_api import Api


@pytest.fixture(scope="session")
def spans() -> Iterator[InMemorySpanExporter]:
    """Every span this test process records from now on (the provider can be set only once)."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    yield exporter
    provider.shutdown()


def _server_span(spans: InMemorySpanExporter, route: str) -> ReadableSpan:
    [span] = [
        s
        for s in spans.get_finished_spans()
        if s.kind is SpanKind.SERVER and s.attributes and s.attributes.get("http.route") == route
    ]
    return span


async def test_a_submission_and_its_handling_share_one_trace(
    live_api: Api, spans: InMemorySpanExporter
) -> None:
    resources = live_api.resources
    topic = resources.topics.national(Stream.REQUESTS)

    async def on_submitted(uow: UnitOfWork, envelope: Envelope[RequestSubmitted]) -> None:
        pass

    async def consumed() -> bool:
        return any(s.name.startswith("trace-test process") for s in spans.get_finished_spans())

    consumer = Consumer(
        name="trace-test",
        group_id=f"{resources.settings.topic_prefix}.trace-test",
        bootstrap_servers=resources.settings.kafka_bootstrap_servers,
        handlers={RequestSubmitted: on_submitted},
        unit_of_work=resources.unit_of_work,
        inbox=REQUESTS.tables.inbox,
        producer=resources.producer,
        deadletter_topic=resources.topics.deadletter("requests"),
        topics=[topic],
    )
    task = asyncio.create_task(consumer.run())
    try:
        request = await create(live_api)
        await act(live_api, request["id"], "submit", LAO)
        await eventually(consumed)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    submit = _server_span(spans, "/v1/requests/{request_id}/submit")
    trace_id = submit.context.trace_id
    [consuming] = [s for s in spans.get_finished_spans() if s.name.startswith("trace-test")]
    [record] = await read_topic(resources.settings.kafka_bootstrap_servers, topic, 1)
    event = decode(record.value, record.key)

    assert consuming.kind is SpanKind.CONSUMER
    assert consuming.context.trace_id == trace_id
    assert consuming.parent is not None
    assert consuming.parent.span_id == submit.context.span_id
    assert (consuming.attributes or {}).get("clearinghouse.outcome") == "handled"
    assert event.traceparent is not None
    assert event.traceparent.split("-")[1] == format(trace_id, "032x")


async def test_metrics_count_requests_by_route_and_the_outbox_backlog(live_api: Api) -> None:
    request = await create(live_api)
    await live_api.client.get(f"/v1/requests/{request['id']}", headers=live_api.headers_for(LAO))

    async def relay_measured() -> bool:
        text = (await live_api.client.get("/metrics")).text
        return 'clearinghouse_outbox_backlog{service="requests"}' in text

    await eventually(relay_measured)
    text = (await live_api.client.get("/metrics")).text

    assert (
        'clearinghouse_http_requests_total{method="POST",route="/v1/requests",'
        'service="requests",status="201"}' in text
    )
    assert 'route="/v1/requests/{request_id}"' in text
    assert request["id"] not in text  # ids never become labels
    assert "clearinghouse_http_request_duration_seconds_bucket" in text
