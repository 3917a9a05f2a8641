"""Migration c4e7a2b9d031 fills the source views and ledger facts from the events kept before it,
and makes the tables the service declares."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import uuid4

from alembic import command

from services.notifications.adapters.tables import metadata
from services.notifications.service import SERVICE
from services.notifications.settings import NotificationsSettings
from shared.events import Envelope
from shared.events import inventory as inv
from shared.events.inventory import SourceStatus, Support
from shared.migrations import alembic_config, upgrade
from tests.database import fetch
from tests.factories import envelope
from tests.matching_factories import source
from tests.system import Environment

BEFORE = "5e8c1a7d3f29"


async def _in_thread(function: Callable[..., Any], *args: Any) -> Any:
    """Alembic runs an event loop of its own, so it runs beside the test's."""
    with ThreadPoolExecutor(1) as thread:
        return await asyncio.wrap_future(thread.submit(function, *args))


async def _keep(url: str, kept: Envelope[Any]) -> None:
    """An event as the service kept it before the migration."""
    await fetch(
        url,
        "INSERT INTO notifications.events (event_id, type, source, subject, occurred_at, data)"
        " VALUES ($1, $2, $3, $4, $5, $6::jsonb)",
        kept.id,
        kept.type,
        kept.source,
        kept.key,
        kept.time,
        json.dumps(kept.payload.model_dump(mode="json")),
    )


async def _columns(url: str, table: str) -> set[tuple[str, bool]]:
    """A table's columns as the migrations made them: name, and whether it may be null."""
    rows = await fetch(
        url,
        "SELECT column_name, is_nullable FROM information_schema.columns"
        " WHERE table_schema = 'notifications' AND table_name = $1",
        table,
    )
    return {(row["column_name"], row["is_nullable"] == "YES") for row in rows}


def _declared(table: str) -> set[tuple[str, bool]]:
    columns = metadata.tables[f"notifications.{table}"].columns
    return {(c.name, bool(c.nullable)) for c in columns}


async def test_the_migration_fills_what_the_indicators_read_from_the_kept_events(
    environment: Environment,
) -> None:
    settings = environment.settings(NotificationsSettings)
    url = environment.database_url
    await _in_thread(command.downgrade, alembic_config(SERVICE, settings), BEFORE)
    first = source(
        home_country="AUT", supports=[Support(convention="APMBC", areas=["victim-assistance"])]
    )
    paused = first.model_copy(update={"version": 2, "status": SourceStatus.PAUSED})
    entry = inv.LedgerEntryRecorded(
        entry_id=uuid4(),
        source_id=first.source_id,
        window_id=first.windows[0].window_id,
        request_id=None,
        kind="committed",
        amount=Decimal("2500.00"),
        currency="USD",
        date=date(2026, 5, 4),
        actor="donor:norway",
    )
    for details in (paused, first):
        changed = inv.SourceChanged(source=details, change="updated", actor="secretariat")
        await _keep(url, envelope(changed, str(details.source_id), "/clearinghouse/sources"))
    await _keep(url, envelope(entry, str(first.source_id), "/clearinghouse/funds"))
    await fetch(
        url,
        "INSERT INTO notifications.source_views (source_id, version, name, donor)"
        " VALUES ($1, 2, $2, 'norway')",
        first.source_id,
        first.name,
    )

    await _in_thread(upgrade, SERVICE, settings)

    [view] = await fetch(url, "SELECT * FROM notifications.source_views")
    [fact] = await fetch(url, "SELECT * FROM notifications.ledger_facts")
    assert (view["kind"], view["home_country"], view["status"]) == ("donor-state", "AUT", "paused")
    assert json.loads(view["supports"]) == [{"convention": "APMBC", "areas": ["victim-assistance"]}]
    assert view["assistance_types"] == ["financial"]
    assert [w["closes"] for w in json.loads(view["windows"])] == ["2028-12-31"]
    assert (fact["entry_id"], fact["amount"], fact["day"]) == (
        entry.entry_id,
        Decimal("2500.00"),
        date(2026, 5, 4),
    )
    assert fact["request_id"] is None
    for table in ("source_views", "ledger_facts", "state_reports"):
        assert await _columns(url, table) == _declared(table), table
