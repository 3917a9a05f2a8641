"""The whole system under a steady load: intake, submit → proposal and submit → operators' feed.

    python -m bench.journey --rates 1,2,5,10 --duration 20 [--processes matching=2] [--compare FILE]

Starts its own Kafka and PostgreSQL (`deploy/local`), a fresh database, the four services as
`make run` starts them, and a donor's source with room for everything. At each rate (journeys per
second, offered open loop: a journey starts when it is due, whatever the answers), a journey is a
request created and submitted by its state, endorsed by its centre and published by the
secretariat, each step as soon as the last one answered. Measured:

- **intake**: the latency of every one of those POSTs, and how many were answered per second;
- **to proposal**: from the submit to the matching service's `match.proposed` for the request,
  read from the global matches topic as a regional centre's system would; and, to tell the three
  POSTs from the events' path, **publish → proposal**: from the publish's answer to that event;
- **to feed**: from the submit to the operators' live stream (`/v1/stream`) showing it;
- **publish → proposal by stage**, from the two events' times (when each service's unit of work
  wrote it) and their Kafka records' timestamps (when each relay sent it): the requests' relay
  (`request.published` written → sent), matching (sent → `match.proposed` written: its consumer,
  queue, allocator and plan), matching's relay (written → sent), and the hop to this reader.

Beside them, in the same run and at the same rates, their ceilings on this machine: a bare FastAPI
endpoint inserting one row with asyncpg (bench/bare_app.py) for intake (offered four times the
rate: a journey makes four POSTs), and a raw aiokafka produce-then-consume round trip for one
event hop. CPU (cores busy, on average over the level) and peak memory of each process come from
/proc. Results are printed and written to bench/results/journey-<time>.json.

`--processes matching=2` runs a service as that many copies sharing its port (`serve
--processes`), as a second machine would: each copy is one more consumer in every group, so the
copies split the topics' partitions, and the allocators take turns. Each copy is its own row in
the resources table (`matching #1`, `matching #2`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import time
from collections import Counter
from collections.abc import Callable, Coroutine, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any

import httpx
import typer
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord

from bench.bare_app import EventLoop
from bench.intake import REQUEST, RESULTS_DIR, STACK_MARKER
from bench.procfs import (
    cpu_seconds_by_pid,
    machine_busy_seconds,
    peak_rss_mib,
    process_trees,
    reset_peak_rss,
    with_children,
)
from bench.report import percentile_ms
from bench.system import LOG_DIR, bare_server, environment, free_port, fresh_database, local_stack
from deploy.local import progress
from deploy.local.__main__ import migrate_all
from deploy.local.processes import ServiceProcess
from services import SERVICES
from services.requests.settings import RequestsSettings
from shared.auth import issue_key
from shared.events import Envelope, decode
from shared.events.matching import MatchProposed
from shared.events.requests import RequestPublished
from shared.principal import Principal
from shared.topics import Stream, Topics, TopicSpec, ensure_topics

CAST = {
    "state": Principal.national("LAO"),
    "centre": Principal.regional("south-eastern-asia"),
    "secretariat": Principal.secretariat(),
    "operator": Principal.operator(),
    "donor": Principal.for_donor("norway"),
}
STEPS = (("submit", "state"), ("endorse", "centre"), ("publish", "secretariat"))
POSTS_PER_JOURNEY = 1 + len(STEPS)
DRAIN_SECONDS = 30.0  # after a level, how long late proposals and feed lines are waited for
STAGES = ("requests_relay", "matching", "matching_relay", "read")
LATENCIES = ("intake", "bare", "proposal", "after_publish", "feed", "kafka", *STAGES)


@dataclass
class Level:
    """One rate's figures: latencies in milliseconds, resources per process."""

    run: str
    rate: float
    seconds: float
    journeys: int = 0
    published: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    intake_ms: list[float] = field(default_factory=list)
    bare_ms: list[float] = field(default_factory=list)
    proposal_ms: list[float] = field(default_factory=list)
    after_publish_ms: list[float] = field(default_factory=list)
    feed_ms: list[float] = field(default_factory=list)
    kafka_ms: list[float] = field(default_factory=list)
    requests_relay_ms: list[float] = field(default_factory=list)
    matching_ms: list[float] = field(default_factory=list)
    matching_relay_ms: list[float] = field(default_factory=list)
    read_ms: list[float] = field(default_factory=list)
    cpu_cores: dict[str, float] = field(default_factory=dict)
    peak_rss_mib: dict[str, float] = field(default_factory=dict)
    machine_busy_cores: float = 0.0
    copies: dict[str, int] = field(default_factory=dict)
    """The services run as several processes (`--processes`), with how many."""

    def record(self) -> dict[str, Any]:
        """What the results file keeps: counts, percentiles and resources, not every sample."""
        kept = {k: v for k, v in asdict(self).items() if not k.endswith("_ms")}
        kept["errors"] = dict(self.errors)
        kept["latency_ms"] = {name: percentiles(getattr(self, f"{name}_ms")) for name in LATENCIES}
        kept["answered"] = {name: len(getattr(self, f"{name}_ms")) for name in LATENCIES}
        return kept


