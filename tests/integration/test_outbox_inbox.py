"""Every event is handled exactly once although the relay and the consumer crash again and again."""

from __future__ import annotations

import asyncio
import random
import threading
import time

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError

from deploy.local.processes import ServiceProcess
from services.requests.settings import RequestsSettings
from shared.auth import issue_key
from shared.principal import Principal
from tests.database import query
from tests.factories import request_body
from tests.system import Environment, running, service_process

STATE = "LAO"
WRITES = 300


class Crasher(threading.Thread):
    """SIGKILLs the given processes in turn, at random moments, and starts each again."""

    def __init__(self, victims: list[ServiceProcess], rng: random.Random) -> None:
        super().__init__(daemon=True)
        self.victims = victims
        self.rng = rng
        self.done = threading.Event()
        self.kills = {victim.service: 0 for victim in victims}

    def run(self) -> None:
        turn = 0
        while not self.done.wait(self.rng.uniform(0.5, 2.0)):
            victim = self.victims[turn % len(self.victims)]
            turn += 1
            victim.kill()
            self.kills[victim.service] += 1
            time.sleep(self.rng.uniform(0, 0.5))
            victim.start(wait=False)


def test_every_event_is_handled_exactly_once_across_crashes(environment: Environment) -> None:
    seed = random.randrange(1 << 30)
    print(f"seed {seed}")
    rng = random.Random(seed)
    api = service_process("requests", environment, workers=False)
    relay = service_process("requests", environment, api=False)
    consumer = service_process("notifications", environment, api=False)

    with running(api, relay, consumer):
        headers = authorised(environment, api.url)
        crasher = Crasher([relay, consumer], rng)
        crasher.start()
        accepted = []
        with httpx.Client(base_url=api.url, timeout=10) as client:
            for number in range(WRITES):
                created = client.post(
                    "/v1/requests",
                    json=request_body(STATE, title=f"Request number {number}"),
                    headers=headers,
                )
                assert created.status_code == 201, created.text
                accepted.append(created.json()["id"])
                submitted = client.post(f"/v1/requests/{accepted[-1]}/submit", headers=headers)
                assert submitted.status_code == 200, submitted.text
                time.sleep(rng.uniform(0, 0.06))
        crasher.done.set()
        crasher.join()
        for process in (relay, consumer):
            if process.process is None or process.process.poll() is not None:
                process.start(wait=False)
        wait_for_notifications(environment, WRITES)

        # The worst moments to crash, made certain: the consumer died before committing any
        # offset, and the relay died before marking any row sent. Everything comes again.
        consumer.kill()
        relay.kill()
        asyncio.run(rewind_group(environment, f"{environment.topic_prefix}.notifications.feed"))
        query(environment.database_url, "UPDATE requests.outbox SET sent_at = NULL")
        relay.start(wait=False)
        consumer.start(wait=False)
        wait_until_all_sent(environment)
        handled = wait_for_notifications(environment, WRITES)
        redelivered = asyncio.run(
            group_lag(environment, f"{environment.topic_prefix}.notifications.feed")
        )

    events = query(
        environment.database_url,
        "SELECT event_id, key, sent_at FROM requests.outbox WHERE topic LIKE '%.national.requests'",
    )
    print(f"kills {crasher.kills}; {len(events)} events; {len(handled)} notifications")
    assert all(kills >= 2 for kills in crasher.kills.values()), crasher.kills
    assert sorted(str(e["key"]) for e in events) == sorted(accepted)
    assert all(e["sent_at"] is not None for e in events)
    assert sorted(str(e["event_id"]) for e in events) == sorted(handled)
    assert len(set(handled)) == len(handled) == WRITES
    assert redelivered == 0  # the consumer did read every event again, twice over


def national_partitions(environment: Environment) -> list[TopicPartition]:
    topic = f"{environment.topic_prefix}.national.requests"
    count = int(environment.variables()["TOPIC_PARTITIONS"])
    return [TopicPartition(topic, partition) for partition in range(count)]


async def rewind_group(environment: Environment, group: str) -> None:
    """Commit offset 0 on every partition for `group`, as if it had never committed."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=environment.kafka_bootstrap_servers,
        group_id=group,
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        partitions = national_partitions(environment)
        consumer.assign(partitions)
        async with asyncio.timeout(60):
            while True:  # until the killed member's session expired and the group is empty
                try:
                    await consumer.commit({partition: 0 for partition in partitions})
                    return
                except KafkaError:
                    await asyncio.sleep(1)
    finally:
        await consumer.stop()


async def group_lag(environment: Environment, group: str, *, seconds: float = 60) -> int:
    """Records of the national topic not yet committed by `group`, once it has caught up."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=environment.kafka_bootstrap_servers, group_id=group
    )
    await consumer.start()
    try:
        partitions = national_partitions(environment)
        ends = await consumer.end_offsets(partitions)
        deadline = time.monotonic() + seconds
        while True:
            committed = {p: await consumer.committed(p) or 0 for p in partitions}
            lag = sum(ends[p] - committed[p] for p in partitions)
            if lag == 0 or time.monotonic() > deadline:
                return lag
            await asyncio.sleep(0.5)
    finally:
        await consumer.stop()


def wait_until_all_sent(environment: Environment, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    sql = "SELECT count(*) AS n FROM requests.outbox WHERE sent_at IS NULL"
    while query(environment.database_url, sql)[0]["n"] > 0:
        assert time.monotonic() < deadline, "the relay did not publish the backlog"
        time.sleep(0.3)


def authorised(environment: Environment, url: str, timeout: float = 60) -> dict[str, str]:
    """A national key issued over Kafka, once the service has taken it in."""
    settings = environment.settings(RequestsSettings)
    key = asyncio.run(issue_key(settings, Principal.national(STATE), "crash test"))
    headers = {"Authorization": f"Bearer {key}"}
    deadline = time.monotonic() + timeout
    while httpx.get(f"{url}/v1/requests", headers=headers).status_code == 401:
        assert time.monotonic() < deadline, "the key never reached the service"
        time.sleep(0.3)
    return headers


# Each submission notifies its state, its centre and the operators; the operators' line is the
# one to count, since every event yields exactly one.
OPERATOR_NOTIFICATIONS = (
    "SELECT event_id FROM notifications.notifications WHERE audience = 'operator'"
)


def wait_for_notifications(
    environment: Environment, expected: int, timeout: float = 90
) -> list[str]:
    deadline = time.monotonic() + timeout
    while True:
        rows = query(environment.database_url, OPERATOR_NOTIFICATIONS)
        if len(rows) >= expected or time.monotonic() > deadline:
            time.sleep(2)  # anything more would be a duplicate: give it the chance to show
            rows = query(environment.database_url, OPERATOR_NOTIFICATIONS)
            return [str(row["event_id"]) for row in rows]
        time.sleep(0.5)
