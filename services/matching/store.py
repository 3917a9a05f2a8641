"""The matching schema: tables and the queries on them."""

from __future__ import annotations

from sqlmodel import SQLModel

from shared.auth import api_keys_table
from shared.consumer import inbox_table
from shared.db import schema_registry
from shared.idempotency import idempotency_table
from shared.outbox import outbox_table

SCHEMA = "matching"
_registry = schema_registry(SCHEMA)
metadata = _registry.metadata


class Table(SQLModel, registry=_registry):
    """Base of the tables of this schema."""


outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
api_keys = api_keys_table(metadata)
idempotency = idempotency_table(metadata)