def percentiles(samples_ms: list[float]) -> dict[str, float | None]:
    ordered = sorted(ms / 1000 for ms in samples_ms)
    return {f"p{p}": percentile_ms(ordered, p) for p in (50, 95, 99)}


@dataclass
class System:
    """The running services, the cast's keys, and when each journey's events showed up."""

    processes: dict[str, ServiceProcess]
    keys: dict[str, str]
    topics: Topics
    bootstrap: str
    submitted: dict[str, tuple[Level, float, float]] = field(default_factory=dict)
    proposed: dict[str, float] = field(default_factory=dict)
    fed: dict[str, float] = field(default_factory=dict)
    published_stamps: dict[str, Stamps] = field(default_factory=dict)
    proposed_stamps: dict[str, Stamps] = field(default_factory=dict)

    @property
    def round_trip_topic(self) -> str:
        return f"{self.topics.prefix}.bench.round-trip"

    def url(self, service: str, path: str) -> str:
        return f"{self.processes[service].url}{path}"

    def headers(self, who: str, idempotency_key: str | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.keys[who]}"}
        return {**headers, "Idempotency-Key": idempotency_key} if idempotency_key else headers

    def settle(self, level: Level) -> None:
        """Turn the arrival times of this level's journeys into latencies."""
        for request_id, (owner, submitted_at, published_at) in self.submitted.items():
            if owner is not level:
                continue
            if request_id in self.proposed:
                level.proposal_ms.append((self.proposed[request_id] - submitted_at) * 1000)
                level.after_publish_ms.append((self.proposed[request_id] - published_at) * 1000)
            if request_id in self.fed:
                level.feed_ms.append((self.fed[request_id] - submitted_at) * 1000)
            published = self.published_stamps.get(request_id)
            proposed = self.proposed_stamps.get(request_id)
            if published and proposed:
                level.requests_relay_ms.append(published.relay_ms)
                level.matching_ms.append((proposed.written - published.sent) * 1000)
                level.matching_relay_ms.append(proposed.relay_ms)
                level.read_ms.append((proposed.read - proposed.sent) * 1000)

    def waiting(self, level: Level) -> int:
        mine = [r for r, (owner, *_) in self.submitted.items() if owner is level]
        return sum(r not in self.proposed or r not in self.fed for r in mine)


