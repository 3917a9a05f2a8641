"""The tables every service has in its own schema, declared once: outbox, inbox, API keys and
idempotency keys. A service adds them to its metadata with `KernelTables.on(metadata)`, and its
first migration creates them with `shared.migrations.create_kernel_tables`."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import MetaData, Table

from shared.auth import api_keys_table
from shared.consumer import inbox_table
from shared.idempotency import idempotency_table
from shared.outbox import outbox_table


@dataclass(frozen=True)
class KernelTables:
    outbox: Table
    inbox: Table
    api_keys: Table
    idempotency: Table

    @classmethod
    def on(cls, metadata: MetaData) -> KernelTables:
        return cls(
            outbox=outbox_table(metadata),
            inbox=inbox_table(metadata),
            api_keys=api_keys_table(metadata),
            idempotency=idempotency_table(metadata),
        )

    @property
    def all(self) -> list[Table]:
        return [self.api_keys, self.idempotency, self.inbox, self.outbox]
