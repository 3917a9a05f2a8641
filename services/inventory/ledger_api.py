"""HTTP routes for the ledger: pledges, commitments, disbursements, corrections, reservations.

Every write locks the source first, so writes on one source happen one after the other, each
seeing what the one before it left; the rules are then checked against those figures.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse

from services.inventory.api import PROBLEMS, authorise, load, now, refused
from services.inventory.domain import RuleViolation, Source
from services.inventory.events import save_and_publish
from services.inventory.ledger import (
    Act,
    Correction,
    EntryKind,
    LedgerEntry,
    Money,
    ReservationStatus,
)
from services.inventory.ledger_store import EntryFilter, LedgerRepository
from services.inventory.schemas import (
    ActIn,
    BalanceOut,
    ConversionIn,
    CorrectionIn,
    EntryOut,
    EntryPage,
    RequestLedgerOut,
    ReservationOut,
    SourceLedgerOut,
    WindowOut,
)
from services.inventory.store import SourceRepository
from shared.auth import PrincipalDep
from shared.http import Problem
from shared.idempotency import IdempotencyDep
from shared.runtime import ResourcesDep, SessionDep

router = APIRouter(prefix="/v1", tags=["ledger"])
Record = Callable[[Source, LedgerRepository], Awaitable[LedgerEntry]]


def _not_found(what: str, thing_id: UUID) -> Problem:
    return Problem(
        404, f"{what.capitalize()} not found", f"No {what} {thing_id}.", kind="not-found"
    )


@dataclass
class LedgerWrite:
    """One ledger write: idempotent, under the source's lock, stored with its events."""

    session: SessionDep
    resources: ResourcesDep
    principal: PrincipalDep
    idempotency: IdempotencyDep

    async def apply(self, source_id: UUID, record: Record) -> Any:
        if (replay := await self.idempotency.replay()) is not None:
            return replay
        source = await load(SourceRepository(self.session), source_id, lock=True)
        authorise(self.principal, source.profile)
        try:
            entry = await record(source, LedgerRepository(self.session))
        except RuleViolation as violation:
            raise refused(violation) from violation
        await save_and_publish(self.session, self.resources, source)
        body = await self.idempotency.remember(201, EntryOut.of(entry))
        return JSONResponse(
            body.model_dump(mode="json"),
            201,
            headers={"Location": f"/v1/ledger/entries/{entry.id}"},
        )

    async def act(self, source_id: UUID, kind: EntryKind, body: ActIn) -> Any:
        act = Act(
            kind,
            body.window_id,
            body.request_id,
            Money(body.amount.value, body.amount.currency),
            body.date,
            body.note,
        )

        async def record(source: Source, ledger: LedgerRepository) -> LedgerEntry:
            balance = await ledger.balance(act.window_id, act.request_id)
            return source.record(act, balance, self.principal.label, now())

        return await self.apply(source_id, record)


LedgerWriteDep = Annotated[LedgerWrite, Depends()]


def _act_route(kind: EntryKind, path: str, summary: str) -> None:
    """POST /v1/sources/{source_id}/<path>: record an act of this kind."""

    async def record_act(source_id: UUID, body: ActIn, write: LedgerWriteDep) -> Any:
        return await write.act(source_id, kind, body)

    router.post(
        f"/sources/{{source_id}}/{path}",
        status_code=201,
        response_model=EntryOut,
        responses=PROBLEMS,
        summary=summary,
        name=f"record_{kind.value}",
    )(record_act)


_act_route(
    EntryKind.PLEDGED, "pledges", "Record a pledge: an announced intention, which limits nothing"
)
_act_route(
    EntryKind.COMMITTED,
    "commitments",
    "Record a commitment, within what the window has available",
)
_act_route(
    EntryKind.DISBURSED,
    "disbursements",
    "Record a disbursement, within what is committed to the same request",
)


@router.post(
    "/ledger/entries/{entry_id}/corrections",
    status_code=201,
    response_model=EntryOut,
    responses=PROBLEMS,
    summary="Correct an entry with a new entry carrying the difference",
)
async def correct_entry(
    entry_id: UUID, body: CorrectionIn, session: SessionDep, write: LedgerWriteDep
) -> Any:
    entry = await LedgerRepository(session).entry(entry_id)
    if entry is None:
        raise _not_found("ledger entry", entry_id)
    correction = Correction(body.amount.money(), body.date, body.reason)

    async def record(source: Source, ledger: LedgerRepository) -> LedgerEntry:
        original = await ledger.original(entry)  # read under the source's lock
        return source.correct(original, correction, write.principal.label, now())

    return await write.apply(entry.source_id, record)