@contextlib.contextmanager
def four_services(
    env: dict[str, str], copies: Mapping[str, int]
) -> Iterator[dict[str, ServiceProcess]]:
    """The services as `make run` starts them, each one process with its API and workers (or
    as many copies as `copies` says)."""
    migrate_all(env)
    processes = {
        name: ServiceProcess(
            name, env, free_port(), LOG_DIR / f"{name}.log", processes=copies.get(name, 1)
        )
        for name in SERVICES
    }
    try:
        for process in processes.values():
            process.start(wait=False)
        for process in processes.values():
            process.wait_ready()
        yield processes
    finally:
        for process in processes.values():
            process.stop()


async def issue_keys(env: dict[str, str], processes: dict[str, ServiceProcess]) -> dict[str, str]:
    """A key per member of the cast, returned once every service knows every key."""
    settings = RequestsSettings(
        kafka_bootstrap_servers=env["KAFKA_BOOTSTRAP_SERVERS"],
        database_url=env["DATABASE_URL"],
        topic_prefix=env["TOPIC_PREFIX"],
    )
    keys = {who: await issue_key(settings, p, f"bench {who}") for who, p in CAST.items()}
    async with httpx.AsyncClient(timeout=10) as client:
        for process in processes.values():
            for key in keys.values():
                headers = {"Authorization": f"Bearer {key}"}
                deadline = time.monotonic() + 60
                while (await client.get(f"{process.url}/v1/whoami", headers=headers)).is_error:
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"{process.service} never took a key in")
                    await asyncio.sleep(0.2)
    return keys


async def register_source(client: httpx.AsyncClient, system: System) -> None:
    """A donor window large enough that no journey waits for capacity."""
    today = date.today()
    body = {
        "kind": "donor-state",
        "name": "Norway: mine action",
        "donor": "norway",
        "home_country": "NOR",
        "supports": [{"convention": "CCM"}],
        "assistance_types": ["financial", "technical"],
        "eligibility": {"rule": "developing"},
        "windows": [
            {
                "opens": (today - timedelta(days=30)).isoformat(),
                "closes": (today + timedelta(days=900)).isoformat(),
                "currency": "USD",
                "capacity": "100000000000.00",
            }
        ],
        "contact": {"name": "Mine action desk", "email": "mine.action@example.org"},
    }
    answer = await client.post(
        system.url("inventory", "/v1/sources"),
        json=body,
        headers=system.headers("donor", "bench-source"),
    )
    answer.raise_for_status()


@dataclass(frozen=True)
class Stamps:
    """When an event was written (its time), sent (its record's timestamp) and read here, in
    seconds of the wall clock."""

    written: float
    sent: float
    read: float

    @classmethod
    def of(cls, record: ConsumerRecord[bytes, bytes], written: datetime) -> Stamps:
        return cls(written.timestamp(), record.timestamp / 1000, time.time())

    @property
    def relay_ms(self) -> float:
        return (self.sent - self.written) * 1000


async def watch_global(
    system: System,
    stream: Stream,
    ready: asyncio.Event,
    note: Callable[[ConsumerRecord[bytes, bytes], Envelope[Any]], None],
) -> None:
    """Read a global topic from its end, as a centre's system would; `note` sees each event."""
    consumer = AIOKafkaConsumer(
        system.topics.global_(stream),
        bootstrap_servers=system.bootstrap,
        auto_offset_reset="latest",
        group_id=None,
    )
    await consumer.start()
    try:
        await consumer.seek_to_end()
        ready.set()
        async for record in consumer:
            note(record, decode(record.value, record.key))
    finally:
        await consumer.stop()


async def watch_published(system: System, ready: asyncio.Event) -> None:
    """Note when each request's publication was written and sent."""

    def note(record: ConsumerRecord[bytes, bytes], event: Envelope[Any]) -> None:
        if isinstance(event.payload, RequestPublished):
            request_id = str(event.payload.request.request_id)
            system.published_stamps.setdefault(request_id, Stamps.of(record, event.time))

    await watch_global(system, Stream.REQUESTS, ready, note)


