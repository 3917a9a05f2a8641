"""IATI 2.03 both ways: the ledger's money for each request as an activity file, and a donor's
activity file recorded as ledger acts of its sources.

An import is all or nothing: every transaction is judged first (the same rules as an act recorded
through the API, under the sources' locks), and a file with any refused transaction stores
nothing; the answer then names each refusal. A transaction already recorded (its reference, or
one this ledger exported) is skipped, so importing a file again records nothing twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from services.inventory.adapters import iati as iati_file
from services.inventory.adapters.ledger_repository import LedgerRepository
from services.inventory.adapters.repository import SourceRepository
from services.inventory.adapters.request_projection import RequestProjection
from services.inventory.adapters.search import SourceFilter
from services.inventory.app.commands import authorise
from services.inventory.domain.iati import (
    ORGANISATION_TYPES,
    Activity,
    KnownRequest,
    Organisation,
    Outcome,
    Publisher,
    ReadTransaction,
    Recipient,
    Row,
    Unrecordable,
    activity_of,
    checked,
    kind_of,
    request_named,
)
from services.inventory.domain.ledger import Act, Balance, EntryKind, LedgerEntry
from services.inventory.domain.model import Source
from services.inventory.domain.policy import may_record
from shared.errors import DomainError, Forbidden, Invalid, NotFound
from shared.geography import countries
from shared.principal import Principal, Role
from shared.unit_of_work import UnitOfWork
from shared.values import Money


@dataclass(frozen=True)
class ExportFilter:
    donor: str | None = None
    convention: str | None = None
    state: str | None = None


async def export_activities(
    uow: UnitOfWork, principal: Principal, where: ExportFilter, publisher: Publisher, now: datetime
) -> bytes:
    """One activity per known request with money in the ledger; a donor sees its own sources'."""
    donor = principal.donor if principal.role is Role.DONOR else where.donor
    requests = await RequestProjection(uow.session).known(
        convention=where.convention, state=where.state
    )
    entries = await LedgerRepository(uow.session).money_entries(requests, donor)
    by_request: dict[UUID, list[LedgerEntry]] = {}
    for entry in entries:
        assert entry.request_id is not None
        by_request.setdefault(entry.request_id, []).append(entry)
    providers = await _providers(uow, {e.source_id for e in entries}, publisher)
    activities = [
        _activity(requests[request_id], found, providers, publisher)
        for request_id, found in by_request.items()
    ]
    kept = [a for a in activities if a.transactions]
    if not kept:
        raise NotFound(
            "No request known here has money in the ledger that matches: an IATI file needs "
            "at least one activity."
        )
    return iati_file.write(kept, publisher, now.replace(microsecond=0))


def _activity(
    request: KnownRequest,
    entries: list[LedgerEntry],
    providers: dict[UUID, Organisation],
    publisher: Publisher,
) -> Activity:
    country = countries().get(request.state)
    recipient = Recipient(country.name, country.iso2) if country else Recipient(request.state, None)
    codes = iati_file.sector_codes(request.convention, request.areas)
    return activity_of(request, entries, providers, publisher, codes, recipient)


async def _providers(
    uow: UnitOfWork, source_ids: set[UUID], publisher: Publisher
) -> dict[UUID, Organisation]:
    """Each source as the organisation that provides its money: its donor's identifier, or
    none for a source no donor keeps; named by the source's name, by which an import finds it."""
    repository = SourceRepository(uow)
    providers = {}
    for source_id in source_ids:
        source = await repository.get(source_id)
        assert source is not None  # entries refer to their source
        party = source.profile.donor
        providers[source_id] = Organisation(
            source.profile.name,
            publisher.donor_ref(party) if party else None,
            ORGANISATION_TYPES[source.profile.kind],
        )
    return providers


class FileRefused(Invalid):
    """A file with refused transactions: nothing of it is stored."""


@dataclass
class _Import:
    """One import under way: the sources it locked and the balances its acts have moved."""

    uow: UnitOfWork
    principal: Principal
    publisher: Publisher
    now: datetime
    sources: dict[UUID, Source] = field(default_factory=dict)
    balances: dict[tuple[UUID, UUID], Balance] = field(default_factory=dict)

    async def source_for(self, transaction: ReadTransaction) -> Source:
        """The source the provider names: a donor's (by its identifier) or one no donor keeps
        (no identifier), and among several, the one of the provider's name."""
        party = None
        if transaction.provider_ref is not None:
            party = self.publisher.party_of(transaction.provider_ref)
            if party is None:
                raise Unrecordable(
                    f"provider {transaction.provider_ref!r} is no donor known here",
                    rule="unknown-organisation",
                )
        repository = SourceRepository(self.uow)
        candidates = [
            s
            for s in await repository.all_matching(SourceFilter(donor=party))
            if s.profile.donor == party
        ]
        named = [s for s in candidates if s.profile.name == transaction.provider_name]
        chosen = named or (candidates if len(candidates) == 1 else [])
        if len(chosen) != 1:
            who = transaction.provider_ref or "no donor"
            raise Unrecordable(
                f"no single source of {who} named {transaction.provider_name!r}",
                rule="unknown-organisation",
            )
        return await self._locked(repository, chosen[0].id)

    async def _locked(self, repository: SourceRepository, source_id: UUID) -> Source:
        if source_id not in self.sources:
            source = await repository.get(source_id, for_update=True)
            assert source is not None
            self.sources[source_id] = source
        return self.sources[source_id]

    async def record(self, transaction: ReadTransaction, kind: EntryKind, request_id: UUID) -> UUID:
        source = await self.source_for(transaction)
        authorise(self.principal, source.profile)
        currency = transaction.currency or ""
        window = _window(source, currency, transaction)
        key = (window, request_id)
        if key not in self.balances:
            self.balances[key] = await LedgerRepository(self.uow.session).balance(*key)
        act = Act(
            kind,
            window,
            request_id,
            Money(transaction.value, currency),
            transaction.date,
            transaction.description,
            transaction.reference,
        )
        entry = source.record(act, self.balances[key], self.principal.label, self.now)
        self.balances[key] = _moved(self.balances[key], entry)
        return entry.id


