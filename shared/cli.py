"""The command line of every service: `python -m services.<name> serve|migrate|revision|openapi`."""

from __future__ import annotations

import contextlib
import json
import os
import signal
from collections.abc import Callable

import typer
import uvloop

from shared.logs import configure_logging
from shared.migrations import make_revision, upgrade
from shared.runtime import ServiceDefinition, create_app, serve
from shared.telemetry import configure_tracing


def service_cli(definition: ServiceDefinition) -> typer.Typer:
    cli = typer.Typer(help=f"The {definition.name} service.", no_args_is_help=True)

    @cli.command("serve")
    def serve_command(
        api: bool = typer.Option(True, help="Serve the HTTP API."),
        workers: bool = typer.Option(True, help="Run the outbox relay and the consumers."),
        processes: int = typer.Option(
            1, min=1, max=64, help="Copies of the service to run, sharing the HTTP port."
        ),
    ) -> None:
        """Run the service until SIGINT or SIGTERM."""
        settings = definition.settings_type()

        def run() -> None:
            configure_logging(definition.name, settings.log_level, settings.log_format == "json")
            configure_tracing(definition.name)
            shared = processes > 1
            uvloop.run(serve(definition, settings, api=api, workers=workers, share_port=shared))

        if processes == 1:
            run()
        else:
            run_copies(processes, run)

    @cli.command("migrate")
    def migrate_command(revision: str = "head") -> None:
        """Create the service's role and schema and apply its migrations."""
        settings = definition.settings_type()
        configure_logging(definition.name, settings.log_level, settings.log_format == "json")
        upgrade(definition, settings, revision)

    @cli.command("revision")
    def revision_command(message: str) -> None:
        """Autogenerate a migration for a change of the service's tables (for developers)."""
        settings = definition.settings_type()
        configure_logging(definition.name, settings.log_level, settings.log_format == "json")
        make_revision(definition, settings, message)

    @cli.command("openapi")
    def openapi_command() -> None:
        """Print the OpenAPI document of the service's HTTP API."""
        app = create_app(definition, definition.settings_type())
        typer.echo(json.dumps(app.openapi(), indent=2))

    return cli


def run_copies(count: int, run: Callable[[], None]) -> None:
    """Run `run` in `count` forked processes, this one watching them: a SIGINT or SIGTERM it
    gets is passed on to every copy, and it ends when they all have. A copy is what a second
    machine would be, one consumer more in each group: nothing is shared but the port."""
    copies = []
    for _ in range(count):
        pid = os.fork()
        if pid == 0:
            status = 1
            try:
                run()
                status = 0
            finally:
                os._exit(status)
        copies.append(pid)

    def pass_on(signum: int, _: object) -> None:
        for pid in copies:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signum)

    signal.signal(signal.SIGINT, pass_on)
    signal.signal(signal.SIGTERM, pass_on)
    for pid in copies:
        os.waitpid(pid, 0)
