"""One service process: its resources, its workers (outbox relay, consumers) and its HTTP API.

Every service is described by a `ServiceDefinition` and run the same way. Resources are built when
the process starts (in the app's lifespan), never at import time, and closed when it stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Protocol, TypeVar

import uvicorn
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from fastapi_offline import FastAPIOffline
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import MetaData, Table, text
from sqlalchemy.ext.asyncio import AsyncEngine

from shared import asyncapi
from shared.auth import Authenticator, store_issued_key, store_revoked_key, whoami_router
from shared.consumer import Consumer, HandlerMap, RetryPolicy
from shared.db import Sessions, asyncpg_dsn, create_engine, session_factory
from shared.events import Envelope, EventPayload
from shared.events.access import ApiKeyIssued, ApiKeyRevoked
from shared.geography import RegionalNetwork, load_network
from shared.http import (
    RequestIdMiddleware,
    RetryConflictsMiddleware,
    health_router,
    install_problem_handlers,
)
from shared.outbox import Outbox, OutboxRelay
from shared.portal.routes import install_portal
from shared.settings import ServiceSettings
from shared.tables import KernelTables
from shared.telemetry import MetricsMiddleware
from shared.topics import Stream, Topics, ensure_topics
from shared.unit_of_work import EventMappingFactory, UnitOfWork

log = logging.getLogger(__name__)

KeyChange = Callable[[UnitOfWork, str], Awaitable[None]]
"""What a service does when a key (by its id) was issued or revoked, once the key is stored."""


@dataclass(frozen=True)
class Subscription:
    """A consumer group of a service: the topics it reads and its handler of each event type."""

    name: str
    handlers: HandlerMap
    topics: Callable[[Topics], Sequence[str]]


@dataclass(frozen=True)
class ServiceDefinition:
    """Everything that makes a service, declared in its `service.py`.

    `events` is the service's event mapping, and `publishes` the payloads it puts on each stream
    (for the AsyncAPI document); a service that publishes nothing has neither and runs no relay.
    `on_key_change` runs in the unit of work that stores an issued or revoked key, for a service
    whose decisions depend on who holds a key.
    """

    name: str
    settings_type: type[ServiceSettings]
    metadata: MetaData
    tables: KernelTables
    migrations: Path
    routers: Callable[[], Sequence[Any]]
    events: EventMappingFactory | None = None
    publishes: Mapping[Stream, Sequence[type[EventPayload]]] = field(default_factory=dict)
    subscriptions: Sequence[Subscription] = ()
    workers: Callable[[Resources], Sequence[Worker]] = lambda _: ()
    on_key_change: KeyChange | None = None
    description: str = ""

    @property
    def source(self) -> str:
        """The CloudEvents `source` of the events the service publishes."""
        return f"/clearinghouse/{self.name}"


class Worker(Protocol):
    """Something a service runs in the background until it is cancelled."""

    async def run(self) -> None: ...


@dataclass
class Resources:
    """What a running service holds: settings, database, producer, topics, units of work."""

    settings: ServiceSettings
    engine: AsyncEngine
    sessions: Sessions
    producer: AIOKafkaProducer
    topics: Topics
    network: RegionalNetwork
    authenticator: Authenticator
    unit_of_work: Callable[[], UnitOfWork]
    workers: list[Any] = field(default_factory=list)

    async def check_database(self) -> None:
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def check_broker(self) -> None:
        await self.producer.client.fetch_all_metadata()


async def _start_producer(settings: ServiceSettings) -> AIOKafkaProducer:
    """An idempotent producer: retries never duplicate or reorder records of one partition."""
    while True:
        producer = AIOKafkaProducer(
            bootstrap_servers=settings.kafka_bootstrap_servers,
            client_id=settings.service_name,
            enable_idempotence=True,
            acks="all",
            linger_ms=2,
        )
        try:
            await producer.start()
            return producer
        except KafkaError as error:
            await producer.stop()
            log.warning("broker not reachable (%s); retrying", error)
            await asyncio.sleep(1)


async def _ensure_topics(
    definition: ServiceDefinition,
    settings: ServiceSettings,
    topics: Topics,
    network: RegionalNetwork,
) -> None:
    """Every tier's topics (any service may start first) and the service's dead letters."""
    specs = topics.all_specs(
        network.ids,
        [definition.name],
        partitions=settings.topic_partitions,
        replication_factor=settings.topic_replication_factor,
        retention_ms=settings.topic_retention_ms,
        deadletter_retention_ms=settings.deadletter_retention_ms,
    )
    while True:
        try:
            await ensure_topics(settings.kafka_bootstrap_servers, specs)
            return
        except KafkaError as error:
            log.warning("could not create topics (%s); retrying", error)
            await asyncio.sleep(1)


@contextlib.asynccontextmanager
async def open_resources(
    definition: ServiceDefinition, settings: ServiceSettings
) -> AsyncIterator[Resources]:
    topics = Topics(settings.topic_prefix)
    network = load_network(settings.regional_centres_file)
    engine = create_engine(settings.service_database_url, pool_size=settings.database_pool_size)
    try:
        await _ensure_topics(definition, settings, topics, network)
        producer = await _start_producer(settings)
        sessions = session_factory(engine)
        try:
            yield Resources(
                settings=settings,
                engine=engine,
                sessions=sessions,
                producer=producer,
                topics=topics,
                network=network,
                authenticator=Authenticator(definition.tables.api_keys, sessions),
                unit_of_work=_units_of_work(definition, sessions, topics, network),
            )
        finally:
            await producer.stop()
    finally:
        await engine.dispose()


def _units_of_work(
    definition: ServiceDefinition, sessions: Sessions, topics: Topics, network: RegionalNetwork
) -> Callable[[], UnitOfWork]:
    """A factory of the service's units of work, with its outbox and event mapping if any."""
    outbox = Outbox(definition.tables.outbox) if definition.events else None
    mapping = definition.events(topics, network) if definition.events else None

    def unit_of_work() -> UnitOfWork:
        return UnitOfWork(
            sessions, network=network, outbox=outbox, mapping=mapping, source=definition.source
        )

    return unit_of_work


