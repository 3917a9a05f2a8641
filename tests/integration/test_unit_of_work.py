"""The unit of work writes what tracked aggregates recorded to the outbox, in the transaction of
the change, only when it commits; nothing of a failed one; and refuses events nobody publishes."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

from services.requests.service import SERVICE as REQUESTS
from services.requests.settings import RequestsSettings
from shared.events import Envelope, decode
from shared.events.access import ApiKeyRevoked
from shared.geography import RegionalNetwork
from shared.outbox import Outbox
from shared.runtime import Resources, running_service
from shared.topics import Topics
from shared.unit_of_work import Message, UnitOfWork
from tests.database import fetch
from tests.system import Environment


@dataclass
class Key:
    """A stand-in aggregate: records one domain event per revocation."""

    key_id: str
    events: list[Any] = field(default_factory=list)

    def revoke(self) -> None:
        self.events.append(("revoked", self.key_id))


class KeyEvents:
    """An event mapping: one domain event, one message on two topics."""

    def __init__(self, topics: Topics, network: RegionalNetwork) -> None:
        self.topics = topics

    def messages(self, key: Key, events: Sequence[Any]) -> Iterator[Message]:
        for _ in events:
            yield Message(ApiKeyRevoked(key_id=key.key_id), key.key_id, ["t.one", "t.two"])


def _unit_of_work(resources: Resources, *, publishes: bool = True) -> UnitOfWork:
    return UnitOfWork(
        resources.sessions,
        network=resources.network,
        outbox=Outbox(REQUESTS.tables.outbox) if publishes else None,
        mapping=KeyEvents(resources.topics, resources.network) if publishes else None,
        source="/tests",
    )


async def _outbox(environment: Environment) -> list[Any]:
    return await fetch(
        environment.database_url, "SELECT topic, key, value FROM requests.outbox ORDER BY id"
    )


async def _revoke_then_fail(unit_of_work: UnitOfWork) -> None:
    async with unit_of_work as uow:
        uow.track(Key("k2")).revoke()
        raise RuntimeError("refused")


async def test_commit_writes_each_recorded_event_once_per_topic(environment: Environment) -> None:
    async with running_service(
        REQUESTS, environment.settings(RequestsSettings), workers=False
    ) as r:
        key = Key("k1")
        async with _unit_of_work(r) as uow:
            uow.track(key)
            uow.track(key)  # tracked twice, published once
            key.revoke()
            assert await _outbox(environment) == []  # not before the commit

    rows = await _outbox(environment)
    assert [(row["topic"], row["key"]) for row in rows] == [("t.one", "k1"), ("t.two", "k1")]
    envelope: Envelope[Any] = decode(rows[0]["value"])
    assert envelope.payload == ApiKeyRevoked(key_id="k1")
    assert envelope.source == "/tests"
    assert key.events == []


async def test_a_failed_unit_of_work_leaves_no_event(environment: Environment) -> None:
    async with running_service(
        REQUESTS, environment.settings(RequestsSettings), workers=False
    ) as r:
        with pytest.raises(RuntimeError, match="refused"):
            await _revoke_then_fail(_unit_of_work(r))

    assert await _outbox(environment) == []


async def test_events_that_no_mapping_publishes_are_refused(environment: Environment) -> None:
    async with running_service(
        REQUESTS, environment.settings(RequestsSettings), workers=False
    ) as r:
        with pytest.raises(RuntimeError, match="recorded events nobody publishes"):
            async with _unit_of_work(r, publishes=False) as uow:
                uow.track(Key("k3")).revoke()

    assert await _outbox(environment) == []
