"""HTTP intake benchmark: the requests service's `POST /v1/requests` against a bare ceiling.

    python -m bench.intake --duration 10 --concurrency 1,8,32,64 [--rates 200,400]
                           [--clients 2] [--targets bare,service] [--compare FILE]

Starts its own Kafka and PostgreSQL (`deploy/local`), a fresh database, then each server in
turn, alone on the machine: the bare app (bench/bare_app.py) and the requests service. Each load
level runs for a warm-up plus `--duration` seconds; see bench/README.md for how to read the tables.
"""

from __future__ import annotations

import json
import os
import signal
import time
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from types import FrameType

import typer

from bench.bare_app import EventLoop
from bench.load import Load, Mode, new_window, running_clients, sleep_until
from bench.procfs import (
    cpu_seconds_by_pid,
    machine_busy_seconds,
    peak_rss_mib,
    process_trees,
    reset_peak_rss,
    with_children,
)
from bench.report import (
    Measurement,
    compare_table,
    error_lines,
    percentile_ms,
    read_results,
    resources_table,
    throughput_table,
    write_results,
)
from bench.system import (
    STATE_DIR,
    BenchError,
    Server,
    bare_server,
    environment,
    fresh_database,
    local_stack,
    requests_service,
)
from deploy.local import progress
from deploy.local.processes import ROOT

RESULTS_DIR = ROOT / "bench" / "results"
# Every process of our Kafka and PostgreSQL names a path in the state dir (their backends do not,
# but are their children).
STACK_MARKER = f"{STATE_DIR.resolve()}/"
PAUSE_SECONDS = 2.0  # between levels: the relay publishes what the last level left behind

REQUEST = {
    "state": "LAO",
    "convention": "CCM",
    "areas": ["survey-and-clearance"],
    "assistance_types": ["financial", "technical"],
    "title": "Survey and clearance of cluster munition remnants in Xieng Khouang",
    "description": (
        "Xieng Khouang province remains heavily contaminated by cluster munition remnants. "
        "The national operator needs funding and technical support for non-technical and "
        "technical survey of 120 confirmed hazardous areas, followed by clearance of the "
        "highest-priority agricultural land and school grounds, and for the training of two "
        "additional survey teams, including their equipment and quality management."
    ),
    "evidence": [
        {
            "kind": "survey",
            "description": "Non-technical survey 2018",
            "reference": "https://example.org/survey",
            "date": "2018-11-30",
        }
    ],
    "amount": {"value": "1500000.00", "currency": "USD"},
    "deadline": "2030-08-01",
    "deadline_reason": "Article 4 clearance deadline",
    "urgency": "high",
    "contact": {"name": "National focal point", "email": "focal.point@example.org"},
}


class Target(StrEnum):
    BARE = "bare"
    SERVICE = "service"


@dataclass(frozen=True)
class Plan:
    """What to measure: the loads, in order, and how long each level lasts."""

    loads: list[Load]
    warmup: float
    duration: float
    clients: int


@dataclass(frozen=True)
class _Usage:
    """CPU seconds since start of the server, of each process of our stack, of the machine."""

    server: float
    stack: dict[int, float]
    machine: float

    @classmethod
    def now(cls, server_pids: list[int], stack_pids: set[int]) -> _Usage:
        return cls(
            sum(cpu_seconds_by_pid(server_pids).values()),
            cpu_seconds_by_pid(stack_pids),
            machine_busy_seconds(),
        )

    def stack_since(self, before: _Usage) -> float:
        """CPU the stack's processes used since `before` (ones that came or went are left out)."""
        return sum(s - before.stack[pid] for pid, s in self.stack.items() if pid in before.stack)


def measure(server: Server, load: Load, plan: Plan, run: str) -> Measurement:
    """One load level against one server: the clients' view and the resources used."""
    window = new_window(plan.warmup, plan.duration)
    with running_clients(server.endpoint, load, window, plan.clients) as clients:
        sleep_until(window.measure_start)
        stack_pids = process_trees(STACK_MARKER)
        server_pids = with_children(server.pid)
        for pid in server_pids:
            reset_peak_rss(pid)
        before = _Usage.now(server_pids, stack_pids)
        sleep_until(window.measure_end)
        after = _Usage.now(server_pids, stack_pids)
        peak_rss = max(peak_rss_mib(pid) for pid in server_pids)
        result = clients.collect()
    latencies = sorted(result.latencies)
    seconds = plan.duration
    return Measurement(
        run=run,
        target=server.name,
        mode=load.mode.value,
        level=load.level,
        label=load.label,
        duration_s=seconds,
        client_processes=len(load.split(plan.clients)),
        requests=len(latencies),
        throughput_rps=len(latencies) / seconds,
        p50_ms=percentile_ms(latencies, 50),
        p95_ms=percentile_ms(latencies, 95),
        p99_ms=percentile_ms(latencies, 99),
        server_cpu_cores=(after.server - before.server) / seconds,
        server_peak_rss_mib=peak_rss,
        client_cpu_cores=result.cpu_seconds / seconds,
        stack_cpu_cores=after.stack_since(before) / seconds,
        machine_busy_cores=(after.machine - before.machine) / seconds,
        errors=dict(result.errors),
    )


