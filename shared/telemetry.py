"""Traces whose context crosses HTTP, the outbox, Kafka and the consumers; Prometheus metrics.

One partner's call is one trace: FastAPI's instrumentation opens the server span, the outbox
stores the W3C `traceparent` of the current span in each event's CloudEvents `traceparent`
attribute (the Distributed Tracing extension), and a consumer opens its span as a child of that
context, so events a handler emits in turn continue the same trace in the next service.

Spans go to an OTLP collector when `OTEL_EXPORTER_OTLP_ENDPOINT` is set (the SDK reads the
standard `OTEL_*` variables); otherwise they are only used for the ids in the logs.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import Span, SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from prometheus_client import Counter, Gauge, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.events.envelope import Envelope
from shared.http import HttpMiddleware

tracer = trace.get_tracer("clearinghouse")
_propagator = TraceContextTextMapPropagator()

HTTP_REQUESTS = Counter(
    "clearinghouse_http_requests",
    "HTTP requests answered, by route template and status",
    ["service", "method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "clearinghouse_http_request_duration_seconds",
    "Time to answer an HTTP request",
    ["service", "method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
EVENTS_CONSUMED = Counter(
    "clearinghouse_events_consumed",
    "Events a consumer read, by outcome: handled, duplicate, ignored or deadlettered",
    ["service", "consumer", "event_type", "outcome"],
)
CONSUMER_LAG = Gauge(
    "clearinghouse_consumer_lag",
    "Records on a partition not yet processed by the consumer",
    ["service", "consumer", "topic", "partition"],
)
OUTBOX_BACKLOG = Gauge(
    "clearinghouse_outbox_backlog",
    "Outbox rows written but not yet acknowledged by the broker",
    ["service"],
)
EVENTS_PUBLISHED = Counter(
    "clearinghouse_events_published", "Outbox rows the relay published", ["service"]
)


def configure_tracing(service: str) -> None:
    """Install the process's tracer provider; call once, at process start."""
    provider = TracerProvider(
        resource=Resource.create({"service.name": f"clearinghouse-{service}"})
    )
    if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)


def current_traceparent() -> str | None:
    """The W3C traceparent of the current span, if one is recording."""
    carrier: dict[str, str] = {}
    _propagator.inject(carrier)
    return carrier.get("traceparent")


@contextmanager
def consuming(consumer: str, envelope: Envelope[Any], topic: str) -> Iterator[Span]:
    """The span of one event's handling, a child of the span that emitted the event."""
    carrier = {"traceparent": envelope.traceparent} if envelope.traceparent else {}
    with tracer.start_as_current_span(
        f"{consumer} process {envelope.type}",
        context=_propagator.extract(carrier),
        kind=SpanKind.CONSUMER,
        attributes={
            "messaging.system": "kafka",
            "messaging.destination.name": topic,
            "messaging.message.id": str(envelope.id),
            "cloudevents.event_type": envelope.type,
        },
    ) as span:
        yield span


class MetricsMiddleware(HttpMiddleware):
    """Counts and times every HTTP request by its route template (not its raw path)."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        super().__init__(app)
        self.service = service

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        status = 500

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            route = _route_template(scope)
            HTTP_REQUESTS.labels(self.service, scope["method"], route, str(status)).inc()
            HTTP_LATENCY.labels(self.service, scope["method"], route).observe(
                time.perf_counter() - started
            )


def _route_template(scope: Scope) -> str:
    """`/v1/requests/{request_id}` rather than the id itself, so labels stay few.

    Routing leaves the matched route in the scope; a path no route matched has none.
    """
    route = scope.get("route")
    return str(getattr(route, "path", "unmatched"))
