"""HTTP routes for the ledger: pledges, commitments, disbursements, corrections, reservations.

Every write locks the source first (`app.commands.write_ledger`), so writes on one source happen
one after the other, each seeing what the one before it left; the rules are then checked against
those figures.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response

from services.inventory.adapters.ledger_repository import EntryFilter, LedgerRepository
from services.inventory.adapters.repository import SourceRepository
from services.inventory.adapters.request_projection import RequestProjection
from services.inventory.api.schemas import (
    ActIn,
    BalanceOut,
    ConversionIn,
    CorrectionIn,
    EntryLine,
    EntryOut,
    EntryPage,
    RequestLedgerOut,
    ReservationOut,
    SourceLedgerOut,
    WindowOut,
)
from services.inventory.app import commands
from services.inventory.app.commands import source_or_404
from services.inventory.domain.ledger import (
    Act,
    Correction,
    EntryKind,
    LedgerEntry,
    ReservationStatus,
)
from shared import clock
from shared.auth import PrincipalDep
from shared.deps import Answer, Call, CallDep, UnitOfWorkDep
from shared.errors import NotFound
from shared.http import PROBLEMS
from shared.languages import NamesDep
from shared.reports import CSV_PAGE, Format, csv_page

router = APIRouter(prefix="/v1", tags=["ledger"], responses=PROBLEMS)


async def _recorded(call: Call, write: Callable[[], Awaitable[LedgerEntry]]) -> Response:
    """A ledger write, once per idempotency key: the entry it recorded, and where it lives."""

    async def record() -> Answer:
        entry = await write()
        return Answer(EntryOut.of(entry), {"Location": f"/v1/ledger/entries/{entry.id}"})

    return await call.once(201, record)


def _act_route(kind: EntryKind, path: str, summary: str) -> None:
    """POST /v1/sources/{source_id}/<path>: record an act of this kind."""

    async def record_act(source_id: UUID, body: ActIn, call: CallDep) -> Any:
        act = Act(kind, body.window_id, body.request_id, body.measured(), body.date, body.note)
        return await _recorded(
            call, lambda: commands.record_act(call.uow, call.principal, source_id, act, clock.now())
        )

    router.post(
        f"/sources/{{source_id}}/{path}",
        status_code=201,
        response_model=EntryOut,
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
    summary="Correct an entry with a new entry carrying the difference",
)
async def correct_entry(entry_id: UUID, body: CorrectionIn, call: CallDep) -> Any:
    correction = Correction(body.measured(), body.date, body.reason)
    return await _recorded(
        call,
        lambda: commands.correct_entry(call.uow, call.principal, entry_id, correction, clock.now()),
    )


@router.post(
    "/reservations/{reservation_id}/commitment",
    status_code=201,
    response_model=EntryOut,
    summary="Convert a held reservation into a commitment for its request",
)
async def convert_reservation(reservation_id: UUID, body: ConversionIn, call: CallDep) -> Any:
    return await _recorded(
        call,
        lambda: commands.convert_reservation(
            call.uow, call.principal, reservation_id, body.date, body.note, clock.now()
        ),
    )


@router.get("/ledger/entries/{entry_id}")
async def get_entry(entry_id: UUID, uow: UnitOfWorkDep, principal: PrincipalDep) -> EntryOut:
    entry = await LedgerRepository(uow.session).entry(entry_id)
    if entry is None:
        raise NotFound(f"No ledger entry {entry_id}.")
    return EntryOut.of(entry)


@router.get(
    "/ledger/entries",
    response_model=EntryPage,
    responses=CSV_PAGE,
    summary="Ledger entries, newest recorded first",
)
async def list_entries(
    request: Request,
    uow: UnitOfWorkDep,
    principal: PrincipalDep,
    names: NamesDep,
    source_id: UUID | None = None,
    request_id: UUID | None = None,
    window_id: UUID | None = None,
    kind: EntryKind | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    format: Format = "json",
) -> Any:
    """With `format=csv`, the same page as a spreadsheet (the next page's link in `Link`)."""
    where = EntryFilter(source_id, request_id, window_id, kind)
    entries, next_cursor = await LedgerRepository(uow.session).entries(where, limit, cursor)
    page = EntryPage(items=[EntryOut.of(e) for e in entries], next_cursor=next_cursor)
    if format == "csv":
        lines = [EntryLine.of(item) for item in page.items]
        return csv_page(request, lines, EntryLine, names, next_cursor)
    return page


@router.get(
    "/sources/{source_id}/ledger",
    summary="A source's windows with their totals, and what each holds for each request",
)
async def source_ledger(
    source_id: UUID, uow: UnitOfWorkDep, principal: PrincipalDep
) -> SourceLedgerOut:
    source = await source_or_404(SourceRepository(uow), source_id)
    balances = await LedgerRepository(uow.session).balances(source_id=source_id)
    return SourceLedgerOut(
        source_id=source_id,
        windows=[WindowOut.of(w) for w in source.windows],
        balances=[BalanceOut.of(b) for b in balances],
    )


@router.get(
    "/ledger/requests/{request_id}",
    summary="What every source pledged, committed, reserved and disbursed for one request",
)
async def request_ledger(
    request_id: UUID, uow: UnitOfWorkDep, principal: PrincipalDep
) -> RequestLedgerOut:
    ledger = LedgerRepository(uow.session)
    balances = await ledger.balances(request_id=request_id)
    reservations = await ledger.reservations(request_id=request_id)
    known = (await RequestProjection(uow.session).known([request_id])).get(request_id)
    return RequestLedgerOut(
        request_id=request_id,
        convention=known.convention if known else None,
        title=known.title if known else None,
        balances=[BalanceOut.of(b) for b in balances],
        reservations=[ReservationOut.of(r) for r in reservations],
    )


@router.get("/reservations/{reservation_id}")
async def get_reservation(
    reservation_id: UUID, uow: UnitOfWorkDep, principal: PrincipalDep
) -> ReservationOut:
    reservation = await LedgerRepository(uow.session).reservation(reservation_id)
    if reservation is None:
        raise NotFound(f"No reservation {reservation_id}.")
    return ReservationOut.of(reservation)


@router.get(
    "/reservations",
    summary="Answers to accepted matches, oldest first",
)
async def list_reservations(
    uow: UnitOfWorkDep,
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
    return [ReservationOut.of(r) for r in await LedgerRepository(uow.session).reservations(**where)]
