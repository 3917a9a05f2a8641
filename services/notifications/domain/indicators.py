"""Treaty indicators computed from what the service keeps: sources, ledger entries, requests and
the facts states report themselves. No I/O: plain records in, indicators out.

The indicators are those of the Oslo Action Plan on cooperation and assistance (actions 42 to 47
of the Mine Ban Convention), computed the same way for any convention that has them here (the
Mine Ban Convention and the Convention on Cluster Munitions), and for every convention the states
requesting assistance for each of its obligations. Each indicator says where its count comes from
(`Basis`); `docs/indicators.md` defines each one in terms of the system's data.

The Stockholm Convention's secretariat keeps a database of pending requests and the funding
needs by region (`pending_requests`, `needs_by_region`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

from shared.errors import Invalid
from shared.taxonomy import taxonomy


class InvalidPeriod(Invalid):
    kind = "invalid-period"


class NoIndicators(Invalid):
    kind = "no-indicators"


class UnknownConvention(Invalid):
    kind = "unknown-convention"


def known_convention(code: str, field: str = "query.convention") -> str:
    """The code of a convention of the shared taxonomy; else a problem naming the known ones."""
    if taxonomy().convention(code) is None:
        known = ", ".join(taxonomy().conventions)
        raise UnknownConvention(f"Unknown convention {code!r}; known: {known}.", field=field)
    return code


class Basis(StrEnum):
    """Where an indicator's count comes from."""

    SOURCES = "sources"
    LEDGER = "ledger"
    REQUESTS = "requests"
    STATE_REPORTS = "state-reports"


class Fact(StrEnum):
    """What a state reports of itself, for a convention, that no other record of the system
    shows."""

    NATIONAL_FINANCIAL_COMMITMENT = "national-financial-commitment"
    INNOVATIVE_FINANCING = "innovative-financing"
    NEEDS_INFORMATION = "needs-information"
    INDIVIDUALISED_APPROACH_FOLLOW_UP = "individualised-approach-follow-up"
    DIALOGUE_PLATFORM = "dialogue-platform"
    COORDINATING_SUPPORT = "coordinating-support"
    SHARING_PRACTICES = "sharing-practices"


@dataclass(frozen=True)
class Period:
    """From `start` to `end`, both days included."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise InvalidPeriod(
                f"The period ends ({self.end}) before it starts ({self.start}).", field="query.to"
            )

    def holds(self, day: date | None) -> bool:
        return day is not None and self.start <= day <= self.end

    def meets(self, opens: date, closes: date) -> bool:
        return opens <= self.end and closes >= self.start


DONOR_STATE = "donor-state"
SUPPORT_GIVEN = frozenset({"committed", "disbursed"})
SHARING_TYPES = frozenset({"technical", "expertise-and-training"})
NOT_REQUESTING = frozenset({"draft", "withdrawn"})
NOT_PENDING = frozenset({"draft", "funded", "completed", "withdrawn", "expired"})


@dataclass(frozen=True)
class SourceRecord:
    """A source as its newest event tells it."""

    source_id: UUID
    kind: str | None
    home_country: str | None
    supports: tuple[tuple[str, tuple[str, ...]], ...]  # (convention, areas; none: all areas)
    assistance_types: tuple[str, ...]
    windows: tuple[tuple[date, date], ...]  # (opens, closes)

    @property
    def state(self) -> str | None:
        """The state that gives through it: a donor state's source, by its home country."""
        return self.home_country if self.kind == DONOR_STATE else None

    def supports_convention(self, convention: str) -> bool:
        return any(c == convention for c, _ in self.supports)

    def names_area(self, convention: str, area: str) -> bool:
        """Says it supports `area`; a source supporting all areas names none of them."""
        return any(c == convention and area in areas for c, areas in self.supports)

    def open_during(self, period: Period) -> bool:
        return any(period.meets(opens, closes) for opens, closes in self.windows)