async def watch_proposals(system: System, ready: asyncio.Event) -> None:
    """Note when each request's first proposal appears on the global matches topic."""

    def note(record: ConsumerRecord[bytes, bytes], event: Envelope[Any]) -> None:
        if isinstance(event.payload, MatchProposed):
            request_id = str(event.payload.match.request_id)
            system.proposed.setdefault(request_id, time.monotonic())
            system.proposed_stamps.setdefault(request_id, Stamps.of(record, event.time))

    await watch_global(system, Stream.MATCHES, ready, note)


async def watch_feed(system: System, ready: asyncio.Event) -> None:
    """Note when the operators' live stream shows each request's submission."""
    params = {"type": "request.submitted"}
    async with (
        httpx.AsyncClient(timeout=None) as client,
        client.stream(
            "GET",
            system.url("notifications", "/v1/stream"),
            params=params,
            headers=system.headers("operator"),
        ) as stream,
    ):
        ready.set()
        async for line in stream.aiter_lines():
            if line.startswith("data:"):
                notification = json.loads(line.removeprefix("data:"))
                system.fed.setdefault(str(notification["request_id"]), time.monotonic())


async def open_loop(
    rate: float, seconds: float, start: Callable[[int], Coroutine[Any, Any, None]]
) -> int:
    """Start `start(n)` when it is due, `rate` times a second for `seconds`; wait for all."""
    tasks: list[asyncio.Task[None]] = []
    began, number = time.monotonic(), 0
    while (due := began + number / rate) < began + seconds:
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        tasks.append(asyncio.create_task(start(number)))
        number += 1
    await asyncio.gather(*tasks)
    return number


async def drained(done: Callable[[], bool]) -> None:
    """Until `done()`, or `DRAIN_SECONDS` passed: what is late by then counts as not arrived."""
    deadline = time.monotonic() + DRAIN_SECONDS
    while not done() and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.1)


@dataclass
class Journeys:
    """Requests from creation to publication, every POST timed."""

    client: httpx.AsyncClient
    system: System
    level: Level

    async def one(self, number: int) -> None:
        body = {**REQUEST, "deadline": (date.today() + timedelta(days=400)).isoformat()}
        body["title"] = f"Benchmark journey {self.level.rate:g}/{number}"
        tag = f"{self.level.run}-{self.level.rate:g}-{number}"
        created = await self.post(("requests", "/v1/requests"), body, "state", f"create-{tag}")
        if created is None:
            return
        submitted_at = 0.0
        for action, who in STEPS:
            submitted_at = submitted_at or time.monotonic()
            path = f"/v1/requests/{created['id']}/{action}"
            if await self.post(("requests", path), {}, who, f"{action}-{tag}") is None:
                return
        self.level.published += 1
        self.system.submitted[created["id"]] = (self.level, submitted_at, time.monotonic())

    async def post(
        self, where: tuple[str, str], body: dict[str, Any], who: str, key: str
    ) -> dict[str, Any] | None:
        started = time.monotonic()
        try:
            answer = await self.client.post(
                self.system.url(*where), json=body, headers=self.system.headers(who, key)
            )
        except httpx.HTTPError as error:
            self.level.errors[type(error).__name__] += 1
            return None
        if answer.is_error:
            self.level.errors[str(answer.status_code)] += 1
            return None
        self.level.intake_ms.append((time.monotonic() - started) * 1000)
        result: dict[str, Any] = answer.json()
        return result


async def bare_ceiling(url: str, level: Level) -> None:
    """The bare endpoint at the journeys' rate of POSTs: one insert each."""
    content = json.dumps(REQUEST).encode()
    async with httpx.AsyncClient(timeout=30) as client:

        async def post(number: int) -> None:
            started = time.monotonic()
            try:
                answer = await client.post(
                    url, content=content, headers={"Content-Type": "application/json"}
                )
            except httpx.HTTPError:
                return
            if not answer.is_error:
                level.bare_ms.append((time.monotonic() - started) * 1000)

        await open_loop(level.rate * POSTS_PER_JOURNEY, level.seconds, post)


