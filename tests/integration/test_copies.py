"""A service run as several processes on one port (`serve --processes N`): every copy listens
on the port, the service answers, and a SIGTERM to the process started stops them all."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import httpx

from tests.system import Environment, running, service_process

LISTEN = "0A"  # the TCP state in /proc/net/tcp


def test_copies_share_the_port_and_stop_together(environment: Environment) -> None:
    process = service_process("requests", environment)
    process.processes = 2
    with running(process):
        assert process.process is not None
        copies = _children(process.process.pid)
        listening = _listening_sockets(process.port)
        each_listens = [bool(_sockets_of(pid) & listening) for pid in copies]
        ready = httpx.get(f"{process.url}/readyz", timeout=10).status_code
        process.stop()
        left = [pid for pid in copies if os.path.exists(f"/proc/{pid}")]

    assert len(copies) == 2
    assert len(listening) == 2  # a socket of its own per copy, on the one port
    assert each_listens == [True, True]
    assert ready == 200
    assert left == []


def _children(pid: int) -> list[int]:
    return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def _listening_sockets(port: int) -> set[str]:
    """The inodes of the sockets listening on `port`."""
    lines = Path("/proc/net/tcp").read_text().splitlines()[1:]
    fields = [line.split() for line in lines]
    return {f[9] for f in fields if int(f[1].split(":")[1], 16) == port and f[3] == LISTEN}


def _sockets_of(pid: int) -> set[str]:
    """The inodes of the sockets the process holds open."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):  # closed while we looked
            link = os.readlink(fd)
            if link.startswith("socket:["):
                inodes.add(link[8:-1])
    return inodes
