"""One service process: its resources, its workers (outbox relay, consumers) and its HTTP API.

Every service is described by a `ServiceDefinition` and run the same way. Resources are built when
the process starts (in the app's lifespan), never at import time, and closed when it stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Protocol, TypeVar

import uvicorn
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from fastapi import Depends, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import MetaData, Table, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from shared import asyncapi
from shared.auth import Authenticator, store_issued_key, store_revoked_key, whoami_router
from shared.consumer import Consumer, HandlerMap, RetryPolicy
from shared.db import Sessions, asyncpg_dsn, create_engine, session_factory
from shared.events import Envelope
from shared.events.access import ApiKeyIssued, ApiKeyRevoked
from shared.geography import RegionalNetwork, load_network
from shared.http import RequestIdMiddleware, health_router, install_problem_handlers
from shared.outbox import Outbox, OutboxRelay
from shared.settings import ServiceSettings
from shared.telemetry import MetricsMiddleware
from shared.topics import Stream, Topics, ensure_topics

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Subscription:
    """A consumer group of a service: what it reads and how it handles each event type."""

    name: str
    handlers: HandlerMap
    topics: Callable[[Topics], Sequence[str]] = lambda _: ()
    pattern: Callable[[Topics], str | None] = lambda _: None


@dataclass(frozen=True)
class ServiceDefinition:
    """Everything that makes a service: wired together in the service's `__main__`."""

    name: str
    settings_type: type[ServiceSettings]
    metadata: MetaData
    outbox_table: Table
    inbox_table: Table
    api_keys_table: Table
    idempotency_table: Table
    migrations: Path
    routers: Callable[[], Sequence[Any]]
    subscriptions: Callable[[Resources], Sequence[Subscription]] = lambda _: ()
    workers: Callable[[Resources], Sequence[Worker]] = lambda _: ()
    description: str = ""


class Worker(Protocol):
    """Something a service runs in the background until it is cancelled."""

    async def run(self) -> None: ...


@dataclass
class Resources:
    """What a running service holds: settings, database, producer, outbox, topics."""

    settings: ServiceSettings
    engine: AsyncEngine
    sessions: Sessions
    producer: AIOKafkaProducer
    outbox: Outbox
    topics: Topics
    network: RegionalNetwork
    authenticator: Authenticator
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
    settings: ServiceSettings, topics: Topics, network: RegionalNetwork
) -> None:
    specs = topics.all_specs(
        network.ids,
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
        await _ensure_topics(settings, topics, network)
        producer = await _start_producer(settings)
        sessions = session_factory(engine)
        try:
            yield Resources(
                settings=settings,
                engine=engine,
                sessions=sessions,
                producer=producer,
                outbox=Outbox(definition.outbox_table),
                topics=topics,
                network=network,
                authenticator=Authenticator(definition.api_keys_table, sessions),
            )
        finally:
            await producer.stop()
    finally:
        await engine.dispose()


def build_workers(definition: ServiceDefinition, resources: Resources) -> list[Any]:
    """The outbox relay and one consumer per subscription."""
    settings = resources.settings
    relay = OutboxRelay(
        definition.outbox_table,
        resources.sessions,
        resources.producer,
        listen_dsn=asyncpg_dsn(settings.service_database_url),
        batch_size=settings.relay_batch_size,
        idle_poll_seconds=settings.relay_idle_poll_seconds,
        sent_retention=timedelta(hours=settings.relay_sent_retention_hours),
    )
    retry = RetryPolicy(
        settings.consumer_max_attempts,
        settings.consumer_backoff_seconds,
        settings.consumer_backoff_max_seconds,
    )
    consumers = [
        Consumer(
            name=subscription.name,
            group_id=f"{settings.topic_prefix}.{definition.name}.{subscription.name}",
            bootstrap_servers=settings.kafka_bootstrap_servers,
            handlers=subscription.handlers,
            sessions=resources.sessions,
            inbox=definition.inbox_table,
            producer=resources.producer,
            deadletter_topic=resources.topics.deadletter(definition.name),
            topics=subscription.topics(resources.topics),
            pattern=subscription.pattern(resources.topics),
            retry=retry,
        )
        for subscription in (*definition.subscriptions(resources), access_subscription(definition))
    ]
    return [relay, *consumers, *definition.workers(resources)]


def access_subscription(definition: ServiceDefinition) -> Subscription:
    """Every service keeps its own table of API keys from the global access topic."""
    table = definition.api_keys_table

    async def key_issued(session: AsyncSession, envelope: Envelope[ApiKeyIssued]) -> None:
        await store_issued_key(session, table, envelope.payload)

    async def key_revoked(session: AsyncSession, envelope: Envelope[ApiKeyRevoked]) -> None:
        await store_revoked_key(session, table, envelope.payload.key_id)

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

    app = FastAPI(
        title=f"Clearing-house {definition.name} service",
        description=definition.description,
        version="1.0.0",
        lifespan=lifespan,
    )
    install_problem_handlers(app)
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
    for router in definition.routers():
        app.include_router(router)
    app.state.definition = definition
    return app


async def _metrics(request: Request) -> Response:
    """Prometheus's text format; every service process exposes its own."""
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


async def _asyncapi(request: Request) -> Response:
    """The AsyncAPI document of every topic and event (the same from every service)."""
    return JSONResponse(asyncapi.document(request.app.version))


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


async def get_resources(request: Request) -> Resources:
    """Async, like every dependency here: FastAPI runs a plain `def` one in a worker thread."""
    return get_app_resources(request.app)


ResourcesDep = Annotated[Resources, Depends(get_resources)]


async def transaction(resources: ResourcesDep) -> AsyncIterator[AsyncSession]:
    """One transaction per HTTP write, committed before the response is sent."""
    async with resources.sessions.begin() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(transaction, scope="function")]


class _Server(uvicorn.Server):
    """Ends the process normally after a graceful shutdown instead of re-raising the signal."""

    def handle_exit(self, sig: int, frame: Any) -> None:
        if self.should_exit and sig == signal.SIGINT:
            self.force_exit = True
        self.should_exit = True


async def serve(
    definition: ServiceDefinition, settings: ServiceSettings, *, api: bool, workers: bool
) -> None:
    if api:
        app = create_app(definition, settings, workers=workers)
        config = uvicorn.Config(
            app, host=settings.host, port=settings.port, log_config=None, access_log=False
        )
        await _Server(config).serve()
        return
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with running_service(definition, settings, workers=workers):
        await stop.wait()
