"""Sources: storing them with what their domain events say happened, loading them, searching.

Sources loaded or added here are tracked by the unit of work, which publishes their events when
it commits; save a source once per unit of work, as every use case does."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from uuid import UUID

from pydantic_core import to_jsonable_python
from sqlalchemy import delete, exists, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.inventory.adapters.search import SourceFilter, conditions
from services.inventory.adapters.tables import (
    BalanceRow,
    EntryRow,
    ReservationRow,
    SourceRow,
    VersionRow,
    WindowRow,
)
from services.inventory.domain.ledger import LedgerEntry, Reservation, ReservationStatus
from services.inventory.domain.model import (
    DomainEvent,
    Edited,
    EntryRecorded,
    Profile,
    Requirements,
    ReservationMade,
    ReservationSettled,
    Source,
    Support,
    UnknownSourceAnswer,
    Window,
)
from services.inventory.metrics import LEDGER_ENTRIES
from shared.eligibility import Eligibility
from shared.events.inventory import SourceKind, SourceStatus
from shared.pagination import newest_first
from shared.unit_of_work import UnitOfWork
from shared.values import Contact, attributes, field_names


class SourceRepository:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self.session: AsyncSession = uow.session

    async def get(self, source_id: UUID, *, for_update: bool = False) -> Source | None:
        """The source; `for_update` locks it, which every change of it or its ledger does first."""
        query = select(SourceRow).where(col(SourceRow.id) == source_id)
        if for_update:
            query = query.with_for_update()
        row = (await self.session.scalars(query)).first()
        if row is None:
            return None
        return self.uow.track(_from_row(row, await self._windows([source_id])))

    async def add(self, source: Source) -> None:
        self.uow.track(source)
        self.session.add(_to_row(source))
        await self.session.flush()  # the source first: its windows and versions refer to it
        await self.save(source)

    async def add_all(self, sources: Sequence[Source]) -> None:
        for source in sources:
            await self.add(source)

    async def save(self, source: Source) -> None:
        """Store what the source's new domain events say happened."""
        if any(isinstance(event, Edited) for event in source.events):
            await self._save_terms(source)
        await self.record(source.events)

    async def record_answer(self, answer: UnknownSourceAnswer) -> None:
        """Store and tell the answer to a match about an unknown source."""
        self.uow.track(answer)
        await self.record(answer.events)

    async def search(
        self, where: SourceFilter, limit: int, after: str | None
    ) -> tuple[list[Source], str | None]:
        query = select(SourceRow).where(*conditions(where))
        rows, cursor = await newest_first(self.session, query, SourceRow, limit, after)
        windows = await self._windows([row.id for row in rows])
        return [_from_row(row, windows) for row in rows], cursor

    async def all_matching(self, where: SourceFilter) -> list[Source]:
        rows = (await self.session.scalars(select(SourceRow).where(*conditions(where)))).all()
        windows = await self._windows([row.id for row in rows])
        return [_from_row(row, windows) for row in rows]

    async def history(self, source_id: UUID) -> list[VersionRow]:
        rows = await self.session.scalars(
            select(VersionRow)
            .where(col(VersionRow.source_id) == source_id)
            .order_by(col(VersionRow.version))
        )
        return list(rows.all())

    async def _windows(self, source_ids: list[UUID]) -> dict[UUID, list[Window]]:
        w, e, r = WindowRow, EntryRow, ReservationRow
        in_use = exists().where(col(e.window_id) == col(w.id)) | exists().where(
            col(r.window_id) == col(w.id)
        )
        rows = await self.session.execute(
            select(w, in_use.label("in_use"))
            .where(col(w.source_id).in_(source_ids))
            .order_by(col(w.position))
        )
        windows: dict[UUID, list[Window]] = defaultdict(list)
        for row, used in rows.all():
            windows[row.source_id].append(_window(row, used))
        return windows

    async def _save_terms(self, source: Source) -> None:
        """The source's row, its windows' terms and a copy of this version."""
        values = _to_row(source).model_dump(exclude={"id", "created_at"})
        await self.session.execute(
            update(SourceRow).where(col(SourceRow.id) == source.id).values(**values)
        )
        for position, window in enumerate(source.windows):
            terms = {
                "position": position,
                "opens": window.opens,
                "closes": window.closes,
                "currency": window.currency,
                "unit": window.unit,
                "capacity": window.capacity,
            }
            await self.session.execute(
                insert(WindowRow)
                .values(id=window.id, source_id=source.id, **terms)
                .on_conflict_do_update(index_elements=["id"], set_=terms)  # totals stay
            )
        await self.session.execute(
            delete(WindowRow).where(
                col(WindowRow.source_id) == source.id,
                col(WindowRow.id).not_in([w.id for w in source.windows]),
            )
        )
        for event in source.events:
            if isinstance(event, Edited):
                self.session.add(_version(source, event))

    async def record(self, events: list[DomainEvent]) -> None:
        """Store the ledger's side of the events: entries, reservations, window totals."""
        moves: dict[UUID, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
        for event in events:
            match event:
                case EntryRecorded(entry=entry):
                    await self._add_entry(entry)
                    LEDGER_ENTRIES.labels(entry.kind.value).inc()
                    moves[entry.window_id][entry.kind.value] += entry.amount
                case ReservationMade(reservation=reservation):
                    self.session.add(_reservation_row(reservation))
                    await self.session.flush()
                    if reservation.status is ReservationStatus.HELD:
                        moves[_held_on(reservation)]["reserved"] += reservation.amount
                case ReservationSettled(reservation=reservation):
                    await self._settle(reservation)
                    moves[_held_on(reservation)]["reserved"] -= reservation.amount
        for window_id, deltas in moves.items():
            await self.session.execute(
                update(WindowRow)
                .where(col(WindowRow.id) == window_id)
                .values({name: getattr(WindowRow, name) + delta for name, delta in deltas.items()})
            )

    async def _add_entry(self, entry: LedgerEntry) -> None:
        """The entry, and its amount added to its request's balance on the window.

        The balance row is made first and then incremented: PostgreSQL checks the constraints of
        the row an upsert proposes before it finds the conflict, and a disbursement alone would
        break the rule that disbursements stay within commitments.
        """
        self.session.add(_entry_row(entry))
        b = BalanceRow
        await self.session.execute(
            insert(b)
            .values(window_id=entry.window_id, request_id=entry.request_id)
            .on_conflict_do_nothing()
        )
        name = entry.kind.value
        await self.session.execute(
            update(b)
            .where(
                col(b.window_id) == entry.window_id,
                col(b.request_id).is_not_distinct_from(entry.request_id),
            )
            .values({name: getattr(b, name) + entry.amount})
        )

    async def _settle(self, reservation: Reservation) -> None:
        await self.session.execute(
            update(ReservationRow)
            .where(col(ReservationRow.id) == reservation.id)
            .values(status=reservation.status.value, updated_at=reservation.updated_at)
        )


def _held_on(reservation: Reservation) -> UUID:
    if reservation.window_id is None:
        raise ValueError(f"reservation {reservation.id} is held on no window")
    return reservation.window_id


def _to_row(source: Source) -> SourceRow:
    p = source.profile
    e = p.eligibility
    return SourceRow(
        id=source.id,
        version=source.version,
        kind=p.kind.value,
        name=p.name,
        description=p.description,
        donor=p.donor,
        home_country=p.home_country,
        status=source.status.value,
        supports=[{"convention": s.convention, "areas": list(s.areas)} for s in p.supports],
        conventions=sorted({s.convention for s in p.supports}),
        area_keys=sorted(area_keys(p.supports)),
        assistance_types=list(p.assistance_types),
        eligibility_rule=e.rule.value,
        eligible_states=e.states,
        eligible_regions=e.regions,
        eligible_income_groups=e.income_groups,
        regional_focus=list(p.regional_focus),
        min_grant=p.min_grant,
        max_grant=p.max_grant,
        cofinancing_percent=p.requirements.cofinancing_percent,
        proposal_languages=list(p.requirements.proposal_languages),
        documents=list(p.requirements.documents),
        requirement_notes=p.requirements.notes,
        contact=to_jsonable_python(p.contact),
        created_at=source.created_at,
        updated_at=source.updated_at,
    )


def area_keys(supports: tuple[Support, ...]) -> set[str]:
    """What a search for an area matches: `convention/area`, or `convention/*` for all areas."""
    return {f"{s.convention}/{a}" for s in supports for a in (s.areas or ("*",))}


def _from_row(row: SourceRow, windows: dict[UUID, list[Window]]) -> Source:
    profile = Profile(
        kind=SourceKind(row.kind),
        name=row.name,
        description=row.description,
        donor=row.donor,
        home_country=row.home_country,
        supports=tuple(Support(s["convention"], tuple(s["areas"])) for s in row.supports),
        assistance_types=tuple(row.assistance_types),
        eligibility=Eligibility(
            rule=row.eligibility_rule,
            states=row.eligible_states,
            regions=row.eligible_regions,
            income_groups=row.eligible_income_groups,
        ),
        regional_focus=tuple(row.regional_focus),
        min_grant=row.min_grant,
        max_grant=row.max_grant,
        requirements=Requirements(
            row.cofinancing_percent,
            tuple(row.proposal_languages),
            tuple(row.documents),
            row.requirement_notes,
        ),
        contact=Contact(**row.contact),
    )
    return Source(
        profile=profile,
        windows=windows.get(row.id, []),
        id=row.id,
        status=SourceStatus(row.status),
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _window(row: WindowRow, in_use: bool) -> Window:
    return Window(**attributes(row, field_names(Window)), in_use=in_use)


def _version(source: Source, event: Edited) -> VersionRow:
    document = {
        "status": source.status.value,
        "profile": to_jsonable_python(source.profile),
        "windows": [
            {
                "id": str(w.id),
                "opens": w.opens.isoformat(),
                "closes": w.closes.isoformat(),
                "currency": w.currency,
                "unit": w.unit,
                "capacity": str(w.capacity),
            }
            for w in source.windows
        ],
    }
    return VersionRow(
        source_id=source.id,
        version=source.version,
        change=event.change,
        actor=event.actor,
        at=event.at,
        document=document,
    )


def _entry_row(entry: LedgerEntry) -> EntryRow:
    values = attributes(entry, EntryRow.model_fields)
    return EntryRow(**{**values, "kind": entry.kind.value, "created_at": entry.recorded_at})


def _reservation_row(r: Reservation) -> ReservationRow:
    values = attributes(r, ReservationRow.model_fields)
    reason = r.reason.value if r.reason else None
    return ReservationRow(**{**values, "status": r.status.value, "reason": reason})
