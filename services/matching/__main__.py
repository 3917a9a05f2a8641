import asyncio

import typer

from services.matching.app.rebuild import rebuild
from services.matching.service import SERVICE
from services.matching.settings import MatchingSettings
from shared.cli import service_cli
from shared.logs import configure_logging

cli = service_cli(SERVICE)


@cli.command("rebuild")
def rebuild_command() -> None:
    """Rebuild the read model of requests and sources from the topics, from the beginning."""
    settings = MatchingSettings()
    configure_logging(SERVICE.name, settings.log_level)
    typer.echo(f"{asyncio.run(rebuild(settings))} events applied")


cli()
