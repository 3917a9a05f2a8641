"""The cast of the end-to-end story: the four services as processes, and who calls them.

Everything goes through the public surfaces a partner would use: each service's HTTP API with an
API key of its own, and a regional centre's subscription to its region's topics.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer

from deploy.local.processes import ServiceProcess
from services import SERVICES
from services.requests.settings import RequestsSettings
from shared.auth import issue_key
from shared.events import Envelope, EventPayload, decode
from shared.principal import Principal
from shared.topics import Stream, Topics
from tests.integration.notifications.receiver import Receiver
from tests.polling import eventually
from tests.system import Environment, free_port, service_process

STATE = "LAO"
CENTRE = "south-eastern-asia"
OTHER_STATE = "ALB"
OTHER_CENTRE = "western-balkans"
DONOR = "norway"

CAST = {
    "state": Principal.national(STATE),
    "centre": Principal.regional(CENTRE),
    "secretariat": Principal.secretariat(),
    "operator": Principal.operator(),
    "donor": Principal.for_donor(DONOR),
    "other state": Principal.national(OTHER_STATE),
    "other centre": Principal.regional(OTHER_CENTRE),
    "other donor": Principal.for_donor("japan"),
}


QUICK_NOTIFICATIONS = {
    "NOTIFICATIONS_WEBHOOK_ALLOW_PRIVATE_ADDRESSES": "true",  # the receivers are on 127.0.0.1
    "NOTIFICATIONS_WEBHOOK_BACKOFF_SECONDS": "0.2",
    "NOTIFICATIONS_WEBHOOK_BACKOFF_MAX_SECONDS": "2",
    "NOTIFICATIONS_WEBHOOK_POLL_SECONDS": "0.3",
    "NOTIFICATIONS_STREAM_POLL_SECONDS": "0.5",
    "NOTIFICATIONS_ALERT_SWEEP_SECONDS": "1",
}


def system(environment: Environment) -> dict[str, ServiceProcess]:
    """Each service as one process running its API and its workers, as `make run` starts it;
    the notifications service with short delays and webhooks allowed to loopback receivers. The
    portal's pages of each link to the others, as `make run` sets them up."""
    ports = {name: free_port() for name in SERVICES}
    urls = json.dumps({name: f"http://127.0.0.1:{port}" for name, port in ports.items()})
    return {
        name: service_process(
            name,
            environment,
            port=ports[name],
            PORTAL_URLS=urls,
            **(QUICK_NOTIFICATIONS if name == "notifications" else {}),
        )
        for name in SERVICES
    }


@dataclass
class Clients:
    """One HTTP client per service; `as_(who)` gives the headers of a member of the cast."""

    services: dict[str, httpx.AsyncClient]
    keys: dict[str, str]

    def __getitem__(self, service: str) -> httpx.AsyncClient:
        return self.services[service]

    def as_(self, who: str, **headers: str) -> dict[str, str]:
        extra = {name.replace("_", "-"): value for name, value in headers.items()}
        return {"Authorization": f"Bearer {self.keys[who]}", **extra}


@contextlib.asynccontextmanager
async def clients(
    environment: Environment, processes: dict[str, ServiceProcess]
) -> AsyncIterator[Clients]:
    """Clients of the running services, with a key issued for each member of the cast and
    waited for until every service has taken it in (keys travel as events)."""
    settings = environment.settings(RequestsSettings)
    keys = {who: await issue_key(settings, principal, who) for who, principal in CAST.items()}
    async with contextlib.AsyncExitStack() as stack:
        services = {
            name: await stack.enter_async_context(httpx.AsyncClient(base_url=p.url, timeout=30))
            for name, p in processes.items()
        }
        cast = Clients(services, keys)
        await eventually(lambda: _everyone_known(cast), seconds=60)
        yield cast


async def _everyone_known(cast: Clients) -> bool:
    for client in cast.services.values():
        for who in cast.keys:
            if (await client.get("/v1/whoami", headers=cast.as_(who))).status_code != 200:
                return False
    return True


@dataclass
class Subscription:
    """A regional centre reading its region's topics directly, as an outside system would."""

    environment: Environment
    centre: str
    streams: tuple[Stream, ...] = (Stream.REQUESTS, Stream.MATCHES, Stream.FUNDS)
    seen: list[Envelope[EventPayload]] = field(default_factory=list)
    consumer: AIOKafkaConsumer | None = None

    async def __aenter__(self) -> Subscription:
        topics = Topics(self.environment.topic_prefix)
        self.consumer = AIOKafkaConsumer(
            *(topics.regional(self.centre, stream) for stream in self.streams),
            bootstrap_servers=self.environment.kafka_bootstrap_servers,
            auto_offset_reset="earliest",
            group_id=None,
        )
        await self.consumer.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.consumer is not None
        await self.consumer.stop()

    async def poll(self) -> list[Envelope[EventPayload]]:
        assert self.consumer is not None
        batches = await self.consumer.getmany(timeout_ms=200)
        self.seen += [decode(r.value, r.key) for batch in batches.values() for r in batch]
        return self.seen

    async def wait_for(self, event_type: str, key: str, seconds: float = 60) -> Envelope[Any]:
        """The first event of `event_type` about `key` on the centre's topics."""

        async def found() -> Envelope[Any] | None:
            events = await self.poll()
            return next((e for e in events if e.type == event_type and e.key == key), None)

        return await eventually(found, seconds=seconds)

    def types_about(self, key: str) -> list[str]:
        return [event.type for event in self.seen if event.key == key]


async def subscribe(cast: Clients, who: str, receiver: Receiver) -> None:
    """`who` registers a webhook for all its notifications with `receiver`."""
    created = await cast["notifications"].post(
        "/v1/subscriptions", json={"url": receiver.url}, headers=cast.as_(who)
    )
    assert created.status_code == 201, created.text
    receiver.secrets.append(created.json()["secret"])


def hooked(receiver: Receiver) -> set[str]:
    """The notification types a receiver handled."""
    return {body["type"] for body in receiver.handled.values()}
