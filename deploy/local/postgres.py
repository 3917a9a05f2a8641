"""A throwaway PostgreSQL server for development and tests, run from Debian's binaries.

The server listens on 127.0.0.1 only and trusts every connection there (see `_initdb`). Data is
written with fsync on: the chaos tests SIGKILL it and committed rows must survive.

Run as root, the server runs as the `postgres` user, which must be able to reach its files. When
the state dir is out of its reach (a clone under /root, or any 0700 directory), the data and the
socket live in a directory of their own under /var/tmp, named after the state dir.
"""

from __future__ import annotations

import functools
import hashlib
import os
import pwd
import shutil
import signal
import subprocess
import time
from pathlib import Path

from deploy.local import (
    ServerError,
    ServerProcess,
    apt_install,
    as_user,
    ensure_port_free,
    progress,
)

ADMIN_ROLE = "clearinghouse"
ADMIN_PASSWORD = "clearinghouse"
ADMIN_DATABASE = "clearinghouse"
SERVER_SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "max_connections": "200",
    "fsync": "on",
    "synchronous_commit": "on",
    "full_page_writes": "on",
}
DEBIAN_BINARIES = Path("/usr/lib/postgresql")
SHARED_STATE = Path("/var/tmp")
SERVER_DIR_MARKER = "postgres-server-dir"
"""A file in the state dir naming the server dir it uses, when that is elsewhere."""

# Idempotent, so it runs on every start; `\gexec` executes the generated statement, which lets
# CREATE DATABASE (not allowed inside a DO block) be conditional too.
BOOTSTRAP_SQL = f"""\
SELECT 'CREATE ROLE {ADMIN_ROLE} LOGIN SUPERUSER CREATEROLE PASSWORD ''{ADMIN_PASSWORD}'''
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{ADMIN_ROLE}') \\gexec
SELECT 'CREATE DATABASE {ADMIN_DATABASE} OWNER {ADMIN_ROLE}'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '{ADMIN_DATABASE}') \\gexec
"""