@dataclass(frozen=True)
class LedgerRecord:
    entry_id: UUID
    source_id: UUID
    request_id: UUID | None
    kind: str
    amount: Decimal
    currency: str | None
    day: date


@dataclass(frozen=True)
class RequestRecord:
    request_id: UUID
    state: str
    region: str | None
    status: str
    convention: str
    areas: tuple[str, ...]
    title: str
    amount: Decimal | None
    currency: str | None
    submitted_on: date | None  # its first submission, else its publication

    def requesting_during(self, convention: str, period: Period) -> bool:
        """Put to the system for `convention` in the period, and neither a draft nor
        withdrawn."""
        return (
            self.convention == convention
            and self.status not in NOT_REQUESTING
            and period.holds(self.submitted_on)
        )


@dataclass(frozen=True)
class StateReport:
    state: str
    convention: str
    fact: Fact
    reported_on: date


@dataclass(frozen=True)
class Records:
    """Everything an indicator report reads."""

    sources: Sequence[SourceRecord]
    ledger: Sequence[LedgerRecord]
    requests: Sequence[RequestRecord]
    reports: Sequence[StateReport]


@dataclass(frozen=True)
class Indicator:
    id: str
    action: str
    title: str
    definition: str
    basis: tuple[Basis, ...]
    states: tuple[str, ...]

    @property
    def count(self) -> int:
        return len(self.states)


@dataclass(frozen=True)
class SupportAreas:
    """A convention's areas that the support indicators break support down by."""

    clearance: str
    victim_assistance: str


SUPPORT_AREAS = {
    "APMBC": SupportAreas("mine-clearance", "victim-assistance"),
    "CCM": SupportAreas("survey-and-clearance", "victim-assistance"),
}
"""The conventions with the Oslo Action Plan's cooperation and assistance indicators."""


def _reporting(records: Records, convention: str, period: Period, fact: Fact) -> set[str]:
    return {
        r.state
        for r in records.reports
        if r.convention == convention and r.fact is fact and period.holds(r.reported_on)
    }


def _supporting(
    records: Records, convention: str, period: Period, area: str | None = None
) -> set[str]:
    """Donor states with a source for the convention (naming `area`) open in the period, or
    with support committed or disbursed in the period for the convention (and `area`)."""
    sources = {s.source_id: s for s in records.sources if s.state is not None}
    requests = {r.request_id: r for r in records.requests}

    def covers(source: SourceRecord) -> bool:
        if area is None:
            return source.supports_convention(convention)
        return source.names_area(convention, area)

    offered = {s.state for s in sources.values() if covers(s) and s.open_during(period)}
    given = set()
    for entry in records.ledger:
        source = sources.get(entry.source_id)
        if source is None or entry.kind not in SUPPORT_GIVEN or not period.holds(entry.day):
            continue
        if entry.request_id is None:
            counted = covers(source)
        else:  # a request the records do not hold is another convention's
            request = requests.get(entry.request_id)
            counted = (
                request is not None
                and request.convention == convention
                and (area is None or area in request.areas)
            )
        if counted:
            given.add(source.state)
    return {s for s in offered | given if s is not None}


def _requesting(records: Records, convention: str, period: Period, area: str) -> set[str]:
    return {
        r.state
        for r in records.requests
        if r.requesting_during(convention, period) and area in r.areas
    }


@dataclass(frozen=True)
class Spec:
    id: str
    action: str
    title: str
    definition: str
    basis: tuple[Basis, ...]
    states: Callable[[Records, str, Period, SupportAreas], set[str]]


def _fact(fact: Fact) -> Callable[[Records, str, Period, SupportAreas], set[str]]:
    return lambda records, convention, period, _: _reporting(records, convention, period, fact)


def _support(records: Records, convention: str, period: Period, _: SupportAreas) -> set[str]:
    return _supporting(records, convention, period)


def _needs_told(records: Records, convention: str, period: Period, _: SupportAreas) -> set[str]:
    requesting = {r.state for r in records.requests if r.requesting_during(convention, period)}
    return requesting | _reporting(records, convention, period, Fact.NEEDS_INFORMATION)


