"""The matching schema: tables and the queries on them."""

from __future__ import annotations

from sqlmodel import SQLModel

from shared.consumer import inbox_table
from shared.db import schema_registry
from shared.outbox import outbox_table

SCHEMA = "matching"
_registry = schema_registry(SCHEMA)
metadata = _registry.metadata


class Table(SQLModel, registry=_registry):
    """Base of the tables of this schema."""


outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
