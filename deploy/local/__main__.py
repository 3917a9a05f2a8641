"""`python -m deploy.local install | run | migrate`: the whole system on this machine, no Docker.

`run` starts Kafka and PostgreSQL (or uses `KAFKA_BOOTSTRAP_SERVERS` / `DATABASE_URL` when set),
applies every service's migrations, starts the four services as their own processes, restarts any
that dies, and on Ctrl-C (or SIGTERM) stops all of it, leaving no process behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import json
import signal
import sys
import time
from collections.abc import Callable, Coroutine, Iterator, Mapping
from pathlib import Path
from types import FrameType
from typing import Any

import typer

from deploy.local import demo, progress, regional_access, status
from deploy.local.chromium import chromium_executable
from deploy.local.kafka import KafkaServer
from deploy.local.kcat import kcat
from deploy.local.postgres import PostgresServer
from deploy.local.processes import ROOT, ServiceProcess
from deploy.local.stack import LocalStack
from services import SERVICES
from services.matching.app.rebuild import Progress
from services.matching.app.rebuild import rebuild as rebuild_matching
from services.matching.settings import MatchingSettings
from shared import asyncapi, deadletter
from shared.auth import issue_key, revoke_key
from shared.migrations import upgrade
from shared.principal import Principal, Role
from shared.runtime import ServiceDefinition
from shared.settings import CommonSettings

DEFINITIONS: dict[str, ServiceDefinition] = {
    name: importlib.import_module(f"services.{name}.service").SERVICE for name in SERVICES
}
STATE_DIR = ROOT / ".local" / "run"
# The services whose tables are a read model built only from events, so can be rebuilt from the
# topics. The others' tables are the source of their events, not a copy of them.
READ_MODELS: dict[str, Callable[[Progress], Coroutine[Any, Any, int]]] = {
    "matching": lambda report: rebuild_matching(MatchingSettings(), report),
}

app = typer.Typer(help="Run the clearing-house on this machine.", no_args_is_help=True)


@app.command()
def install(
    browser: bool = typer.Option(False, help="Also Chromium, for the dashboard's browser test"),
) -> None:
    """Fetch the Kafka artifacts, install PostgreSQL and kcat (and Chromium), each only when
    missing."""
    KafkaServer(STATE_DIR / "kafka").install()
    PostgresServer(STATE_DIR / "postgres").install()
    kcat()
    if browser:
        chromium_executable()


@app.command()
def migrate() -> None:
    """Apply every service's migrations to the database the environment names."""
    migrate_all({})


def migrate_all(overrides: Mapping[str, str]) -> None:
    """Each service's role, schema and migrations; settings from the environment and overrides.

    One after the other: Alembic's `op` and `context` are process-wide, not thread-safe.
    """
    values: dict[str, Any] = {key.lower(): value for key, value in overrides.items()}
    for definition in DEFINITIONS.values():
        upgrade(definition, definition.settings_type(**values))


@app.command("asyncapi")
def write_asyncapi(path: Path = ROOT / "docs" / "asyncapi.json") -> None:
    """Write the AsyncAPI document of every topic and event (commit it with event changes)."""
    path.write_text(json.dumps(asyncapi.document(DEFINITIONS.values()), indent=2) + "\n")
    progress(f"wrote {path}")


@app.command("status")
def show_status() -> None:
    """Each service's outbox backlog and each consumer group's lag, for the environment's system."""
    settings = CommonSettings()
    backlog = asyncio.run(status.outbox_backlog(settings, DEFINITIONS))
    lag = asyncio.run(status.consumer_lag(settings))
    lines = ["outbox backlog (rows not yet on the broker):"]
    lines += [f"  {service:<40} {rows}" for service, rows in backlog.items()]
    lines += ["consumer lag (records not yet processed):"]
    lines += [f"  {group:<40} {records}" for group, records in lag.items()]
    typer.echo("\n".join(lines))


