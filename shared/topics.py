"""Topic names, modelled on the three tiers of the network, and their creation.

    <prefix>.national.<stream>            what national focal points announce
    <prefix>.regional.<centre>.<stream>   one set per regional centre (ACLs by prefix)
    <prefix>.global.<stream>              the secretariat's tier, where matching works
    <prefix>.deadletter.<service>         events a service's consumers could not handle

API keys (`access`) travel on the global tier only.

Every event of one request or one source carries that aggregate's id as its key, so it stays in
order within its partition.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from shared.geography import CENTRE_ID

log = logging.getLogger(__name__)


class Stream(StrEnum):
    REQUESTS = "requests"
    SOURCES = "sources"
    FUNDS = "funds"
    MATCHES = "matches"
    DELIVERIES = "deliveries"
    ACCESS = "access"


GLOBAL_ONLY = frozenset({Stream.ACCESS})


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    replication_factor: int
    retention_ms: int


@dataclass(frozen=True)
class Topics:
    """Builds every topic name from one prefix."""

    prefix: str

    def national(self, stream: Stream) -> str:
        return f"{self.prefix}.national.{stream}"

    def regional(self, centre: str, stream: Stream) -> str:
        return f"{self.regional_prefix(centre)}{stream}"

    def regional_prefix(self, centre: str) -> str:
        """The name prefix of one centre's topics: what its Kafka ACLs are granted on."""
        if not CENTRE_ID.match(centre):
            raise ValueError(f"invalid regional centre id {centre!r}")
        return f"{self.prefix}.regional.{centre}."

    def regional_pattern(self, stream: Stream) -> str:
        """A regex matching this stream on every centre's topics, for pattern subscriptions."""
        return rf"^{re.escape(self.prefix)}\.regional\.[a-z0-9-]+\.{stream}$"

    def global_(self, stream: Stream) -> str:
        return f"{self.prefix}.global.{stream}"

    def deadletter(self, service: str) -> str:
        return f"{self.prefix}.deadletter.{service}"

    def all_specs(
        self,
        centres: Iterable[str],
        services: Iterable[str],
        *,
        partitions: int,
        replication_factor: int,
        retention_ms: int,
        deadletter_retention_ms: int,
    ) -> list[TopicSpec]:
        """Every tier's topics for these regional centres, and these services' dead letters."""
        shared_streams = [s for s in Stream if s not in GLOBAL_ONLY]
        names = [self.global_(s) for s in Stream] + [self.national(s) for s in shared_streams]
        names += [self.regional(c, s) for c in sorted(set(centres)) for s in shared_streams]
        specs = [TopicSpec(n, partitions, replication_factor, retention_ms) for n in names]
        specs += [
            TopicSpec(self.deadletter(s), 1, replication_factor, deadletter_retention_ms)
            for s in services
        ]
        return specs


async def ensure_topics(
    bootstrap_servers: str, specs: Iterable[TopicSpec], leader_timeout: float = 60
) -> list[str]:
    """Create the topics that do not exist yet and wait until every partition has a leader.

    Returns the names created. Waiting for leaders makes a ready service's topics usable at once:
    a producer that writes to a partition still electing its leader only retries, noisily.
    """
    specs = list(specs)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        created = await _create_missing(admin, specs)
        await _await_leaders(admin, [spec.name for spec in specs], leader_timeout)
        return created
    finally:
        await admin.close()


async def _await_leaders(admin: AIOKafkaAdminClient, names: list[str], seconds: float) -> None:
    async with asyncio.timeout(seconds):
        while await _leaderless(admin, names):  # noqa: ASYNC110 (the broker has no event for it)
            await asyncio.sleep(0.2)


async def _leaderless(admin: AIOKafkaAdminClient, names: list[str]) -> list[str]:
    topics = await admin.describe_topics(names)
    return [
        topic["topic"]
        for topic in topics
        if topic["error_code"] != 0
        or not topic["partitions"]
        or any(p["error_code"] != 0 or p["leader"] < 0 for p in topic["partitions"])
    ]


async def _create_missing(admin: AIOKafkaAdminClient, specs: list[TopicSpec]) -> list[str]:
    existing = set(await admin.list_topics())
    missing = [spec for spec in specs if spec.name not in existing]
    if not missing:
        return []
    new_topics = [
        NewTopic(
            name=spec.name,
            num_partitions=spec.partitions,
            replication_factor=spec.replication_factor,
            topic_configs={"retention.ms": str(spec.retention_ms)},
        )
        for spec in missing
    ]
    try:
        await admin.create_topics(new_topics)
    except TopicAlreadyExistsError:
        log.info("another process created some of the topics first")
    log.info("created %d topics", len(missing))
    return [spec.name for spec in missing]
