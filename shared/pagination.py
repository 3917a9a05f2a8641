"""Cursor pagination, newest first, over any table with `created_at` and `id` columns.

A cursor is the position of the last row a page returned, so a page never repeats or skips a row
however many rows are added meanwhile (keyset pagination, not offsets).
"""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any, Protocol, TypeVar
from uuid import UUID

from sqlalchemy import Select, and_, or_
from sqlalchemy.ext.asyncio import AsyncSession

from shared.http import Problem


class Row(Protocol):
    created_at: datetime
    id: UUID


R = TypeVar("R", bound=Row)


def encode_cursor(created_at: datetime, row_id: UUID) -> str:
    raw = json.dumps([created_at.isoformat(), str(row_id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, UUID]:
    """The position a cursor names; a cursor this system did not make is a 422 problem."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created_at, row_id = json.loads(raw)
        return datetime.fromisoformat(created_at), UUID(row_id)
    except (ValueError, TypeError) as error:
        raise Problem(
            422, "Invalid cursor", "invalid cursor", kind="validation", field="query.cursor"
        ) from error


async def newest_first(
    session: AsyncSession, query: Select[R], model: Any, limit: int, after: str | None
) -> tuple[list[R], str | None]:
    """One page of `query` (rows of `model`) after the cursor `after`, and the next cursor."""
    query = query.order_by(model.created_at.desc(), model.id.desc()).limit(limit + 1)
    if after:
        created_at, last_id = decode_cursor(after)
        query = query.where(
            or_(
                model.created_at < created_at,
                and_(model.created_at == created_at, model.id < last_id),
            )
        )
    rows = list((await session.scalars(query)).all())
    more = len(rows) > limit
    rows = rows[:limit]
    cursor = encode_cursor(rows[-1].created_at, rows[-1].id) if more else None
    return rows, cursor
