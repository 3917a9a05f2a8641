"""The ledger as IATI 2.03 activities, and a donor's IATI transactions as ledger acts. Values and
mapping only, no I/O: `adapters/iati.py` writes and reads the XML.

One activity per request that has money in the ledger: its identifier is the publisher's
organisation identifier and the request id (`<ref>-<request id>`), its funders the sources' donors,
its transactions the ledger's original entries, each at what it stands at after its corrections.
Help in kind (a unit, not a currency) is no IATI value and is left out.

Transaction types (IATI's TransactionType codelist): a pledge is 12 (Outgoing Pledge), a
commitment 2 (Outgoing Commitment), a disbursement 3 (Disbursement). Every other type is one the
ledger cannot take.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

from services.inventory.domain.ledger import EntryKind, LedgerEntry
from shared.errors import Invalid
from shared.events.inventory import SourceKind

TRANSACTION_TYPES = {EntryKind.PLEDGED: "12", EntryKind.COMMITTED: "2", EntryKind.DISBURSED: "3"}
KINDS = {code: kind for kind, code in TRANSACTION_TYPES.items()}

ORGANISATION_TYPES = {
    SourceKind.DONOR_STATE: "10",  # Government
    SourceKind.BILATERAL_AGENCY: "10",
    SourceKind.INTERGOVERNMENTAL: "40",  # Multilateral
    SourceKind.DEVELOPMENT_BANK: "40",
    SourceKind.GLOBAL_FUND: "40",
    SourceKind.NGO: "21",  # International NGO
    SourceKind.PRIVATE_SECTOR: "70",  # Private Sector
}
"""IATI's OrganisationType code of each kind of source."""

GOVERNMENT = "10"
FUNDING, IMPLEMENTING = "1", "4"  # OrganisationRole codes

ACTIVITY_STATUS = {"funded": "2", "completed": "4", "withdrawn": "5", "expired": "5"}
"""IATI's ActivityStatus of a request's status: funded is under way (2 Implementation), completed
is 4 Closed, withdrawn and expired 5 Cancelled; any other status is 1 Pipeline/identification."""
PIPELINE = "1"

UUID_AT_END = re.compile(r"-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$")


@dataclass(frozen=True)
class Publisher:
    """Who reports the activities (the secretariat) and the organisation identifier of each donor:
    the one configured for it, else one minted under the publisher's own (`<ref>-<party>`)."""

    ref: str
    name: str
    type: str
    donor_refs: Mapping[str, str] = field(default_factory=dict)

    def donor_ref(self, party: str) -> str:
        return self.donor_refs.get(party) or f"{self.ref}-{party}"

    def party_of(self, ref: str) -> str | None:
        """The donor party an organisation identifier names, if it names one."""
        for party, known in self.donor_refs.items():
            if known == ref:
                return party
        prefix = f"{self.ref}-"
        return ref.removeprefix(prefix) if ref.startswith(prefix) and ref != prefix else None

    def activity_id(self, request_id: UUID) -> str:
        return f"{self.ref}-{request_id}"

    def request_of(self, identifier: str) -> UUID | None:
        """The request an activity identifier of this publisher names, if it names one."""
        found = UUID_AT_END.search(identifier)
        if found is None or identifier[: found.start()] != self.ref:
            return None
        return UUID(found.group(1))


@dataclass(frozen=True)
class Organisation:
    name: str
    ref: str | None = None
    type: str | None = None


@dataclass(frozen=True)
class Transaction:
    ref: str
    kind: EntryKind
    date: date
    value: Decimal
    currency: str
    provider: Organisation
    receiver: Organisation
    description: str | None = None

    @property
    def type_code(self) -> str:
        return TRANSACTION_TYPES[self.kind]


@dataclass(frozen=True)
class Sector:
    code: str  # OECD DAC CRS 5-digit purpose code (IATI sector vocabulary 1)
    percentage: Decimal


@dataclass(frozen=True)
class Budget:
    start: date
    end: date
    value: Decimal
    currency: str


@dataclass(frozen=True)
class Activity:
    identifier: str
    title: str
    description: str
    status: str
    country: str | None  # ISO 3166-1 alpha-2
    recipient: Organisation
    funders: tuple[Organisation, ...]
    sectors: tuple[Sector, ...]
    start: date
    end: date
    budget: Budget | None
    transactions: tuple[Transaction, ...]
    updated: datetime


def activity_status(request_status: str) -> str:
    return ACTIVITY_STATUS.get(request_status, PIPELINE)


def sector_shares(codes: list[str]) -> tuple[Sector, ...]:
    """Each distinct code an equal share of 100 %, to two decimals; the first takes the rest."""
    distinct = list(dict.fromkeys(codes))
    if not distinct:
        return ()
    share = (Decimal(100) / len(distinct)).quantize(Decimal("0.01"), rounding="ROUND_DOWN")
    first = Decimal(100) - share * (len(distinct) - 1)
    return tuple(Sector(code, first if i == 0 else share) for i, code in enumerate(distinct))


