"""Every metric the operators rely on is on a live service's /metrics: HTTP rates and latencies,
consumer lag, outbox backlog, dead-lettered events and allocation time."""

from __future__ import annotations

import httpx
from aiokafka import AIOKafkaProducer
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from shared.topics import Stream, Topics
from tests.polling import eventually
from tests.system import Environment, running, service_process

Samples = dict[str, list[Sample]]


async def scrape(client: httpx.AsyncClient) -> Samples:
    found: Samples = {}
    for family in text_string_to_metric_families((await client.get("/metrics")).text):
        for sample in family.samples:
            found.setdefault(sample.name, []).append(sample)
    return found


def values(found: Samples, name: str, **labels: str) -> list[float]:
    return [s.value for s in found.get(name, []) if labels.items() <= s.labels.items()]


async def test_a_live_service_exports_every_operational_metric(environment: Environment) -> None:
    topic = Topics(environment.topic_prefix).global_(Stream.REQUESTS)
    with running(service_process("matching", environment)) as (matching,):
        async with httpx.AsyncClient(base_url=matching.url, timeout=5) as client:
            await _send_malformed(environment.kafka_bootstrap_servers, topic)
            assert (await client.get("/v1/whoami")).status_code == 401

            async def complete() -> Samples | None:
                found = await scrape(client)
                wanted = [
                    values(found, "clearinghouse_http_requests_total", route="/v1/whoami"),
                    values(found, "clearinghouse_http_request_duration_seconds_count"),
                    values(found, "clearinghouse_consumer_lag", topic=topic),
                    values(found, "clearinghouse_outbox_backlog", service="matching"),
                    values(found, "clearinghouse_events_consumed_total", outcome="deadlettered"),
                    values(found, "clearinghouse_allocation_duration_seconds_count", run="full"),
                ]
                return found if all(wanted) else None

            found = await eventually(complete, seconds=60)

    assert values(found, "clearinghouse_http_requests_total", status="401") == [1.0]
    assert values(found, "clearinghouse_events_consumed_total", outcome="deadlettered") == [1.0]
    assert values(found, "clearinghouse_consumer_lag", topic=topic) == [0.0]
    assert values(found, "clearinghouse_outbox_backlog") == [0.0]
    [full_runs] = values(found, "clearinghouse_allocation_duration_seconds_count", run="full")
    assert full_runs >= 1


async def _send_malformed(bootstrap_servers: str, topic: str) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap_servers)
    await producer.start()
    try:
        await producer.send_and_wait(topic, b"not a cloudevent", key=b"nobody")
    finally:
        await producer.stop()
