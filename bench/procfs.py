"""CPU time and peak memory of processes and of the machine, read from Linux's /proc."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from pathlib import Path

TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")
# In /proc/<pid>/stat after the `(comm)` field: ppid, utime and stime are fields 4, 14 and 15
# of the whole line (man 5 proc), so indexes 1, 11 and 12 of what follows the parenthesis.
_PPID, _UTIME, _STIME = 1, 11, 12
# /proc/<pid>/clear_refs: writing 5 resets the peak resident set size (VmHWM) to the current one.
_RESET_PEAK_RSS = "5"


def _stat_fields(pid: int) -> list[str]:
    """/proc/<pid>/stat after the `(comm)` field, which may itself hold spaces."""
    return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()


def process_cpu_seconds(pid: int) -> float:
    """User plus system CPU time the process has used since it started."""
    fields = _stat_fields(pid)
    return (int(fields[_UTIME]) + int(fields[_STIME])) / TICKS_PER_SECOND


def with_children(pid: int) -> list[int]:
    """The process and its children: a service run as several copies (`serve --processes`)
    is a parent watching them."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    with contextlib.suppress(OSError):
        return [pid, *(int(child) for child in children.read_text().split())]
    return [pid]


def cpu_seconds_by_pid(pids: Iterable[int]) -> dict[int, float]:
    """`process_cpu_seconds` of each process that still exists."""
    seconds = {}
    for pid in pids:
        with contextlib.suppress(OSError):
            seconds[pid] = process_cpu_seconds(pid)
    return seconds


def process_trees(marker: str) -> set[int]:
    """The processes whose command line contains `marker`, with all their descendants."""
    children: dict[int, list[int]] = {}
    found: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        with contextlib.suppress(OSError):
            children.setdefault(int(_stat_fields(pid)[_PPID]), []).append(pid)
            if marker.encode() in (entry / "cmdline").read_bytes():
                found.append(pid)
    trees: set[int] = set()
    while found:
        pid = found.pop()
        trees.add(pid)
        found += children.get(pid, [])
    return trees


def reset_peak_rss(pid: int) -> None:
    """Start a new peak-RSS period, so `peak_rss_mib` covers only what follows.

    Needs the right to write the process's clear_refs (our own children: yes). Without it the
    peak stays the one since the process started, which is still an upper bound.
    """
    with contextlib.suppress(OSError):
        Path(f"/proc/{pid}/clear_refs").write_text(_RESET_PEAK_RSS)


def peak_rss_mib(pid: int) -> float:
    """The process's peak resident set size (VmHWM) since start or the last `reset_peak_rss`."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise ValueError(f"no VmHWM in /proc/{pid}/status")


def machine_busy_seconds() -> float:
    """CPU time all cores together have spent on anything but idling, since boot.

    The first line of /proc/stat: user nice system idle iowait irq softirq steal (guest time
    is already counted in user and nice, so the fields after steal are left out).
    """
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    idle, iowait = values[3], values[4]
    return (sum(values) - idle - iowait) / TICKS_PER_SECOND