class PostgresServer:
    """One PostgreSQL cluster in `state_dir`, run as the `postgres` OS user when we are root."""

    def __init__(self, state_dir: Path, port: int = 5432) -> None:
        self.state_dir = state_dir
        self.port = port
        # PostgreSQL refuses to run as root; Debian's package provides the `postgres` user.
        self._os_user = "postgres" if os.geteuid() == 0 else None
        self._process = ServerProcess("postgres", state_dir / "postgres.log")

    @property
    def admin_url(self) -> str:
        return (
            f"postgresql+asyncpg://{ADMIN_ROLE}:{ADMIN_PASSWORD}"
            f"@127.0.0.1:{self.port}/{ADMIN_DATABASE}"
        )

    @property
    def running(self) -> bool:
        return self._process.running

    @functools.cached_property
    def _server_dir(self) -> Path:
        """Where the server's own files live: the state dir, if the server's user can reach it."""
        if self._os_user is None or self._first_unreachable(self.state_dir) is None:
            return self.state_dir
        digest = hashlib.sha256(str(self.state_dir.resolve()).encode()).hexdigest()[:16]
        return SHARED_STATE / f"clearinghouse-postgres-{digest}"

    @property
    def _data_dir(self) -> Path:
        return self._server_dir / "data"

    @property
    def _socket_dir(self) -> Path:
        return self._server_dir / "run"

    def install(self) -> None:
        """Make sure PostgreSQL's server binaries exist, installing them with apt if needed."""
        postgres_bin_dir()

    def start(self, timeout: float = 60) -> None:
        """Start the server (initdb on first use, crash recovery after a kill) and wait for it."""
        if self.running:
            return
        self.install()
        ensure_port_free(self.port, "postgres")
        self._prepare_state_dir()
        if not (self._data_dir / "PG_VERSION").exists():
            self._initdb()
        self._remove_stale_pid_file()
        progress(f"starting postgres on 127.0.0.1:{self.port} ...")
        started = time.monotonic()
        self._process.launch(self._server_argv(), cwd=self._server_dir, user=self._os_user)
        self._process.wait_until(self._accepting, started + timeout, "connections")
        self._psql(BOOTSTRAP_SQL)
        progress(f"postgres ready in {time.monotonic() - started:.1f}s")

    def stop(self, timeout: float = 30) -> None:
        """Fast shutdown (SIGINT: roll back sessions, checkpoint, exit); SIGKILL on timeout."""
        self._process.stop(signal.SIGINT, timeout)

    def kill(self) -> None:
        """SIGKILL the postmaster and its backends, as a crash would; `start()` recovers."""
        self._process.kill()

    def forget(self) -> None:
        """Stop the server and remove its data, wherever it lives."""
        self.stop()
        shutil.rmtree(self._server_dir, ignore_errors=True)

    def restart(self) -> None:
        self.stop()
        self.start()

    def _prepare_state_dir(self) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        if self._server_dir != self.state_dir:
            self._claim_server_dir()
        self._socket_dir.mkdir(parents=True, exist_ok=True)
        if self._os_user is None:
            return
        for path in (self._server_dir, self._socket_dir):
            os.chown(path, *_uid_gid(self._os_user))
            path.chmod(0o700)

    def _claim_server_dir(self) -> None:
        """A state dir made afresh starts with a fresh server dir, as it would hold the data."""
        marker = self.state_dir / SERVER_DIR_MARKER
        if not marker.exists():
            subprocess.run(["pkill", "-KILL", "-f", f"{self._server_dir}/"], check=False)
            shutil.rmtree(self._server_dir, ignore_errors=True)
            marker.write_text(f"{self._server_dir}\n")
        self._server_dir.mkdir(parents=True, exist_ok=True)

    def _first_unreachable(self, path: Path) -> Path | None:
        """The first directory on the way to `path` that the server's OS user cannot enter."""
        for directory in [*reversed(path.parents), path]:
            probe = subprocess.run(["test", "-x", str(directory)], **as_user(self._os_user))
            if probe.returncode != 0:
                return directory
        return None

    def _initdb(self) -> None:
        progress(f"initialising postgres data in {self._data_dir} ...")
        # Trust authentication on the unix socket and on 127.0.0.1 only (listen_addresses):
        # a throwaway dev/test server reachable from this machine alone, so passwords would
        # protect nothing; the admin role still gets one for URLs that carry it.
        self._run(
            "initdb",
            "--pgdata",
            str(self._data_dir),
            "--username=postgres",
            "--encoding=UTF8",
            "--locale=C",
            "--auth-local=trust",
            "--auth-host=trust",
        )

    def _remove_stale_pid_file(self) -> None:
        """Drop postmaster.pid left by a killed server, unless its process is still a postgres.

        PostgreSQL checks this itself too, but a reused pid would make it refuse to start.
        """
        pid_file = self._data_dir / "postmaster.pid"
        if not pid_file.exists():
            return
        pid = pid_file.read_text().partition("\n")[0].strip()
        if pid.isdigit() and _process_name(int(pid)) in ("postgres", "postmaster"):
            raise ServerError(f"a postgres (pid {pid}) is still running on {self._data_dir}")
        pid_file.unlink()

    def _server_argv(self) -> list[str]:
        settings = {**SERVER_SETTINGS, "unix_socket_directories": str(self._socket_dir)}
        options = [f"--{name}={value}" for name, value in settings.items()]
        return [_tool("postgres"), "-D", str(self._data_dir), "-p", str(self.port), *options]

    def _accepting(self) -> bool:
        ready = subprocess.run(
            [
                _tool("pg_isready"),
                "-q",
                *("-h", str(self._socket_dir), "-p", str(self.port)),
                *("-U", "postgres", "-d", "postgres"),
            ],
            check=False,
        )
        return ready.returncode == 0

    def _psql(self, script: str) -> None:
        self._run(
            "psql",
            "-X",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            *("-h", str(self._socket_dir), "-p", str(self.port)),
            *("-U", "postgres", "-d", "postgres"),
            stdin=script,
        )

    def _run(self, tool: str, *args: str, stdin: str | None = None) -> None:
        result = subprocess.run(
            [_tool(tool), *args],
            input=stdin,
            capture_output=True,
            text=True,
            cwd=self._server_dir,
            check=False,
            **as_user(self._os_user),
        )
        if result.returncode != 0:
            output = (result.stdout + result.stderr).strip()
            raise ServerError(f"{tool} failed (exit {result.returncode}):\n{output}")


def _uid_gid(user: str) -> tuple[int, int]:
    entry = pwd.getpwnam(user)
    return entry.pw_uid, entry.pw_gid


def _process_name(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except FileNotFoundError:
        return ""


def _tool(name: str) -> str:
    return str(postgres_bin_dir() / name)


@functools.cache
def postgres_bin_dir() -> Path:
    """The newest installed PostgreSQL's binaries, installed through apt first when missing."""
    found = _newest_bin_dir()
    if found is None:
        _apt_install_postgresql()
        found = _newest_bin_dir()
    if found is None:
        raise ServerError(
            f"apt installed postgresql but no server binaries under {DEBIAN_BINARIES}"
        )
    return found


def _newest_bin_dir() -> Path | None:
    versions = [
        p.parent for p in DEBIAN_BINARIES.glob("*/bin/postgres") if p.parent.parent.name.isdigit()
    ]
    return max(versions, key=lambda bin_dir: int(bin_dir.parent.name), default=None)


def _apt_install_postgresql() -> None:
    # Debian's package would create and start a `main` cluster on port 5432, colliding with
    # `make run`; this drop-in (read through createcluster.conf's include_dir) turns that off.
    drop_in = Path("/etc/postgresql-common/createcluster.d/50-clearinghouse.conf")
    if os.geteuid() == 0:
        drop_in.parent.mkdir(parents=True, exist_ok=True)
        drop_in.write_text("create_main_cluster = false\n")
    apt_install(
        "postgresql",
        why=f"PostgreSQL is not installed (nothing under {DEBIAN_BINARIES}; or set DATABASE_URL)",
    )
