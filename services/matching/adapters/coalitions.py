"""The country coalitions' repository: a coalition with its members and dialogue log. Coalitions
loaded or added here are tracked by the unit of work, which publishes their events when it
commits."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from typing import Any
from uuid import UUID

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, update

from services.matching.adapters.tables import CoalitionMemberRow, CoalitionRow, DialogueRow
from services.matching.domain.coalitions import (
    Coalition,
    CoalitionStatus,
    DialogueEntry,
    DialogueKind,
    FollowUp,
    Member,
    MemberKind,
)
from shared.unit_of_work import UnitOfWork

COALITION_COLUMNS = frozenset(CoalitionRow.model_fields) - {"status"}


class CoalitionRepository:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self.session: AsyncSession = uow.session

    async def add(self, coalition: Coalition) -> None:
        self.uow.track(coalition)
        self.session.add(_row(coalition))
        await self.session.flush()
        await self._store_parts(coalition, stored_entries=set())

    async def save(self, coalition: Coalition) -> None:
        """Store the coalition's changes: its row, its members as they are now, and the dialogue
        entries not stored yet (entries are only ever added)."""
        values = _row(coalition).model_dump(exclude={"id", "created_at"})
        await self.session.execute(
            update(CoalitionRow).where(col(CoalitionRow.id) == coalition.id).values(**values)
        )
        await self.session.execute(
            delete(CoalitionMemberRow).where(col(CoalitionMemberRow.coalition_id) == coalition.id)
        )
        stored = await self.session.scalars(
            select(col(DialogueRow.id)).where(col(DialogueRow.coalition_id) == coalition.id)
        )
        await self._store_parts(coalition, set(stored))

    async def _store_parts(self, coalition: Coalition, stored_entries: set[UUID]) -> None:
        members = [_member_row(coalition.id, m) for m in coalition.members]
        if members:
            await self.session.execute(insert(_table(CoalitionMemberRow)).values(members))
        entries = [
            _dialogue_row(coalition.id, e) for e in coalition.dialogue if e.id not in stored_entries
        ]
        if entries:
            await self.session.execute(insert(_table(DialogueRow)).values(entries))

    async def get(self, coalition_id: UUID, *, for_update: bool = False) -> Coalition | None:
        query = select(CoalitionRow).where(col(CoalitionRow.id) == coalition_id)
        if for_update:
            query = query.with_for_update()
        found = await self._loaded(list(await self.session.scalars(query)))
        return found[0] if found else None

    async def listed(self, **where: Any) -> list[Coalition]:
        """Every coalition narrowed by column values (state, regional_centre, status), newest
        first."""
        query = select(CoalitionRow)
        for name, value in where.items():
            query = query.where(getattr(CoalitionRow, name) == value)
        query = query.order_by(col(CoalitionRow.created_at).desc())
        return await self._loaded(list(await self.session.scalars(query)))

    async def standing(self) -> list[Coalition]:
        """The coalitions not closed: those whose members matching prefers."""
        return [c for c in await self.listed() if c.status is not CoalitionStatus.CLOSED]

    async def _loaded(self, rows: list[CoalitionRow]) -> list[Coalition]:
        ids = [r.id for r in rows]
        members = await self._by_coalition(CoalitionMemberRow, ids, CoalitionMemberRow.joined_at)
        dialogue = await self._by_coalition(DialogueRow, ids, DialogueRow.on)
        return [
            self.uow.track(
                Coalition(
                    **{name: getattr(row, name) for name in COALITION_COLUMNS},
                    status=CoalitionStatus(row.status),
                    members=[_member(m) for m in members[row.id]],
                    dialogue=[_entry(e) for e in dialogue[row.id]],
                )
            )
            for row in rows
        ]

    async def _by_coalition(
        self, table: Any, ids: Iterable[UUID], order: Any
    ) -> dict[UUID, list[Any]]:
        rows = await self.session.scalars(
            select(table).where(col(table.coalition_id).in_(list(ids))).order_by(order)
        )
        grouped: dict[UUID, list[Any]] = defaultdict(list)
        for row in rows:
            grouped[row.coalition_id].append(row)
        return grouped


def _table(model: Any) -> Any:
    return model.__table__


def _row(coalition: Coalition) -> CoalitionRow:
    values = {name: getattr(coalition, name) for name in COALITION_COLUMNS}
    values["updated_at"] = coalition.updated_at or coalition.created_at
    return CoalitionRow(**values, status=coalition.status.value)


def _member_row(coalition_id: UUID, member: Member) -> dict[str, Any]:
    return {
        "coalition_id": coalition_id,
        "party": member.party,
        "kind": member.kind.value,
        "joined_at": member.joined_at,
        "added_by": member.added_by,
    }


def _member(row: CoalitionMemberRow) -> Member:
    return Member(row.party, MemberKind(row.kind), row.joined_at, row.added_by)


def _dialogue_row(coalition_id: UUID, entry: DialogueEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "coalition_id": coalition_id,
        "on": entry.date,
        "kind": entry.kind.value,
        "participants": list(entry.participants),
        "agreed": entry.agreed,
        "follow_ups": [
            {"action": f.action, "owner": f.owner, "due": f.due.isoformat()}
            for f in entry.follow_ups
        ],
        "recorded_by": entry.recorded_by,
        "recorded_at": entry.recorded_at,
    }


def _entry(row: DialogueRow) -> DialogueEntry:
    return DialogueEntry(
        date=row.on,
        kind=DialogueKind(row.kind),
        participants=tuple(row.participants),
        agreed=row.agreed,
        follow_ups=tuple(
            FollowUp(f["action"], f["owner"], date.fromisoformat(f["due"])) for f in row.follow_ups
        ),
        recorded_by=row.recorded_by,
        recorded_at=row.recorded_at,
        id=row.id,
    )