def _victims(records: Records, convention: str, period: Period, areas: SupportAreas) -> set[str]:
    return _supporting(records, convention, period, areas.victim_assistance)


def _clearance(records: Records, convention: str, period: Period, areas: SupportAreas) -> set[str]:
    return _supporting(records, convention, period, areas.clearance)


def _sharing(records: Records, convention: str, period: Period, _: SupportAreas) -> set[str]:
    offering = {
        s.state
        for s in records.sources
        if s.state is not None
        and s.supports_convention(convention)
        and s.open_during(period)
        and SHARING_TYPES & set(s.assistance_types)
        and "financial" not in s.assistance_types
    }
    return {s for s in offering if s is not None} | _reporting(
        records, convention, period, Fact.SHARING_PRACTICES
    )


_S, _L, _R, _F = Basis.SOURCES, Basis.LEDGER, Basis.REQUESTS, Basis.STATE_REPORTS

SPECS: tuple[Spec, ...] = (
    Spec(
        "42-national-commitment",
        "42",
        "States that report making national financial commitments to the implementation of"
        " their obligations",
        "States that reported a national financial commitment in the period.",
        (_F,),
        _fact(Fact.NATIONAL_FINANCIAL_COMMITMENT),
    ),
    Spec(
        "42-support",
        "42",
        "States that provide financial or other support to affected States Parties",
        "Home countries of donor-state sources that support the convention and have a window"
        " open in the period, and of donor-state sources with support committed or disbursed"
        " for the convention in the period.",
        (_S, _L),
        _support,
    ),
    Spec(
        "42-innovative-financing",
        "42",
        "States that explore alternative and/or innovative sources of financing",
        "States that reported exploring alternative or innovative financing in the period.",
        (_F,),
        _fact(Fact.INNOVATIVE_FINANCING),
    ),
    Spec(
        "43-needs-information",
        "43",
        "States requiring support that provide information on progress, challenges and"
        " requirements for assistance",
        "States that submitted a request for assistance under the convention in the period"
        " (neither a draft nor withdrawn), or reported giving that information in their"
        " Article 7 report or at a Convention meeting in the period.",
        (_R, _F),
        _needs_told,
    ),
    Spec(
        "43-individualised-approach",
        "43",
        "States that have taken advantage of the individualised approach and report having"
        " received follow-up and/or increased support",
        "States that reported, in the period, taking part in the individualised approach and"
        " receiving follow-up or increased support.",
        (_F,),
        _fact(Fact.INDIVIDUALISED_APPROACH_FOLLOW_UP),
    ),
    Spec(
        "44-dialogue-platform",
        "44",
        "States that have an in-country platform for dialogue among all stakeholders that meets"
        " on a regular basis",
        "States that reported, in the period, such a platform meeting regularly.",
        (_F,),
        _fact(Fact.DIALOGUE_PLATFORM),
    ),
    Spec(
        "44-support",
        "44",
        "States that report providing financial or other support to affected States Parties",
        "As 42-support: what a donor state records in the system is what it reports.",
        (_S, _L),
        _support,
    ),
    Spec(
        "45-victim-assistance",
        "45",
        "States that report providing support to victim assistance",
        "As 42-support, for victim assistance: donor-state sources that name the convention's"
        " victim-assistance area (a source supporting all areas names none), or support"
        " committed or disbursed for a request in that area.",
        (_S, _L),
        _victims,
    ),
    Spec(
        "45-clearance",
        "45",
        "States that report providing support to mine clearance activities",
        "As 45-victim-assistance, for the convention's clearance area.",
        (_S, _L),
        _clearance,
    ),
    Spec(
        "46-coordinating-support",
        "46",
        "States that report coordinating their support for the effective implementation of"
        " the Convention",
        "States that reported, in the period, coordinating their support.",
        (_F,),
        _fact(Fact.COORDINATING_SUPPORT),
    ),
    Spec(
        "47-sharing-practices",
        "47",
        "States that report sharing best practices and lessons learnt through international,"
        " regional, South-to-South and/or bilateral cooperation",
        "Home countries of donor-state sources for the convention, open in the period, that"
        " offer technical help or expertise and training and no money (the South-South"
        " sources), and states that reported sharing practices in the period.",
        (_S, _F),
        _sharing,
    ),
)