@router.post(
    "/reservations/{reservation_id}/commitment",
    status_code=201,
    response_model=EntryOut,
    responses=PROBLEMS,
    summary="Convert a held reservation into a commitment for its request",
)
async def convert_reservation(
    reservation_id: UUID, body: ConversionIn, session: SessionDep, write: LedgerWriteDep
) -> Any:
    found = await LedgerRepository(session).reservation(reservation_id)
    if found is None:
        raise _not_found("reservation", reservation_id)

    async def record(source: Source, ledger: LedgerRepository) -> LedgerEntry:
        reservation = await ledger.reservation(reservation_id)  # as it is under the lock
        assert reservation is not None  # reservations are never deleted
        return source.convert(reservation, body.date, body.note, write.principal.label, now())

    return await write.apply(found.source_id, record)


@router.get("/ledger/entries/{entry_id}", response_model=EntryOut, responses=PROBLEMS)
async def get_entry(entry_id: UUID, session: SessionDep, principal: PrincipalDep) -> EntryOut:
    entry = await LedgerRepository(session).entry(entry_id)
    if entry is None:
        raise _not_found("ledger entry", entry_id)
    return EntryOut.of(entry)


@router.get(
    "/ledger/entries",
    response_model=EntryPage,
    responses=PROBLEMS,
    summary="Ledger entries, newest recorded first",
)
async def list_entries(
    session: SessionDep,
    principal: PrincipalDep,
    source_id: UUID | None = None,
    request_id: UUID | None = None,
    window_id: UUID | None = None,
    kind: EntryKind | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> EntryPage:
    where = EntryFilter(source_id, request_id, window_id, kind)
    entries, next_cursor = await LedgerRepository(session).entries(where, limit, cursor)
    return EntryPage(items=[EntryOut.of(e) for e in entries], next_cursor=next_cursor)


@router.get(
    "/sources/{source_id}/ledger",
    response_model=SourceLedgerOut,
    responses=PROBLEMS,
    summary="A source's windows with their totals, and what each holds for each request",
)
async def source_ledger(
    source_id: UUID, session: SessionDep, principal: PrincipalDep
) -> SourceLedgerOut:
    source = await load(SourceRepository(session), source_id)
    balances = await LedgerRepository(session).balances(source_id=source_id)
    return SourceLedgerOut(
        source_id=source_id,
        windows=[WindowOut.of(w) for w in source.windows],
        balances=[BalanceOut.of(b) for b in balances],
    )


@router.get(
    "/ledger/requests/{request_id}",
    response_model=RequestLedgerOut,
    responses=PROBLEMS,
    summary="What every source pledged, committed, reserved and disbursed for one request",
)
async def request_ledger(
    request_id: UUID, session: SessionDep, principal: PrincipalDep
) -> RequestLedgerOut:
    ledger = LedgerRepository(session)
    balances = await ledger.balances(request_id=request_id)
    reservations = await ledger.reservations(request_id=request_id)
    return RequestLedgerOut(
        request_id=request_id,
        balances=[BalanceOut.of(b) for b in balances],
        reservations=[ReservationOut.of(r) for r in reservations],
    )


@router.get("/reservations/{reservation_id}", response_model=ReservationOut, responses=PROBLEMS)
async def get_reservation(
    reservation_id: UUID, session: SessionDep, principal: PrincipalDep
) -> ReservationOut:
    reservation = await LedgerRepository(session).reservation(reservation_id)
    if reservation is None:
        raise _not_found("reservation", reservation_id)
    return ReservationOut.of(reservation)


@router.get(
    "/reservations",
    response_model=list[ReservationOut],
    responses=PROBLEMS,
    summary="Answers to accepted matches, oldest first",
)
async def list_reservations(
    session: SessionDep,
    principal: PrincipalDep,
    source_id: UUID | None = None,
    request_id: UUID | None = None,
    status: ReservationStatus | None = None,
) -> list[ReservationOut]:
    asked = {
        "source_id": source_id,
        "request_id": request_id,
        "status": status.value if status else None,
    }
    where = {name: value for name, value in asked.items() if value is not None}
    return [ReservationOut.of(r) for r in await LedgerRepository(session).reservations(**where)]