async def kafka_ceiling(bootstrap: str, topic: str, level: Level) -> None:
    """A raw aiokafka round trip at the journeys' rate: produce (acks=all), consume, time it."""
    sent: dict[bytes, float] = {}
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="latest", group_id=None
    )
    await producer.start()
    await consumer.start()
    try:
        await consumer.seek_to_end()

        async def consume() -> None:
            async for record in consumer:
                if record.key in sent:
                    level.kafka_ms.append((time.monotonic() - sent[record.key]) * 1000)

        async def produce(number: int) -> None:
            key = f"{level.run}-{level.rate:g}-{number}".encode()
            sent[key] = time.monotonic()
            await producer.send_and_wait(topic, value=json.dumps(REQUEST).encode(), key=key)

        reader = asyncio.create_task(consume())
        await open_loop(level.rate, level.seconds, produce)
        await drained(lambda: len(level.kafka_ms) >= len(sent))
        reader.cancel()
    finally:
        await consumer.stop()
        await producer.stop()


class Resources:
    """CPU and peak memory of each process over one level, from /proc."""

    def __init__(self, pids: dict[str, set[int]]) -> None:
        self.pids = pids
        for group in pids.values():
            for pid in group:
                with contextlib.suppress(OSError):
                    reset_peak_rss(pid)
        self.before = {name: cpu_seconds_by_pid(group) for name, group in pids.items()}
        self.machine = machine_busy_seconds()
        self.started = time.monotonic()

    def into(self, level: Level) -> None:
        seconds = time.monotonic() - self.started
        for name, group in self.pids.items():
            now = cpu_seconds_by_pid(group)
            used = sum(now[pid] - self.before[name][pid] for pid in now if pid in self.before[name])
            level.cpu_cores[name] = used / seconds
            level.peak_rss_mib[name] = sum(_peak(pid) for pid in group)
        level.machine_busy_cores = (machine_busy_seconds() - self.machine) / seconds


def service_pids(processes: Mapping[str, ServiceProcess]) -> dict[str, set[int]]:
    """Each service's process, or each of its copies (not the parent that only watches them)."""
    pids = {}
    for name, service in processes.items():
        if service.process is None:
            continue
        if service.processes == 1:
            pids[name] = {service.process.pid}
            continue
        copies = with_children(service.process.pid)[1:]
        pids |= {f"{name} #{number}": {pid} for number, pid in enumerate(copies, 1)}
    return pids


def _peak(pid: int) -> float:
    try:
        return peak_rss_mib(pid)
    except OSError:
        return 0.0


async def measure(system: System, bare_url: str, rate: float, seconds: float, run: str) -> Level:
    level = Level(run, rate, seconds)
    level.copies = {n: p.processes for n, p in system.processes.items() if p.processes > 1}
    pids = service_pids(system.processes)
    pids["kafka+postgres"] = process_trees(STACK_MARKER)
    usage = Resources(pids)
    async with httpx.AsyncClient(timeout=60) as client:
        level.journeys = await open_loop(rate, seconds, Journeys(client, system, level).one)
    await drained(lambda: system.waiting(level) == 0)
    usage.into(level)
    system.settle(level)
    progress(f"  ceilings at {rate:g}/s ...")
    await bare_ceiling(bare_url, level)
    await kafka_ceiling(system.bootstrap, system.round_trip_topic, level)
    return level


