"""Local infrastructure without a container engine: Kafka and PostgreSQL as child processes.

`deploy.local.stack.LocalStack` is the entry point. This module holds the process plumbing both
servers share: every server runs as the leader of its own session (process group), so stopping
or killing it reaches everything it forked, and progress goes to stderr as short lines.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any


class ServerError(RuntimeError):
    """A local server could not be installed, started or reached."""


def progress(message: str) -> None:
    """Print one progress line to stderr (stdout stays free for the caller's own output)."""
    print(message, file=sys.stderr, flush=True)


def port_accepts(port: int) -> bool:
    """Whether something accepts TCP connections on 127.0.0.1:`port`."""
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def ensure_port_free(port: int, what: str) -> None:
    """Fail early and clearly rather than letting the server die on a bind error in its log."""
    if port_accepts(port):
        raise ServerError(f"cannot start {what}: 127.0.0.1:{port} is already in use")


def as_user(user: str | None) -> dict[str, Any]:
    """`subprocess` keyword arguments that run a child as `user` (None: as this process).

    The supplementary groups are replaced too, otherwise a child of root keeps group root.
    """
    if user is None:
        return {}
    gid = pwd.getpwnam(user).pw_gid
    return {"user": user, "group": gid, "extra_groups": os.getgrouplist(user, gid)}


def log_tail(path: Path, lines: int = 40) -> str:
    """The last `lines` lines of a log file, for error messages."""
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        return "(no log written)"
    return "\n".join(text.splitlines()[-lines:])


class ServerProcess:
    """One long-running server process, started in its own session with output to a log file."""

    def __init__(self, name: str, log_path: Path) -> None:
        self.name = name
        self.log_path = log_path
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def launch(self, argv: Sequence[str], *, cwd: Path, user: str | None = None) -> None:
        """Start the server; its stdout and stderr are appended to the log across restarts."""
        with self.log_path.open("ab") as log:
            self._proc = subprocess.Popen(
                argv,
                cwd=cwd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                **as_user(user),
            )

    def wait_until(self, ready: Callable[[], bool], deadline: float, what: str) -> None:
        """Poll `ready` until it holds; fail with the log tail if the server dies or time is up.

        On failure the server is killed, so a failed start never leaves a process behind.
        """
        while not ready():
            if not self.running:
                raise self._failure(f"{self.name} exited while waiting for {what}")
            if time.monotonic() > deadline:
                self.kill()
                raise self._failure(f"timed out waiting for {self.name}: {what}")
            time.sleep(0.2)

    def stop(self, sig: signal.Signals, timeout: float) -> None:
        """Send `sig` (the server's own shutdown signal) and wait; SIGKILL the group if it hangs."""
        proc = self._proc
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(sig)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            progress(f"{self.name} did not stop within {timeout:.0f}s, killing it")
            self.kill()

    def kill(self) -> None:
        """SIGKILL the whole process group, like a crash (no shutdown hooks, no flushing)."""
        if self._proc is None or self._proc.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):  # already gone, only a zombie to reap
            os.killpg(self._proc.pid, signal.SIGKILL)
        self._proc.wait()
        _wait_until_group_gone(self._proc.pid)

    def _failure(self, message: str) -> ServerError:
        return ServerError(f"{message}; last lines of {self.log_path}:\n{log_tail(self.log_path)}")


def apt_install(*packages: str, why: str) -> None:
    """Install Debian packages with apt-get, as root; `why` says what is missing otherwise."""
    if os.geteuid() != 0:
        raise ServerError(
            f"{why} and installing it needs root: run `sudo apt-get install -y "
            f"{' '.join(packages)}`"
        )
    progress(f"installing {', '.join(packages)} with apt-get (once) ...")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for argv in (
        ["apt-get", "update"],
        ["apt-get", "install", "-y", "--no-install-recommends", *packages],
    ):
        result = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            output = (result.stdout + result.stderr).strip()[-4000:]
            raise ServerError(f"`{' '.join(argv)}` failed (exit {result.returncode}):\n{output}")


def _wait_until_group_gone(pgid: int, timeout: float = 10) -> None:
    """Until every process of the group has exited: a server's children (PostgreSQL's backends)
    can outlive their parent by a moment and still hold what a restart needs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
