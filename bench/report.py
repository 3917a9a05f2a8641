"""Results of a run: one `Measurement` per server and load, as tables and as JSON lines."""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TARGETS = ("bare", "service")
Key = tuple[str, str, int]  # (target, mode, level)


@dataclass(frozen=True)
class Measurement:
    """One server under one load, within the measured window (warm-up excluded)."""

    run: str
    target: str
    mode: str
    level: int
    label: str
    duration_s: float
    client_processes: int
    requests: int
    throughput_rps: float
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    server_cpu_cores: float
    server_peak_rss_mib: float
    client_cpu_cores: float
    stack_cpu_cores: float
    machine_busy_cores: float
    errors: dict[str, int] = field(default_factory=dict)

    @property
    def other_cpu_cores(self) -> float:
        """What the rest of the machine used: other programs, the kernel, our own harness."""
        own = self.server_cpu_cores + self.client_cpu_cores + self.stack_cpu_cores
        return self.machine_busy_cores - own


def percentile_ms(latencies: Sequence[float], percent: float) -> float | None:
    """Nearest-rank percentile of latencies given in seconds (sorted), in milliseconds."""
    if not latencies:
        return None
    rank = max(1, math.ceil(percent / 100 * len(latencies)))
    return latencies[rank - 1] * 1000


def write_results(path: Path, measurements: Iterable[Measurement]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as file:
        for measurement in measurements:
            file.write(json.dumps(dataclasses.asdict(measurement)) + "\n")


def read_results(path: Path) -> dict[Key, dict[str, Any]]:
    """A results file's records by (target, mode, level); any field may be missing."""
    records = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return {(r["target"], r["mode"], r["level"]): r for r in records}


def throughput_table(measurements: Sequence[Measurement]) -> str:
    """One row per load: the bare app, then each run of the service (one per number of
    processes) beside it."""
    services = list(dict.fromkeys(m.target for m in measurements if m.target != "bare"))
    rows = []
    for by_target in _levels(measurements).values():
        bare = by_target.get("bare")
        row = [_label(by_target), _cell(bare, _rate)]
        for name in services:
            row += [_cell(by_target.get(name), _rate), _ratio(bare, by_target.get(name))]
        row.append(_latencies(bare))
        row += [_latencies(by_target.get(name)) for name in services]
        row.append(" / ".join(_errors(by_target.get(name)) for name in ["bare", *services]))
        rows.append(row)
    headers = ["load", "bare req/s"]
    for name in services:
        headers += [f"{name} req/s", f"{name}/bare"]
    headers += ["bare p50/p99 ms", *(f"{name} p50/p99 ms" for name in services)]
    headers.append("errors " + "/".join(["bare", *services]))
    return _render(headers, rows)


def resources_table(measurements: Sequence[Measurement]) -> str:
    """One row per load and server: where the machine's CPU went, and the server's memory."""
    rows = [
        [
            m.label,
            m.target,
            _number(m.server_cpu_cores, 2),
            _number(m.server_peak_rss_mib),
            _number(m.client_cpu_cores, 2),
            _number(m.stack_cpu_cores, 2),
            _number(m.other_cpu_cores, 2),
            _number(m.machine_busy_cores, 2),
        ]
        for by_target in _levels(measurements).values()
        for m in by_target.values()
    ]
    headers = ["load", "server", "server CPU", "peak RSS MiB", "load-gen CPU"]
    headers += ["stack CPU", "other CPU", "machine CPU"]
    return _render(headers, rows)


def error_lines(measurements: Iterable[Measurement]) -> list[str]:
    return [
        f"{m.target} {m.label}: {count} x {kind}"
        for m in measurements
        for kind, count in sorted(m.errors.items())
    ]


def compare_table(measurements: Sequence[Measurement], previous: dict[Key, dict[str, Any]]) -> str:
    """This run beside an earlier one, level by level: req/s and p99 of each server."""
    rows = []
    for (mode, level), by_target in _levels(measurements).items():
        row = [_label(by_target)]
        for target in TARGETS:
            now, before = by_target.get(target), previous.get((target, mode, level), {})
            rate_before = before.get("throughput_rps")
            row += [
                _cell(now, _rate),
                _number(rate_before),
                _change(now, rate_before),
                _cell(now, lambda m: m.p99_ms, 1),
                _number(before.get("p99_ms"), 1),
            ]
        rows.append(row)
    headers = ["load"]
    for target in TARGETS:
        headers += [f"{target} req/s", "before", "change", "p99 ms", "before"]
    return _render(headers, rows)


def _levels(measurements: Iterable[Measurement]) -> dict[tuple[str, int], dict[str, Measurement]]:
    """Measurements grouped by load, in the order the loads were first measured."""
    levels: dict[tuple[str, int], dict[str, Measurement]] = {}
    for m in measurements:
        levels.setdefault((m.mode, m.level), {})[m.target] = m
    return levels


def _label(by_target: dict[str, Measurement]) -> str:
    return next(iter(by_target.values())).label


def _rate(m: Measurement) -> float:
    return m.throughput_rps


def _cell(
    m: Measurement | None, value: Callable[[Measurement], float | None], decimals: int = 0
) -> str:
    return "-" if m is None else _number(value(m), decimals)


def _number(value: float | None, decimals: int = 0) -> str:
    return "-" if value is None else f"{value:,.{decimals}f}"


def _ratio(bare: Measurement | None, service: Measurement | None) -> str:
    if bare is None or service is None or not bare.throughput_rps:
        return "-"
    return f"{service.throughput_rps / bare.throughput_rps:.2f}"


def _change(now: Measurement | None, before: float | None) -> str:
    if now is None or not before:
        return "-"
    return f"{(now.throughput_rps / before - 1) * 100:+.0f}%"


def _latencies(m: Measurement | None) -> str:
    if m is None:
        return "-"
    return f"{_number(m.p50_ms, 1)} / {_number(m.p99_ms, 1)}"


def _errors(m: Measurement | None) -> str:
    return "-" if m is None else str(sum(m.errors.values()))


def _render(headers: list[str], rows: list[list[str]]) -> str:
    """A plain-text table: first column left-aligned, the others right-aligned."""
    widths = [max(len(cell) for cell in column) for column in zip(headers, *rows, strict=True)]
    lines = [_line(row, widths) for row in [headers, ["-" * width for width in widths], *rows]]
    return "\n".join(lines)


def _line(cells: list[str], widths: list[int]) -> str:
    first, *rest = zip(cells, widths, strict=True)
    return "  ".join([first[0].ljust(first[1]), *(cell.rjust(width) for cell, width in rest)])
