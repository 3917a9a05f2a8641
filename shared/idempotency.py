"""`Idempotency-Key` on HTTP writes: a retried call gets the first answer and changes nothing.

The key is claimed in the same transaction as the write it guards. A concurrent retry blocks on
the claim until the first call commits, then replays its answer; if the first call failed, its
transaction rolled back with the claim, and the retry runs as if it were the first. Keys are
scoped to the caller's API key, and a key reused for a different request is refused.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse
from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    func,
    select,
)
from sqlalchemy.dialects.postgresql import JSONB, insert

from shared.http import Problem
from shared.unit_of_work import UnitOfWork

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 200


def idempotency_table(metadata: MetaData) -> Table:
    return Table(
        "idempotency_keys",
        metadata,
        Column("caller", String(32), nullable=False),
        Column("key", String(MAX_KEY_LENGTH), nullable=False),
        Column("fingerprint", String(64), nullable=False),
        Column("status_code", Integer),
        Column("body", JSONB),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        PrimaryKeyConstraint("caller", "key", name="pk_idempotency_keys"),
    )


@dataclass
class Idempotency:
    """The idempotency of one HTTP write; `replay()` first, `remember()` last."""

    table: Table
    uow: UnitOfWork
    caller: str
    key: str | None
    fingerprint: str

    async def replay(self) -> JSONResponse | None:
        """The stored answer of an earlier call with this key, or None when this call is new."""
        earlier = await self.earlier()
        if earlier is None:
            return None
        status_code, body = earlier
        return JSONResponse(body, status_code=status_code, headers={REPLAYED_HEADER: "true"})

    async def earlier(self) -> tuple[int, Any] | None:
        """The status and body an earlier call with this key answered, or None when this call
        is new (and now holds the key)."""
        if self.key is None:
            return None
        t = self.table
        claimed = await self.uow.session.execute(
            insert(t)
            .values(caller=self.caller, key=self.key, fingerprint=self.fingerprint)
            .on_conflict_do_nothing()
            .returning(t.c.key)
        )
        if claimed.first() is not None:
            return None
        earlier = (
            await self.uow.session.execute(
                select(t.c.fingerprint, t.c.status_code, t.c.body).where(
                    t.c.caller == self.caller, t.c.key == self.key
                )
            )
        ).one()
        if earlier.fingerprint != self.fingerprint:
            raise Problem(
                422,
                "Idempotency key reused",
                f"{HEADER} {self.key!r} was used for a different request.",
                kind="idempotency-key-reused",
                field=f"header.{HEADER}",
            )
        return earlier.status_code, earlier.body

    def remember(self, status_code: int, body: Any) -> None:
        """Store the answer (its JSON form) with the claim, in the same transaction as the
        write."""
        if self.key is not None:
            self.uow.write_last(
                self.table.update()
                .where(self.table.c.caller == self.caller, self.table.c.key == self.key)
                .values(status_code=status_code, body=body)
            )


async def fingerprint(request: Request) -> str:
    """What makes two calls the same call: method, path and body."""
    digest = hashlib.sha256(f"{request.method} {request.url.path}\n".encode())
    digest.update(await request.body())
    return digest.hexdigest()