async def measure_all(
    env: dict[str, str], processes: dict[str, ServiceProcess], bare_url: str, plan: Plan
) -> list[Level]:
    keys = await issue_keys(env, processes)
    system = System(processes, keys, Topics(env["TOPIC_PREFIX"]), env["KAFKA_BOOTSTRAP_SERVERS"])
    round_trip = TopicSpec(system.round_trip_topic, 3, 1, retention_ms=3_600_000)
    await ensure_topics(system.bootstrap, [round_trip])
    async with httpx.AsyncClient(timeout=30) as client:
        await register_source(client, system)
    watches = (watch_published, watch_proposals, watch_feed)
    ready = [asyncio.Event() for _ in watches]
    watchers = [
        asyncio.create_task(watch(system, r)) for watch, r in zip(watches, ready, strict=True)
    ]
    await asyncio.wait_for(asyncio.gather(*(r.wait() for r in ready)), 60)
    levels = []
    try:
        for rate in plan.rates:
            progress(f"{rate:g} journeys/s for {plan.seconds:g} s ...")
            levels.append(await measure(system, bare_url, rate, plan.seconds, plan.run))
    finally:
        for watcher in watchers:
            watcher.cancel()
    return levels


@dataclass(frozen=True)
class Plan:
    rates: list[float]
    seconds: float
    run: str


def table(levels: list[dict[str, Any]]) -> str:
    """Latency percentiles of each measure beside its ceiling, and the ratios at p50."""
    lines = [
        "rate/s  posts/s   bare/s | intake p50/p95/p99 ms  bare p50/p95/p99 ms | "
        "proposal p50/p95/p99 ms  after publish  feed p50/p95/p99 ms  kafka p50/p95/p99 ms | "
        "errors"
    ]
    for level in levels:
        latency, answered = level["latency_ms"], level["answered"]
        cells = [
            f"{level['rate']:6g}",
            f"{answered['intake'] / level['seconds']:8.1f}",
            f"{answered['bare'] / level['seconds']:8.1f} |",
            _triple(latency["intake"]),
            _triple(latency["bare"]) + " |",
            _triple(latency["proposal"]),
            _triple(latency["after_publish"]),
            _triple(latency["feed"]),
            _triple(latency["kafka"]) + " |",
            str(level["errors"] or "-"),
        ]
        lines.append(" ".join(cells))
    return "\n".join(lines)


def stages(levels: list[dict[str, Any]]) -> str:
    """Where publish → proposal goes: p50/p95 of each stage."""
    names = ("requests' relay", "matching", "matching's relay", "read here")
    lines = ["rate/s  " + "  ".join(f"{n:>16}" for n in names) + "   (p50/p95 ms)"]
    for level in levels:
        cells = [_pair(level["latency_ms"][stage]) for stage in STAGES]
        lines.append(f"{level['rate']:6g}  " + "  ".join(f"{c:>16}" for c in cells))
    return "\n".join(lines)


def _pair(figures: dict[str, float | None]) -> str:
    return "/".join("-" if figures[p] is None else f"{figures[p]:.0f}" for p in ("p50", "p95"))


def _triple(figures: dict[str, float | None]) -> str:
    values = [figures[p] for p in ("p50", "p95", "p99")]
    text = "/".join("-" if v is None else f"{v:.0f}" for v in values)
    return f"{text:>20}"


def resources(levels: list[dict[str, Any]]) -> str:
    names = list(levels[0]["cpu_cores"]) if levels else []
    header = "  ".join(f"{n:>16}" for n in names)
    lines = [f"rate/s  {header}  machine busy   (CPU cores, peak MiB)"]
    for level in levels:
        cells = [f"{level['cpu_cores'][n]:6.2f} {level['peak_rss_mib'][n]:7.0f} MiB" for n in names]
        busy = f"{level['machine_busy_cores']:14.2f}"
        lines.append(f"{level['rate']:6g}  " + "  ".join(f"{c:>16}" for c in cells) + busy)
    return "\n".join(lines)


