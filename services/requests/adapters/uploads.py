"""The progress of bulk uploads: one row per upload, by the caller's key and Idempotency-Key."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert

from services.requests.adapters.tables import UploadRow
from shared.unit_of_work import UnitOfWork


class UploadProgress:
    """Reads and writes the progress of uploads, in the unit of work it is given."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.session = uow.session

    async def start(self, caller: str, key: str) -> None:
        """The upload's record from the start (anew, for a retry of a refused upload)."""
        now = datetime.now(UTC)
        fresh: dict[str, Any] = {
            "status": "validating",
            "rows_total": None,
            "rows_validated": 0,
            "rows_stored": 0,
            "errors": 0,
            "created_at": now,
            "updated_at": now,
        }
        table = UploadRow.__table__  # type: ignore[attr-defined]
        await self.session.execute(
            insert(table)
            .values(caller=caller, key=key, **fresh)
            .on_conflict_do_update(index_elements=["caller", "key"], set_=fresh)
        )

    async def update(self, caller: str, key: str, **values: Any) -> None:
        await self.session.execute(
            update(UploadRow)
            .where(UploadRow.caller == caller, UploadRow.key == key)  # type: ignore[arg-type]
            .values(**values, updated_at=datetime.now(UTC))
        )

    async def forget(self, caller: str, key: str) -> None:
        await self.session.execute(
            delete(UploadRow).where(UploadRow.caller == caller, UploadRow.key == key)  # type: ignore[arg-type]
        )

    async def get(self, caller: str, key: str) -> UploadRow | None:
        query = select(UploadRow).where(UploadRow.caller == caller, UploadRow.key == key)  # type: ignore[arg-type]
        return (await self.session.scalars(query)).first()