def build_workers(definition: ServiceDefinition, resources: Resources) -> list[Any]:
    """The outbox relay (for a service that publishes), one consumer per subscription, and the
    service's own workers."""
    settings = resources.settings
    relays = []
    if definition.events is not None:
        relays.append(
            OutboxRelay(
                definition.tables.outbox,
                resources.sessions,
                resources.producer,
                listen_dsn=asyncpg_dsn(settings.service_database_url),
                batch_size=settings.relay_batch_size,
                idle_poll_seconds=settings.relay_idle_poll_seconds,
                sent_retention=timedelta(hours=settings.relay_sent_retention_hours),
            )
        )
    retry = RetryPolicy(
        settings.consumer_max_attempts,
        settings.consumer_backoff_seconds,
        settings.consumer_backoff_max_seconds,
    )
    consumers = [
        Consumer(
            name=subscription.name,
            group_id=consumer_group(settings.topic_prefix, definition, subscription),
            bootstrap_servers=settings.kafka_bootstrap_servers,
            handlers=subscription.handlers,
            unit_of_work=resources.unit_of_work,
            inbox=definition.tables.inbox,
            producer=resources.producer,
            deadletter_topic=resources.topics.deadletter(definition.name),
            topics=subscription.topics(resources.topics),
            retry=retry,
        )
        for subscription in all_subscriptions(definition)
    ]
    return [*relays, *consumers, *definition.workers(resources)]


def consumer_group(prefix: str, definition: ServiceDefinition, subscription: Subscription) -> str:
    """The Kafka consumer group that reads a subscription's topics for the service."""
    return f"{prefix}.{definition.name}.{subscription.name}"


def all_subscriptions(definition: ServiceDefinition) -> list[Subscription]:
    """The service's own subscriptions and the one every service has: its API keys."""
    access = access_subscription(definition.tables.api_keys, definition.on_key_change)
    return [*definition.subscriptions, access]


def access_subscription(table: Table, then: KeyChange | None = None) -> Subscription:
    """Every service keeps its own table of API keys from the global access topic; `then` runs
    after each change, in the same unit of work."""

    async def key_issued(uow: UnitOfWork, envelope: Envelope[ApiKeyIssued]) -> None:
        await store_issued_key(uow.session, table, envelope.payload)
        if then is not None:
            await then(uow, envelope.payload.key_id)

    async def key_revoked(uow: UnitOfWork, envelope: Envelope[ApiKeyRevoked]) -> None:
        await store_revoked_key(uow.session, table, envelope.payload.key_id)
        if then is not None:
            await then(uow, envelope.payload.key_id)

    return Subscription(
        name="access",
        handlers={ApiKeyIssued: key_issued, ApiKeyRevoked: key_revoked},
        topics=lambda topics: [topics.global_(Stream.ACCESS)],
    )