def ratios(levels: list[dict[str, Any]]) -> str:
    """How far each measure is from its ceiling at p50: ceiling / measure."""
    lines = ["rate/s  intake vs bare  proposal vs kafka hop  feed vs kafka hop"]
    for level in levels:
        latency = level["latency_ms"]
        cells = [
            _ratio(latency["bare"]["p50"], latency["intake"]["p50"]),
            _ratio(latency["kafka"]["p50"], latency["proposal"]["p50"]),
            _ratio(latency["kafka"]["p50"], latency["feed"]["p50"]),
        ]
        lines.append(f"{level['rate']:6g}  " + "  ".join(f"{c:>14}" for c in cells))
    return "\n".join(lines)


def _ratio(ceiling: float | None, measured: float | None) -> str:
    if not ceiling or not measured:
        return "-"
    return f"{ceiling / measured:.0%}"


def compare_table(levels: list[dict[str, Any]], earlier: list[dict[str, Any]]) -> str:
    before = {level["rate"]: level for level in earlier}
    lines = ["rate/s  intake p50 (earlier)  proposal p50 (earlier)  feed p50 (earlier)"]
    for level in levels:
        old = before.get(level["rate"])
        if old is None:
            continue
        cells = [
            f"{_ms(level, name)} ({_ms(old, name)})" for name in ("intake", "proposal", "feed")
        ]
        lines.append(f"{level['rate']:6g}  " + "  ".join(f"{c:>20}" for c in cells))
    return "\n".join(lines)


def _ms(level: dict[str, Any], name: str) -> str:
    value = level["latency_ms"][name]["p50"]
    return "-" if value is None else f"{value:.0f} ms"


def _copies(text: str) -> dict[str, int]:
    """`matching=2,requests=2` as {service: copies}."""
    copies = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _, count = part.partition("=")
        if name not in SERVICES or not count.isdigit() or int(count) < 1:
            raise typer.BadParameter(f"--processes: SERVICE=COUNT, SERVICE one of {SERVICES}")
        copies[name] = int(count)
    return copies


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(
    rates: str = typer.Option("1,2,5,10", help="Journeys per second, offered open loop."),
    duration: float = typer.Option(20.0, min=1, help="Seconds of load per rate."),
    processes: str = typer.Option(
        "", help="Copies of a service sharing its port, e.g. matching=2 or requests=2,matching=2."
    ),
    compare: Path | None = typer.Option(None, exists=True, help="An earlier results file."),
) -> None:
    """Measure the whole system and its ceilings; print the tables and save the figures."""
    signal.signal(signal.SIGTERM, _raise_interrupt)
    copies = _copies(processes)
    try:
        plan = Plan(
            [float(r) for r in rates.split(",") if r.strip()],
            duration,
            datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ"),
        )
    except ValueError:
        raise typer.BadParameter("--rates: comma-separated numbers") from None
    if not plan.rates or any(rate <= 0 for rate in plan.rates):
        raise typer.BadParameter("--rates: positive numbers")
    with local_stack() as stack, fresh_database(stack.database_url) as database_url:
        env = environment(stack, database_url)
        with (
            four_services(env, copies) as services,
            bare_server(env, json.dumps(REQUEST).encode(), EventLoop.ASYNCIO) as bare,
        ):
            levels = asyncio.run(measure_all(env, services, bare.endpoint.url, plan))
    records = [level.record() for level in levels]
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"journey-{plan.run}.json"
    path.write_text(json.dumps(records, indent=2))
    shape = ", ".join(f"{name} x{count}" for name, count in copies.items()) or "one process each"
    print(f"\nThe whole system ({shape}), {plan.seconds:g} s per rate (latencies in ms)\n")
    print(table(records))
    print("\nCeiling ÷ measured at p50 (100 %: as fast as the bare ceiling)\n")
    print(ratios(records))
    print("\nPublish → proposal by stage (event written → record sent → ...)\n")
    print(stages(records))
    print("\nResources per process over each level\n")
    print(resources(records))
    if compare is not None:
        print(f"\nbeside {compare}\n")
        print(compare_table(records, json.loads(compare.read_text())))
    print(f"\nresults: {path}")


if __name__ == "__main__":
    typer.run(main)
