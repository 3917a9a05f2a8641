"""The inventory's use cases. Each takes the unit of work it runs in and, for a partner's call,
the principal who acts; it loads the source under its row lock (every change of a source or its
ledger takes that lock first, so they happen one after the other), checks the policy, lets the
source apply its rules, and saves it. The unit of work publishes the events when the route,
consumer or worker that opened it commits it."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from services.inventory.adapters.ledger_repository import LedgerRepository
from services.inventory.adapters.repository import SourceRepository
from services.inventory.adapters.tables import TABLES
from services.inventory.domain.ledger import (
    Acceptance,
    Act,
    Correction,
    LedgerEntry,
    Refusal,
    Reservation,
    ReservationStatus,
)
from services.inventory.domain.model import Profile, Source, UnknownSourceAnswer, WindowTerms
from services.inventory.domain.policy import donor_on_update, may_manage, refusal
from shared.auth import parties_with_keys
from shared.errors import Forbidden, Invalid, NotFound
from shared.events.inventory import ReservationFailure
from shared.principal import Principal
from shared.unit_of_work import UnitOfWork
from shared.versioning import check_if_match

log = logging.getLogger(__name__)

Change = Callable[[Source, str, datetime], None]
"""A status change of the source (pause, resume, close), given who acts and when."""
Record = Callable[[Source, LedgerRepository], Awaitable[LedgerEntry]]
"""One ledger write on a locked source, reading the ledger as it is under the lock."""


async def source_or_404(
    repository: SourceRepository, source_id: UUID, *, lock: bool = False
) -> Source:
    source = await repository.get(source_id, for_update=lock)
    if source is None:
        raise NotFound(f"No source {source_id}.")
    return source


def authorise(principal: Principal, *profiles: Profile) -> None:
    """The caller must manage the source as it is and as it would become."""
    if not all(may_manage(principal, profile) for profile in profiles):
        message, rule = refusal(principal)
        raise Forbidden(message, rule=rule)


async def require_answering_party(uow: UnitOfWork, principal: Principal, profile: Profile) -> None:
    """A source names as its donor a party that can answer its proposals: one holding a key. A
    donor naming itself holds the key it calls with; none named, the secretariat answers."""
    donor = profile.donor
    if donor is None or donor == principal.donor:
        return
    if donor not in await parties_with_keys(uow.session, TABLES.api_keys):
        raise Invalid(
            f"No donor {donor!r} holds a key: nobody could answer this source's proposals. "
            "Issue the donor a key first, or name no donor for the secretariat to answer.",
            rule="answering-party",
            field="donor",
        )


async def new_source(
    uow: UnitOfWork,
    principal: Principal,
    profile: Profile,
    windows: Sequence[WindowTerms],
    now: datetime,
) -> Source:
    """A source the caller registers, by every rule of registration; not stored yet."""
    authorise(principal, profile)
    await require_answering_party(uow, principal, profile)
    return Source.register(profile, windows, principal.label, now)


async def store_sources(uow: UnitOfWork, sources: Sequence[Source]) -> None:
    """Store newly registered sources; the unit of work tells their registration."""
    await SourceRepository(uow).add_all(sources)


async def update_source(
    uow: UnitOfWork,
    principal: Principal,
    source_id: UUID,
    profile_for: Callable[[str | None], Profile],
    stated_donor: str | None,
    windows: Sequence[WindowTerms],
    if_match: str | None,
    now: datetime,
) -> Source:
    """Replace the profile and windows; `profile_for(donor)` is the new profile with its donor."""
    repository = SourceRepository(uow)
    source = await source_or_404(repository, source_id, lock=True)
    profile = profile_for(donor_on_update(principal, stated_donor, source.profile.donor))
    authorise(principal, source.profile, profile)
    check_if_match(source.version, if_match, required=True, what="source")
    if profile.donor != source.profile.donor:
        await require_answering_party(uow, principal, profile)
    source.update(profile, windows, principal.label, now)
    await repository.save(source)
    return source


async def change_status(
    uow: UnitOfWork,
    principal: Principal,
    source_id: UUID,
    change: Change,
    if_match: str | None,
    now: datetime,
) -> Source:
    repository = SourceRepository(uow)
    source = await source_or_404(repository, source_id, lock=True)
    authorise(principal, source.profile)
    check_if_match(source.version, if_match, required=False, what="source")
    change(source, principal.label, now)
    await repository.save(source)
    return source


async def write_ledger(
    uow: UnitOfWork, principal: Principal, source_id: UUID, record: Record
) -> LedgerEntry:
    """One ledger write on the source, under its lock, by one who manages it."""
    repository = SourceRepository(uow)
    source = await source_or_404(repository, source_id, lock=True)
    authorise(principal, source.profile)
    entry = await record(source, LedgerRepository(uow.session))
    await repository.save(source)
    return entry


async def record_act(
    uow: UnitOfWork, principal: Principal, source_id: UUID, act: Act, now: datetime
) -> LedgerEntry:
    """A pledge, commitment or disbursement, within what the window's balance allows."""

    async def record(source: Source, ledger: LedgerRepository) -> LedgerEntry:
        balance = await ledger.balance(act.window_id, act.request_id)
        return source.record(act, balance, principal.label, now)

    return await write_ledger(uow, principal, source_id, record)