async def supervise(name: str, run: Callable[[], Awaitable[None]]) -> None:
    """Keep a worker running: a crash is logged and the worker starts again after a pause."""
    while True:
        try:
            await run()
            return
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("worker %s stopped; restarting", name)
            await asyncio.sleep(1)


@contextlib.asynccontextmanager
async def running_service(
    definition: ServiceDefinition, settings: ServiceSettings, *, workers: bool = True
) -> AsyncIterator[Resources]:
    """Resources open and, when asked, the relay and consumers running in the background."""
    async with open_resources(definition, settings) as resources:
        tasks: list[asyncio.Task[None]] = []
        if workers:
            resources.workers = build_workers(definition, resources)
            tasks = [
                asyncio.create_task(supervise(type(w).__name__, w.run), name=type(w).__name__)
                for w in resources.workers
            ]
        try:
            yield resources
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)


def create_app(
    definition: ServiceDefinition, settings: ServiceSettings, *, workers: bool = True
) -> FastAPI:
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with running_service(definition, settings, workers=workers) as resources:
            app.state.resources = resources
            yield

    app = FastAPIOffline(  # /docs and /redoc with Swagger UI and ReDoc served by the service itself
        title=f"Clearing-house {definition.name} service",
        description=definition.description,
        version="1.0.0",
        lifespan=lifespan,
    )
    install_problem_handlers(app)
    app.add_middleware(RetryConflictsMiddleware, max_body_bytes=settings.max_body_bytes)
    app.add_middleware(RequestIdMiddleware)
    app.add_middleware(MetricsMiddleware, service=definition.name)
    FastAPIInstrumentor.instrument_app(app, excluded_urls="healthz,readyz,metrics")
    checks = {
        "database": lambda: get_app_resources(app).check_database(),
        "broker": lambda: get_app_resources(app).check_broker(),
    }
    app.include_router(health_router(checks))
    app.include_router(whoami_router)
    app.add_route("/metrics", _metrics, include_in_schema=False)
    app.add_route("/asyncapi.json", _asyncapi, include_in_schema=False)
    install_portal(app)
    for router in definition.routers():
        app.include_router(router)
    app.state.definition = definition
    return app


async def _metrics(request: Request) -> Response:
    """Prometheus's text format; every service process exposes its own."""
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


async def _asyncapi(request: Request) -> Response:
    """The AsyncAPI document of what this service publishes and consumes."""
    definition: ServiceDefinition = request.app.state.definition
    return JSONResponse(asyncapi.document([definition], request.app.version))


S = TypeVar("S", bound=ServiceSettings)


def service_settings(resources: Resources, kind: type[S]) -> S:
    """The running service's own settings (Resources holds them as the common base class)."""
    settings = resources.settings
    if not isinstance(settings, kind):
        raise TypeError(
            f"expected {kind.__name__}, the service runs with {type(settings).__name__}"
        )
    return settings


def get_app_resources(app: FastAPI) -> Resources:
    resources: Resources = app.state.resources
    return resources


class _Server(uvicorn.Server):
    """Ends the process normally after a graceful shutdown instead of re-raising the signal."""

    def handle_exit(self, sig: int, frame: Any) -> None:
        if self.should_exit and sig == signal.SIGINT:
            self.force_exit = True
        self.should_exit = True


async def serve(
    definition: ServiceDefinition,
    settings: ServiceSettings,
    *,
    api: bool,
    workers: bool,
    share_port: bool = False,
) -> None:
    """Run the service until SIGINT or SIGTERM. With `share_port`, its socket lets other
    copies of the service listen on the same port, and the kernel spreads connections among
    them (SO_REUSEPORT)."""
    if api:
        app = create_app(definition, settings, workers=workers)
        config = uvicorn.Config(
            app, host=settings.host, port=settings.port, log_config=None, access_log=False
        )
        sockets = [_shared_socket(settings.host, settings.port)] if share_port else None
        await _Server(config).serve(sockets=sockets)
        return
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with running_service(definition, settings, workers=workers):
        await stop.wait()


def _shared_socket(host: str, port: int) -> socket.socket:
    family, kind, protocol, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    listening = socket.socket(family, kind, protocol)
    listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    listening.bind(address)
    return listening