@dataclass(frozen=True)
class ReadTransaction:
    """A transaction as a donor's IATI file gives it, before the ledger judges it."""

    activity: str  # the iati-identifier of the activity it belongs to
    line: int  # where it starts in the file
    ref: str | None
    type_code: str
    date: date
    value: Decimal
    currency: str | None  # its own, else the activity's default
    provider_ref: str | None
    provider_name: str | None
    receiver_activity: str | None  # receiver-org/@receiver-activity-id
    description: str | None = None

    @property
    def reference(self) -> str:
        """What the ledger keeps to record the transaction once: activity and transaction ref."""
        return f"{self.activity}/{self.ref}"


class Outcome(StrEnum):
    RECORDED = "recorded"
    SKIPPED = "skipped"
    REFUSED = "refused"


@dataclass(frozen=True)
class Row:
    """What became of one transaction of the file."""

    activity: str
    ref: str | None
    line: int
    outcome: Outcome
    entry_id: UUID | None = None
    rule: str | None = None
    reason: str | None = None


class Unrecordable(Invalid):
    """A transaction the ledger cannot take as it is; `rule` names why."""


def kind_of(transaction: ReadTransaction) -> EntryKind:
    kind = KINDS.get(transaction.type_code)
    if kind is None:
        raise Unrecordable(
            f"transaction type {transaction.type_code!r} is none the ledger records: "
            "12 (pledge), 2 (commitment), 3 (disbursement)",
            rule="transaction-type",
        )
    return kind


def request_named(transaction: ReadTransaction, publisher: Publisher) -> UUID:
    """The request a transaction is for: the activity its receiver names, else its own."""
    named = transaction.receiver_activity or transaction.activity
    request_id = publisher.request_of(named)
    if request_id is None:
        raise Unrecordable(
            f"{named!r} names no request of {publisher.ref} "
            f"(expected {publisher.ref}-<request id>)",
            rule="unknown-request",
        )
    return request_id


def checked(transaction: ReadTransaction) -> ReadTransaction:
    """A transaction with what every ledger act needs: a ref, a positive value, a currency."""
    if not transaction.ref:
        raise Unrecordable(
            "a transaction needs a ref, so that importing it again records it once",
            rule="transaction-ref",
        )
    if transaction.value <= 0 or transaction.value != transaction.value.quantize(Decimal("0.01")):
        raise Unrecordable(
            f"value {transaction.value} is not a positive amount in whole cents", rule="value"
        )
    if transaction.currency is None:
        raise Unrecordable(
            "no currency: neither the value nor the activity names one", rule="currency"
        )
    return transaction


@dataclass(frozen=True)
class KnownRequest:
    """A request as the inventory last heard of it (its projection of the requests' events)."""

    request_id: UUID
    version: int
    state: str
    status: str
    convention: str
    areas: tuple[str, ...]
    title: str
    description: str
    amount: Decimal | None
    currency: str | None
    deadline: date
    created_at: datetime


@dataclass(frozen=True)
class Recipient:
    """The requesting state as IATI names it."""

    name: str
    iso2: str | None


def exported_ref(entry: LedgerEntry) -> str:
    """An entry's transaction ref: the reference it was imported with, else its own id."""
    return entry.reference or str(entry.id)


def standing(entries: Iterable[LedgerEntry]) -> list[tuple[LedgerEntry, Decimal]]:
    """Each original entry with what it stands at after its corrections, leaving out those
    corrected down to nothing."""
    entries = list(entries)
    corrected: dict[UUID, Decimal] = defaultdict(Decimal)
    for entry in entries:
        if entry.corrects is not None:
            corrected[entry.corrects] += entry.amount
    originals = [e for e in entries if e.corrects is None]
    return [(e, e.amount + corrected[e.id]) for e in originals if e.amount + corrected[e.id] > 0]


def activity_of(
    request: KnownRequest,
    entries: Iterable[LedgerEntry],
    providers: Mapping[UUID, Organisation],
    publisher: Publisher,
    sector_codes: list[str],
    recipient: Recipient,
) -> Activity:
    """The activity of one request: `entries` are its money entries, `providers` the
    organisation of each source they name."""
    entries = list(entries)
    receiver = Organisation(recipient.name, type=GOVERNMENT)
    transactions = tuple(
        Transaction(
            ref=exported_ref(entry),
            kind=entry.kind,
            date=entry.date,
            value=value,
            currency=entry.currency or "",
            provider=providers[entry.source_id],
            receiver=receiver,
            description=entry.note,
        )
        for entry, value in standing(entries)
    )
    funders = tuple(dict.fromkeys(t.provider for t in transactions))
    budget = None
    if request.amount is not None and request.currency is not None:
        budget = Budget(
            request.created_at.date(), request.deadline, request.amount, request.currency
        )
    return Activity(
        identifier=publisher.activity_id(request.request_id),
        title=request.title,
        description=request.description,
        status=activity_status(request.status),
        country=recipient.iso2,
        recipient=receiver,
        funders=funders,
        sectors=sector_shares(sector_codes),
        start=request.created_at.date(),
        end=request.deadline,
        budget=budget,
        transactions=transactions,
        updated=max([request.created_at, *(e.recorded_at for e in entries)]),
    )