@app.command("replay-deadletters")
def replay_deadletters(service: str) -> None:
    """Send a service's dead-lettered events back to their topics (after fixing the cause)."""
    if service not in DEFINITIONS:
        raise typer.BadParameter(f"one of {', '.join(DEFINITIONS)}", param_hint="SERVICE")
    count = asyncio.run(deadletter.replay(CommonSettings(), service))
    typer.echo(f"{count} events sent back from the {service} dead-letter topic")


@app.command("rebuild")
def rebuild_read_model(service: str) -> None:
    """Rebuild a service's read model from its topics, from the beginning."""
    if service not in READ_MODELS:
        raise typer.BadParameter(f"one of {', '.join(READ_MODELS)}", param_hint="SERVICE")
    started = time.monotonic()
    applied = asyncio.run(READ_MODELS[service](_ProgressLine(f"rebuilding {service}")))
    elapsed = time.monotonic() - started
    typer.echo(f"{service}: read model rebuilt from {applied} events in {elapsed:.1f}s")


class _ProgressLine:
    """Prints `read of total records` at most once a second, and when the reading is done."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.last = 0.0

    def __call__(self, read: int, total: int) -> None:
        now = time.monotonic()
        if read >= total or now - self.last >= 1:
            self.last = now
            progress(f"{self.what}: read {read} of {total} records")


regional = typer.Typer(help="Regional centres' own Kafka credentials (SCRAM) and ACLs.")
app.add_typer(regional, name="regional-access")


@contextlib.contextmanager
def _centre_checked() -> Iterator[None]:
    """An unknown centre (regional_access raises ValueError) is the command line's bad CENTRE."""
    try:
        yield
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="CENTRE") from error


@regional.command("create")
def create_regional_access(
    centre: str,
    output: Path | None = typer.Option(
        None, help="Write the client configuration to this file (mode 0600) instead of stdout"
    ),
    regional_servers: str = typer.Option(
        "127.0.0.1:9094",
        envvar="KAFKA_REGIONAL_BOOTSTRAP_SERVERS",
        help="The broker's SCRAM listener, as the centre reaches it",
    ),
) -> None:
    """Give a centre a SCRAM user with a new password and read access to its own topics.

    Run again to rotate the password. The password is shown (or written) this once only.
    """
    with _centre_checked():
        credentials = regional_access.create(CommonSettings(), centre, regional_servers)
    if output is None:
        typer.echo(credentials.client_properties(), nl=False)
        return
    regional_access.write_private(output, credentials.client_properties())
    progress(f"wrote the Kafka client configuration of {centre} to {output}")


@regional.command("revoke")
def revoke_regional_access(centre: str) -> None:
    """Delete a centre's Kafka credentials and ACLs: the broker refuses it from then on."""
    with _centre_checked():
        regional_access.revoke(CommonSettings(), centre)
    progress(f"revoked the Kafka access of {centre}")


keys = typer.Typer(help="Issue and revoke API keys (announced to every service over Kafka).")
app.add_typer(keys, name="keys")


@keys.command("issue")
def issue(
    role: Role,
    state: str | None = typer.Option(None, help="ISO 3166-1 alpha-3, for a national key"),
    centre: str | None = typer.Option(None, help="Regional centre id, for a regional key"),
    donor: str | None = typer.Option(None, help="Donor id, for a donor key"),
    name: str = typer.Option("", help="Who holds the key, for the record"),
) -> None:
    """Print a new key for one principal; it is shown once and stored only hashed."""
    try:
        principal = Principal(role, state=state, centre=centre, donor=donor)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from error
    typer.echo(asyncio.run(issue_key(CommonSettings(), principal, name)))


@keys.command("revoke")
def revoke(key_id: str) -> None:
    """Revoke a key by its id (the part between the first and second underscore)."""
    asyncio.run(revoke_key(CommonSettings(), key_id))


class _Stop(Exception):
    pass


def _raise_stop(signum: int, frame: FrameType | None) -> None:
    raise _Stop


