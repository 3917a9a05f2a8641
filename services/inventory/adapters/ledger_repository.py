"""Reading the ledger: entries, balances per request and window, and reservations.

Writes go through `SourceRepository.save`, under the lock of the source they belong to.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.inventory.adapters.tables import (
    BalanceRow,
    EntryRow,
    ReservationRow,
    SourceRow,
    WindowRow,
)
from services.inventory.domain.ledger import (
    ZERO,
    Balance,
    EntryKind,
    LedgerEntry,
    Original,
    Reservation,
    ReservationStatus,
)
from shared.events.inventory import ReservationFailure
from shared.pagination import newest_first
from shared.values import attributes, field_names


@dataclass(frozen=True)
class EntryFilter:
    source_id: UUID | None = None
    request_id: UUID | None = None
    window_id: UUID | None = None
    kind: EntryKind | None = None


@dataclass(frozen=True)
class BalanceLine:
    """What one window of one source holds for one request (None: for no request)."""

    source_id: UUID
    window_id: UUID
    request_id: UUID | None
    currency: str | None  # money; None for help in kind, counted in `unit`
    unit: str | None
    pledged: Decimal = ZERO
    committed: Decimal = ZERO
    reserved: Decimal = ZERO
    disbursed: Decimal = ZERO


class LedgerRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def balance(self, window_id: UUID, request_id: UUID | None) -> Balance:
        b = BalanceRow
        row = (
            await self.session.scalars(
                select(b).where(
                    col(b.window_id) == window_id,
                    col(b.request_id).is_(None)
                    if request_id is None
                    else col(b.request_id) == request_id,
                )
            )
        ).first()
        return Balance(row.pledged, row.committed, row.disbursed) if row else Balance()

    async def entry(self, entry_id: UUID) -> LedgerEntry | None:
        row = await self.session.get(EntryRow, entry_id)
        return None if row is None else _entry(row)

    async def original(self, entry: LedgerEntry) -> Original:
        """`entry` with what its corrections add up to and its request's balance on the window."""
        corrected = await self.session.scalar(
            select(func.coalesce(func.sum(EntryRow.amount), 0)).where(
                col(EntryRow.corrects) == entry.id
            )
        )
        balance = await self.balance(entry.window_id, entry.request_id)
        return Original(entry, entry.amount + Decimal(corrected or 0), balance)

    async def entries(
        self, where: EntryFilter, limit: int, after: str | None
    ) -> tuple[list[LedgerEntry], str | None]:
        e = EntryRow
        query = select(e)
        for column, value in (
            (e.source_id, where.source_id),
            (e.request_id, where.request_id),
            (e.window_id, where.window_id),
            (e.kind, where.kind.value if where.kind else None),
        ):
            if value is not None:
                query = query.where(col(column) == value)
        rows, cursor = await newest_first(self.session, query, e, limit, after)
        return [_entry(row) for row in rows], cursor

    async def balances(
        self, *, source_id: UUID | None = None, request_id: UUID | None = None
    ) -> list[BalanceLine]:
        """Every window's balance for each request, with what reservations hold, for one source
        or one request."""
        b, w, r = BalanceRow, WindowRow, ReservationRow
        on_window = [col(b.window_id) == col(w.id)]
        held = [col(r.status) == ReservationStatus.HELD.value, col(r.window_id) == col(w.id)]
        if source_id is not None:
            on_window.append(col(w.source_id) == source_id)
            held.append(col(r.source_id) == source_id)
        if request_id is not None:
            on_window.append(col(b.request_id) == request_id)
            held.append(col(r.request_id) == request_id)
        lines: dict[tuple[UUID, UUID | None], BalanceLine] = {}
        for row in await self.session.execute(
            select(col(w.source_id), col(b.window_id), col(b.request_id))
            .add_columns(col(w.currency), col(w.unit))
            .add_columns(col(b.pledged), col(b.committed), col(b.disbursed))
            .where(*on_window)
        ):
            source, window, request, currency, unit, pledged, committed, disbursed = row
            lines[(window, request)] = BalanceLine(
                source, window, request, currency, unit, pledged, committed, disbursed=disbursed
            )
        keys = (col(w.source_id), col(w.id), col(r.request_id), col(w.currency), col(w.unit))
        for row in await self.session.execute(
            select(*keys, func.sum(r.amount)).where(*held).group_by(*keys)
        ):
            source, window, request, currency, unit, amount = row
            line = lines.get(
                (window, request), BalanceLine(source, window, request, currency, unit)
            )
            lines[(window, request)] = replace(line, reserved=amount)
        return sorted(lines.values(), key=lambda x: (str(x.window_id), str(x.request_id)))

    async def money_entries(
        self, request_ids: Iterable[UUID], donor: str | None = None
    ) -> list[LedgerEntry]:
        """The money entries for these requests, corrections included, oldest act first; only
        those of the donor's sources when a donor is named."""
        e = EntryRow
        query = (
            select(e)
            .where(col(e.request_id).in_(list(request_ids)), col(e.currency).is_not(None))
            .order_by(col(e.date), col(e.created_at))
        )
        if donor is not None:
            mine = select(col(SourceRow.id)).where(col(SourceRow.donor) == donor)
            query = query.where(col(e.source_id).in_(mine))
        return [_entry(row) for row in (await self.session.scalars(query)).all()]

    async def recorded(self, references: Collection[str], ids: Collection[UUID]) -> set[str]:
        """Which of these references are recorded, and which of these entry ids exist (as
        strings): an imported transaction, or one this ledger exported, is recorded once."""
        e = EntryRow
        found = await self.session.scalars(
            select(col(e.reference)).where(col(e.reference).in_(list(references)))
        )
        here = await self.session.scalars(select(col(e.id)).where(col(e.id).in_(list(ids))))
        return {str(r) for r in found.all()} | {str(i) for i in here.all()}

    async def reservation(self, reservation_id: UUID) -> Reservation | None:
        row = await self.session.get(ReservationRow, reservation_id)
        return None if row is None else _reservation(row)

    async def answered(self, match_id: UUID) -> bool:
        """Whether this match has its answer already (a redelivery or a duplicate event)."""
        found = await self.session.scalar(
            select(col(ReservationRow.id)).where(col(ReservationRow.match_id) == match_id)
        )
        return found is not None

    async def reservations(self, **where: Any) -> list[Reservation]:
        """Reservations by equality on columns, e.g. `request_id=…, status="held"`; oldest first."""
        query = select(ReservationRow).order_by(col(ReservationRow.created_at))
        for name, value in where.items():
            query = query.where(getattr(ReservationRow, name) == value)
        return [_reservation(row) for row in (await self.session.scalars(query)).all()]


def _entry(row: EntryRow) -> LedgerEntry:
    values = attributes(row, field_names(LedgerEntry))
    return LedgerEntry(**{**values, "kind": EntryKind(row.kind), "recorded_at": row.created_at})


def _reservation(row: ReservationRow) -> Reservation:
    values = attributes(row, field_names(Reservation))
    status, reason = ReservationStatus(row.status), row.reason
    return Reservation(
        **{**values, "status": status, "reason": ReservationFailure(reason) if reason else None}
    )