async def correct_entry(
    uow: UnitOfWork, principal: Principal, entry_id: UUID, correction: Correction, now: datetime
) -> LedgerEntry:
    entry = await LedgerRepository(uow.session).entry(entry_id)
    if entry is None:
        raise NotFound(f"No ledger entry {entry_id}.")

    async def record(source: Source, ledger: LedgerRepository) -> LedgerEntry:
        original = await ledger.original(entry)  # read under the source's lock
        return source.correct(original, correction, principal.label, now)

    return await write_ledger(uow, principal, entry.source_id, record)


async def convert_reservation(
    uow: UnitOfWork,
    principal: Principal,
    reservation_id: UUID,
    day: date,
    note: str | None,
    now: datetime,
) -> LedgerEntry:
    """A held reservation becomes a commitment for its request."""
    found = await LedgerRepository(uow.session).reservation(reservation_id)
    if found is None:
        raise NotFound(f"No reservation {reservation_id}.")

    async def record(source: Source, ledger: LedgerRepository) -> LedgerEntry:
        reservation = await ledger.reservation(reservation_id)  # as it is under the lock
        assert reservation is not None  # reservations are never deleted
        return source.convert(reservation, day, note, principal.label, now)

    return await write_ledger(uow, principal, found.source_id, record)


async def reserve(uow: UnitOfWork, acceptance: Acceptance, now: datetime) -> None:
    """Answer one accepted match, unless it has its answer already.

    Exactly one answer per match: the consumer's inbox drops a redelivered event, and the unique
    `match_id` of the reservations table refuses a second answer to the same match carried by
    another event (a duplicate the matching service sent twice); the check here spares that
    refusal in the common case, and a concurrent duplicate that gets past it fails on the
    constraint, is retried, and then finds the answer.
    """
    repository = SourceRepository(uow)
    source = await repository.get(acceptance.source_id, for_update=True)
    if await LedgerRepository(uow.session).answered(acceptance.match_id):
        log.info("match %s has its answer already", acceptance.match_id)
        return
    if source is not None:
        granted = await _granted(uow, source, acceptance.request_id)
        source.reserve(acceptance, now.date(), uow.network, now, granted)
        await repository.save(source)
        return
    unknown = Refusal(ReservationFailure.UNKNOWN_SOURCE, f"no source {acceptance.source_id}")
    refused = Reservation.answer(acceptance, now, window_id=None, refusal=unknown)
    await repository.record_answer(UnknownSourceAnswer.of(refused))


async def _granted(uow: UnitOfWork, source: Source, request_id: UUID) -> Decimal:
    """What the source holds or has committed for the request in money (its grant limits are
    money). Read under the source's lock, so reservations for the same request, whichever
    consumer takes them, count each other."""
    lines = await LedgerRepository(uow.session).balances(source_id=source.id, request_id=request_id)
    money = [line for line in lines if line.unit is None]
    return sum((line.committed + line.reserved for line in money), Decimal(0))


async def release_for(uow: UnitOfWork, request_id: UUID, actor: str, now: datetime) -> None:
    """Release what is held for a request that closed; the windows get the amounts back."""
    ledger, repository = LedgerRepository(uow.session), SourceRepository(uow)
    held = await ledger.reservations(request_id=request_id, status=ReservationStatus.HELD.value)
    for source_id in sorted({r.source_id for r in held}):  # one lock order: no deadlocks
        source = await repository.get(source_id, for_update=True)
        if source is None:
            continue
        for reservation in await ledger.reservations(
            request_id=request_id, source_id=source_id, status=ReservationStatus.HELD.value
        ):
            source.release(reservation, actor, now)
        await repository.save(source)