@app.command("demo")
def load_demo(state_dir: Path = STATE_DIR) -> None:
    """Load the demo data into the running system (`run` does it unless told not to)."""
    urls = {name: f"http://127.0.0.1:{DEFINITIONS[name].settings_type().port}" for name in SERVICES}
    _load_demo(urls, CommonSettings(), state_dir)


def _load_demo(urls: Mapping[str, str], settings: CommonSettings, state_dir: Path) -> None:
    keys = demo.load(urls, settings, DEFINITIONS.values(), state_dir / "demo-keys.json")
    report = asyncio.run(demo.states_by_obligation(urls["requests"], keys[demo.SECRETARIAT]))
    lines = ["", report, "", "Demo API keys (send as 'Authorization: Bearer <key>'):"]
    lines += [f"  {user:<40} {key}" for user, key in keys.items() if user in demo.USERS]
    lines.append(f"  (the keys of the demo's other donors: {state_dir / 'demo-keys.json'})")
    print("\n".join(lines), file=sys.stderr, flush=True)


@app.command()
def run(
    state_dir: Path = STATE_DIR,
    with_demo: bool = typer.Option(True, "--demo/--no-demo", help="Load the demo data"),
) -> None:
    """Start broker, database and the four services; Ctrl-C stops everything."""
    signal.signal(signal.SIGTERM, _raise_stop)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even if started with it ignored
    stack = LocalStack(state_dir)
    processes: list[ServiceProcess] = []
    started = time.monotonic()
    try:
        stack.start()
        environment = {
            "KAFKA_BOOTSTRAP_SERVERS": stack.kafka_bootstrap_servers,
            "DATABASE_URL": stack.database_url,
        }
        progress("applying migrations")
        migrate_all(environment)
        ports = {name: DEFINITIONS[name].settings_type().port for name in SERVICES}
        environment["PORTAL_URLS"] = json.dumps(
            {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
        )
        for name, port in ports.items():
            log_path = state_dir / "logs" / f"{name}.log"
            processes.append(ServiceProcess(name, environment, port, log_path))
        progress(f"starting the services: {', '.join(SERVICES)}")
        services_started = time.monotonic()
        for process in processes:
            process.start(wait=False)
        for process in processes:
            process.wait_ready()
        progress(f"services ready in {time.monotonic() - services_started:.1f}s")
        if with_demo:
            settings = CommonSettings(
                kafka_bootstrap_servers=stack.kafka_bootstrap_servers,
                database_url=stack.database_url,
            )
            _load_demo({p.service: p.url for p in processes}, settings, state_dir)
        _print_welcome(processes, state_dir, time.monotonic() - started)
        _watch(processes)
    except (KeyboardInterrupt, _Stop):
        progress("stopping")
    finally:
        for process in processes:
            process.stop()
        stack.stop()
        progress("stopped")


def _watch(processes: list[ServiceProcess]) -> None:
    """Restart a service that died, as an orchestrator would."""
    while True:
        time.sleep(1)
        for process in processes:
            if not process.running:
                progress(f"{process.service} exited; restarting (log: {process.log_path})")
                process.start(wait=False)


def _print_welcome(processes: list[ServiceProcess], state_dir: Path, seconds: float) -> None:
    lines = [
        "",
        f"The clearing-house is running, started in {seconds:.0f}s (API docs of each service):",
    ]
    lines += [f"  {p.service:<14} {p.url}/docs" for p in processes]
    lines += [f"  {'portal':<14} {p.url}/portal" for p in processes if p.service == "requests"]
    lines += [
        f"  {'dashboard':<14} {p.url}/dashboard" for p in processes if p.service == "notifications"
    ]
    keys = state_dir / "demo-keys.json"
    if keys.exists():
        lines.append(
            f"  {'demo keys':<14} {keys} (every office signs in to the portal with its own)"
        )
    lines += [f"  {'logs':<14} {state_dir / 'logs'}", "Press Ctrl-C to stop everything.", ""]
    print("\n".join(lines), file=sys.stderr, flush=True)


if __name__ == "__main__":
    app()
