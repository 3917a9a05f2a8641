"""The command line of every service: `python -m services.<name> serve|migrate|revision|openapi`."""

from __future__ import annotations

import json

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
    ) -> None:
        """Run the service until SIGINT or SIGTERM."""
        settings = definition.settings_type()
        configure_logging(definition.name, settings.log_level, settings.log_format == "json")
        configure_tracing(definition.name)
        uvloop.run(serve(definition, settings, api=api, workers=workers))

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