def measure_all(
    plan: Plan,
    targets: list[Target],
    loop: EventLoop,
    run: str,
    results: list[Measurement],
    copies: list[int],
) -> None:
    """Every load against every target, appending to `results` as it goes."""
    body = json.dumps(REQUEST).encode()
    with local_stack() as stack, fresh_database(stack.database_url) as database_url:
        env = environment(stack, database_url)
        for target, processes in _servers(targets, copies):
            with _start(target, env, body, loop, processes) as server:
                for load in plan.loads:
                    progress(f"{server.name}: {load.mode} loop, {load.label} ...")
                    results.append(measure(server, load, plan, run))
                    time.sleep(PAUSE_SECONDS)


def _servers(targets: list[Target], copies: list[int]) -> list[tuple[Target, int]]:
    """The bare app once, the service once per number of processes asked for."""
    return [
        (target, processes)
        for target in targets
        for processes in ([1] if target is Target.BARE else copies)
    ]


def _start(
    target: Target, env: dict[str, str], body: bytes, loop: EventLoop, processes: int
) -> AbstractContextManager[Server]:
    progress(f"starting the {target} server ...")
    if target is Target.BARE:
        return bare_server(env, body, loop)
    return requests_service(env, body, processes)


def report(
    measurements: list[Measurement], plan: Plan, loop: EventLoop, compare: Path | None
) -> None:
    """Print the tables and write the records to a new results file."""
    path = RESULTS_DIR / f"intake-{measurements[0].run}.json"
    write_results(path, measurements)
    print(
        f"\nHTTP intake: {plan.duration:g} s per level after {plan.warmup:g} s of warm-up; "
        f"up to {plan.clients} client processes; bare app on the {loop} loop; "
        f"{os.cpu_count()} CPUs\n"
    )
    print(throughput_table(measurements))
    print(
        "\nCPU in cores busy on average over the window (stack: our PostgreSQL and Kafka; "
        "other: the rest of the machine); RSS: the server's peak in the window\n"
    )
    print(resources_table(measurements))
    for line in error_lines(measurements):
        print(f"  errors: {line}")
    if compare is not None:
        print(f"\nbeside {compare}\n")
        print(compare_table(measurements, read_results(compare)))
    print(f"\nresults: {path}")


def _numbers(text: str, option: str) -> list[int]:
    try:
        numbers = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise typer.BadParameter(f"{option}: comma-separated whole numbers") from None
    if any(n < 1 for n in numbers):
        raise typer.BadParameter(f"{option}: every number must be at least 1")
    return numbers


def _targets(text: str) -> list[Target]:
    try:
        return [Target(part.strip()) for part in text.split(",") if part.strip()]
    except ValueError:
        raise typer.BadParameter("--targets: bare, service or both") from None


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(
    duration: float = typer.Option(10.0, min=1, help="Measured seconds per level."),
    warmup: float = typer.Option(2.0, min=0, help="Seconds before each level's measurement."),
    concurrency: str = typer.Option("1,8,32,64", help="Closed loop: requests in flight."),
    rates: str = typer.Option("", help="Open loop: offered requests per second, e.g. 200,400."),
    clients: int = typer.Option(2, min=1, help="Load-generator processes."),
    targets: str = typer.Option("bare,service", help="What to measure: bare, service or both."),
    bare_loop: EventLoop = typer.Option(EventLoop.ASYNCIO, help="The bare app's event loop."),
    processes: str = typer.Option(
        "1", help="The service as this many processes sharing its port, e.g. 1,2: one run each."
    ),
    compare: Path | None = typer.Option(None, exists=True, help="An earlier results file."),
) -> None:
    """Measure HTTP intake of the bare app and the requests service; print and save a table."""
    signal.signal(signal.SIGTERM, _raise_interrupt)
    loads = [Load(Mode.CLOSED, n) for n in _numbers(concurrency, "--concurrency")]
    loads += [Load(Mode.OPEN, n) for n in _numbers(rates, "--rates")]
    plan = Plan(loads, warmup, duration, clients)
    run = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    measurements: list[Measurement] = []
    failure = ""
    try:
        copies = _numbers(processes, "--processes")
        measure_all(plan, _targets(targets), bare_loop, run, measurements, copies)
    except BenchError as error:
        failure = str(error)
    except KeyboardInterrupt:
        failure = "interrupted"
    if measurements:
        report(measurements, plan, bare_loop, compare)
    if failure:
        progress(f"stopped: {failure}")
        raise typer.Exit(1)


if __name__ == "__main__":
    typer.run(main)