def _obligations(records: Records, convention: str, period: Period) -> list[Indicator]:
    known = taxonomy().convention(convention)
    return [
        Indicator(
            f"requests-{area}",
            "requests",
            f"States requesting assistance for {name}",
            "States that submitted a request for assistance in this area in the period"
            " (neither a draft nor withdrawn).",
            (_R,),
            tuple(sorted(_requesting(records, convention, period, area))),
        )
        for area, name in (known.areas.items() if known else ())
    ]


def indicators(convention: str, period: Period, records: Records) -> list[Indicator]:
    """The convention's indicators over the period, each with its states in code order."""
    areas = SUPPORT_AREAS.get(convention)
    if areas is None:
        raise NoIndicators(
            f"No indicators for {convention}; those of {', '.join(SUPPORT_AREAS)} are kept.",
            field="query.convention",
        )
    computed = [
        Indicator(
            s.id,
            s.action,
            s.title,
            s.definition,
            s.basis,
            tuple(sorted(s.states(records, convention, period, areas))),
        )
        for s in SPECS
    ]
    return computed + _obligations(records, convention, period)


# --- the Stockholm Convention's database of pending requests ---------------------------------


@dataclass(frozen=True)
class PendingRequest:
    request: RequestRecord
    committed: Decimal  # in the request's currency

    @property
    def outstanding(self) -> Decimal | None:
        if self.request.amount is None:
            return None
        return max(self.request.amount - self.committed, Decimal(0))


@dataclass(frozen=True)
class RegionNeeds:
    region: str | None  # None: the global tier, no regional centre
    currency: str | None  # None: requests asking no money
    requests: int
    states: tuple[str, ...]
    requested: Decimal
    committed: Decimal
    outstanding: Decimal


def pending_requests(convention: str, period: Period, records: Records) -> list[PendingRequest]:
    """The convention's requests submitted in the period and not yet funded, closed or
    withdrawn, each with what is committed to it in its currency by the period's end (the
    records' ledger entries up to then), oldest first."""
    committed: dict[UUID, Decimal] = {}
    currencies = {r.request_id: r.currency for r in records.requests}
    for entry in records.ledger:
        request_id = entry.request_id
        in_its_currency = request_id is not None and entry.currency == currencies.get(request_id)
        if entry.kind == "committed" and request_id is not None and in_its_currency:
            committed[request_id] = committed.get(request_id, Decimal(0)) + entry.amount
    pending = [
        r
        for r in records.requests
        if r.convention == convention
        and r.status not in NOT_PENDING
        and period.holds(r.submitted_on)
    ]
    pending.sort(key=lambda r: (r.submitted_on or period.start, str(r.request_id)))
    return [PendingRequest(r, committed.get(r.request_id, Decimal(0))) for r in pending]


def needs_by_region(pending: Iterable[PendingRequest]) -> list[RegionNeeds]:
    """The pending requests summed by regional centre and currency."""
    groups: dict[tuple[str, str], list[PendingRequest]] = {}
    for p in pending:
        groups.setdefault((p.request.region or "", p.request.currency or ""), []).append(p)
    return [
        RegionNeeds(
            region or None,
            currency or None,
            len(members),
            tuple(sorted({p.request.state for p in members})),
            sum((p.request.amount or Decimal(0) for p in members), Decimal(0)),
            sum((p.committed for p in members), Decimal(0)),
            sum((p.outstanding or Decimal(0) for p in members), Decimal(0)),
        )
        for (region, currency), members in sorted(groups.items())
    ]