def _window(source: Source, currency: str, transaction: ReadTransaction) -> UUID:
    """The source's window in the transaction's currency: the one open on its date that closes
    first, else the only one in that currency."""
    windows = [w for w in source.windows if w.currency == currency]
    open_then = sorted((w for w in windows if w.is_open(transaction.date)), key=lambda w: w.closes)
    if open_then:
        return open_then[0].id
    if len(windows) == 1:
        return windows[0].id
    raise Unrecordable(
        f"{source.profile.name!r} has no window in {currency} for {transaction.date}",
        rule="currency",
    )


def _moved(balance: Balance, entry: LedgerEntry) -> Balance:
    totals = {
        "pledged": balance.pledged,
        "committed": balance.committed,
        "disbursed": balance.disbursed,
    }
    totals[entry.kind.value] += entry.amount
    return Balance(**totals)


async def import_activities(
    uow: UnitOfWork,
    principal: Principal,
    data: bytes,
    publisher: Publisher,
    now: datetime,
    *,
    dry_run: bool = False,
) -> list[Row]:
    """Record a donor's IATI file: a row for each transaction, in the file's order."""
    if not may_record(principal):
        raise Forbidden(f"{principal.label} records nothing in the ledger.")
    transactions = iati_file.read(data)
    ledger = LedgerRepository(uow.session)
    ids = [found for t in transactions if (found := _uuid(t.ref)) is not None]
    recorded = await ledger.recorded({name for t in transactions for name in _names(t)}, ids)
    requests = await RequestProjection(uow.session).known(
        {r for t in transactions if (r := _request_or_none(t, publisher)) is not None}
    )
    work = _Import(uow, principal, publisher, now)
    seen: set[str] = set()
    rows: dict[int, Row] = {}
    for index, transaction in sorted(enumerate(transactions), key=lambda it: it[1].date):
        rows[index] = await _judge(work, transaction, seen, recorded, requests)
    answer = [rows[index] for index in sorted(rows)]
    refused = [row for row in answer if row.outcome is Outcome.REFUSED]
    if refused:
        first = refused[0]
        raise FileRefused(
            f"{len(refused)} of {len(answer)} transactions refused; nothing was recorded. "
            f"First: activity {first.activity!r}, transaction {first.ref!r} (line {first.line}): "
            f"{first.reason}",
            rule="transactions-refused",
            rows=[_jsonable(row) for row in answer],
        )
    for source in work.sources.values():
        if dry_run:
            source.events.clear()
        else:
            await SourceRepository(uow).save(source)
    return answer


async def _judge(
    work: _Import,
    transaction: ReadTransaction,
    seen: set[str],
    recorded: set[str],
    requests: dict[UUID, KnownRequest],
) -> Row:
    def row(outcome: Outcome, **more: Any) -> Row:
        return Row(transaction.activity, transaction.ref, transaction.line, outcome, **more)

    try:
        checked(transaction)
        if transaction.reference in seen:
            raise Unrecordable(
                "the file has this transaction ref twice in the activity",
                rule="repeated-transaction",
            )
        seen.add(transaction.reference)
        if recorded & _names(transaction):
            return row(Outcome.SKIPPED, reason="recorded already")
        kind = kind_of(transaction)
        request_id = request_named(transaction, work.publisher)
        if request_id not in requests:
            raise Unrecordable(f"no request {request_id} is known here", rule="unknown-request")
        entry_id = await work.record(transaction, kind, request_id)
    except DomainError as error:
        rule = error.rule or error.kind  # a source the caller may not manage: forbidden
        return row(Outcome.REFUSED, rule=rule, reason=str(error))
    return row(Outcome.RECORDED, entry_id=entry_id)


def _request_or_none(transaction: ReadTransaction, publisher: Publisher) -> UUID | None:
    return publisher.request_of(transaction.receiver_activity or transaction.activity)


def _names(transaction: ReadTransaction) -> set[str]:
    """What the ledger may know a transaction by: the reference an import of it keeps, the ref
    itself (a reference this ledger exported) and the entry id such a ref ends with."""
    found = _uuid(transaction.ref)
    names = {transaction.reference, transaction.ref or "", str(found) if found else ""}
    return names - {""}


def _uuid(text: str | None) -> UUID | None:
    """The entry id a ref this ledger exported carries (its last `/` part), if it is one."""
    if not text:
        return None
    try:
        return UUID(text.rsplit("/", 1)[-1])
    except ValueError:
        return None


def _jsonable(row: Row) -> dict[str, object]:
    return {
        "activity": row.activity,
        "ref": row.ref,
        "line": row.line,
        "outcome": row.outcome.value,
        "rule": row.rule,
        "reason": row.reason,
    }


def rows_of(rows: Sequence[Row]) -> dict[str, int]:
    """How many transactions each outcome counts."""
    return {outcome.value: sum(r.outcome is outcome for r in rows) for outcome in Outcome}
