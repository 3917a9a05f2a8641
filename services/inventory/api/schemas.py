"""What the inventory API accepts and answers, with the limits that keep input sane."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from datetime import date as day_type
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

import pycountry
from fastapi import Query
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from services.inventory.adapters.ledger_repository import BalanceLine
from services.inventory.adapters.search import EligibleState, SourceFilter, WindowFilter
from services.inventory.domain.ledger import LedgerEntry, Reservation
from services.inventory.domain.model import (
    Profile,
    Requirements,
    Source,
    Support,
    Window,
    WindowTerms,
)
from shared.eligibility import CheckedEligibility, Eligibility
from shared.events.inventory import SourceKind, SourceStatus, WindowKind
from shared.geography import RegionalNetwork
from shared.http import Problem
from shared.languages import ENGLISH, Names
from shared.schemas import (
    MAX_AMOUNT,
    Amount,
    AssistanceTypes,
    ContactIn,
    ConventionCode,
    Currency,
    MoneyIn,
    QuantityValue,
    StateCode,
    Strict,
    Unit,
    areas_of,
    known_assistance_types,
    known_convention,
    known_currency,
    known_state,
)
from shared.taxonomy import MAX_QUANTITY, taxonomy
from shared.values import Contact, Money, Quantity, attributes

DONOR_ID = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
Note = Annotated[str | None, Field(max_length=2000)]


def known_language(code: str) -> str:
    if pycountry.languages.get(alpha_2=code) is None:
        raise ValueError(f"{code} is not an ISO 639-1 language")
    return code


Language = Annotated[
    str, Field(pattern=r"^[a-z]{2}$", examples=["fr"]), AfterValidator(known_language)
]


class SupportIn(Strict):
    convention: ConventionCode
    areas: list[str] = Field(
        default_factory=list,
        max_length=20,
        description="Thematic areas of the convention; empty: every area.",
    )

    @field_validator("areas")
    @classmethod
    def _areas_of_the_convention(cls, areas: list[str], info: ValidationInfo) -> list[str]:
        return areas_of(info.data.get("convention"), areas)


class RequirementsIn(Strict):
    """Conditions of access; the first two are structured so that a search can check them."""

    cofinancing_percent: Decimal | None = Field(
        None, ge=0, le=100, decimal_places=2, description="Share of the cost the recipient brings."
    )
    proposal_languages: list[Language] = Field(
        default_factory=list, max_length=10, description="Languages proposals may use; empty: any."
    )
    documents: list[Annotated[str, Field(min_length=1, max_length=300)]] = Field(
        default_factory=list, max_length=20, examples=[["National implementation plan"]]
    )
    notes: str | None = Field(None, max_length=5000)


class WindowIn(Strict):
    """Money in a currency, or help in kind counted in a unit (expert-days, training places,
    equipment items, service units): one of the two per window."""

    id: UUID | None = Field(None, description="An existing window's id; none for a new window.")
    opens: date
    closes: date
    kind: WindowKind | None = Field(None, description="money or in-kind; none: as given below")
    currency: Currency | None = Field(None, description="Money: ISO 4217. None for help in kind.")
    unit: Unit | None = Field(None, description="Help in kind: a unit of the taxonomy.")
    capacity: Amount = Field(description="In the currency, or in the unit (at most a million).")


SOURCE_EXAMPLE: dict[str, Any] = {
    "kind": "donor-state",
    "name": "Norway: mine action",
    "donor": "norway",
    "home_country": "NOR",
    "supports": [{"convention": "APMBC", "areas": ["mine-clearance", "victim-assistance"]}],
    "assistance_types": ["financial"],
    "eligibility": {"rule": "all"},
    "regional_focus": [],
    "windows": [
        {
            "opens": "2025-01-01",
            "closes": "2029-12-31",
            "currency": "USD",
            "capacity": "45000000.00",
        }
    ],
    "max_grant": "2000000.00",
    "requirements": {"documents": ["Article 7 transparency report"]},
    "contact": {"name": "Mine action desk", "email": "mine.action@example.org"},
}


class SourceIn(Strict):
    """A source as its editor states it; the whole of it, on creation and on every update."""

    model_config = ConfigDict(
        **Strict.model_config, json_schema_extra={"examples": [SOURCE_EXAMPLE]}
    )

    kind: SourceKind
    name: str = Field(min_length=2, max_length=300, examples=["Global Environment Facility"])
    description: str = Field("", max_length=10_000)
    donor: str | None = Field(
        None, pattern=DONOR_ID, description="The donor principal that manages it."
    )
    home_country: StateCode | None = None
    supports: list[SupportIn] = Field(min_length=1, max_length=10)
    assistance_types: AssistanceTypes
    eligibility: CheckedEligibility = Field(default_factory=CheckedEligibility)
    regional_focus: list[str] = Field(
        default_factory=list, max_length=40, description="Regional centre ids; empty: worldwide."
    )
    windows: list[WindowIn] = Field(default_factory=list, max_length=50)
    min_grant: Amount | None = None
    max_grant: Amount | None = None
    requirements: RequirementsIn = Field(default_factory=RequirementsIn)
    contact: ContactIn

    @field_validator("supports")
    @classmethod
    def _one_entry_per_convention(cls, supports: list[SupportIn]) -> list[SupportIn]:
        conventions = [s.convention for s in supports]
        if len(conventions) != len(set(conventions)):
            raise ValueError("list each convention once")
        return supports

    def profile(self, donor: str | None) -> Profile:
        r = self.requirements
        return Profile(
            kind=self.kind,
            name=self.name,
            description=self.description,
            donor=donor,
            home_country=self.home_country,
            supports=tuple(
                Support(s.convention, tuple(dict.fromkeys(s.areas))) for s in self.supports
            ),
            assistance_types=tuple(dict.fromkeys(self.assistance_types)),
            eligibility=self.eligibility,
            regional_focus=tuple(dict.fromkeys(self.regional_focus)),
            min_grant=self.min_grant,
            max_grant=self.max_grant,
            requirements=Requirements(
                r.cofinancing_percent, tuple(r.proposal_languages), tuple(r.documents), r.notes
            ),
            contact=Contact(**self.contact.model_dump()),
        )

    def window_terms(self) -> list[WindowTerms]:
        return [
            WindowTerms(w.opens, w.closes, w.currency, w.capacity, w.id, w.unit, w.kind)
            for w in self.windows
        ]


def _not_zero(value: Decimal) -> Decimal:
    if value == 0:
        raise ValueError("a correction of zero changes nothing")
    return value


def _difference(limit: Decimal, example: str) -> Any:
    """A correction's difference: signed, within `limit` either way, never zero."""
    return Annotated[
        Decimal,
        Field(
            ge=-limit,
            le=limit,
            decimal_places=2,
            examples=[example],
            description="The difference to make: negative to reduce the entry.",
        ),
        AfterValidator(_not_zero),
    ]


class SignedMoneyIn(Strict):
    value: _difference(MAX_AMOUNT, "-25000.00")  # type: ignore[valid-type]
    currency: Currency


class QuantityIn(Strict):
    """So many of an in-kind unit, e.g. `{"value": "60", "unit": "expert-days"}`."""

    value: QuantityValue
    unit: Unit


class SignedQuantityIn(Strict):
    value: _difference(MAX_QUANTITY, "-5")  # type: ignore[valid-type]
    unit: Unit


class MoneyOrInKind(Strict):
    """An act or a correction in money (its `amount`) or in kind (its `quantity`): one of the
    two, never both, as the subclasses declare them."""

    @model_validator(mode="after")
    def _one_of_the_two(self) -> MoneyOrInKind:
        amount, quantity = self._given()
        if (amount is None) == (quantity is None):
            raise ValueError(
                "give `amount` (money, on a money window) or `quantity` (help in kind, in the "
                "window's unit): one of the two"
            )
        return self

    def measured(self) -> Money | Quantity:
        amount, quantity = self._given()
        if amount is not None:
            return Money(amount.value, amount.currency)
        return Quantity(quantity.value, quantity.unit)

    def _given(self) -> tuple[Any, Any]:
        return getattr(self, "amount", None), getattr(self, "quantity", None)


class ActIn(MoneyOrInKind):
    """A pledge, commitment or disbursement on one window, for one request or none."""

    model_config = ConfigDict(
        **Strict.model_config,
        json_schema_extra={
            "examples": [
                {
                    "window_id": "0a9352fc-60fe-4058-aaec-39566d6eff71",
                    "request_id": "8a3b4c38-7d42-4d5b-9f27-3c1a3d0b5f6e",
                    "amount": {"value": "250000.00", "currency": "USD"},
                    "date": "2026-03-02",
                    "note": "Agreement signed with the national mine action authority",
                }
            ]
        },
    )

    window_id: UUID
    request_id: UUID | None = Field(None, description="The assistance request it is for.")
    amount: MoneyIn | None = Field(None, description="Money, on a money window.")
    quantity: QuantityIn | None = Field(
        None, description="Help in kind, in the unit of a window of help in kind."
    )
    date: day_type = Field(description="The day of the act (not of its recording).")
    note: Note = None


class CorrectionIn(MoneyOrInKind):
    model_config = ConfigDict(
        **Strict.model_config,
        json_schema_extra={
            "examples": [
                {
                    "amount": {"value": "-50000.00", "currency": "USD"},
                    "date": "2026-03-10",
                    "reason": "The agreement was amended to the lower amount",
                }
            ]
        },
    )

    amount: SignedMoneyIn | None = Field(None, description="For an entry of money.")
    quantity: SignedQuantityIn | None = Field(None, description="For an entry of help in kind.")
    date: day_type
    reason: str = Field(min_length=1, max_length=2000)


class ConversionIn(Strict):
    date: day_type = Field(description="The day the donor committed the reserved amount.")
    note: Note = None


class WindowOut(BaseModel):
    id: UUID
    opens: date
    closes: date
    kind: WindowKind = Field(description="money, or help in kind")
    currency: str | None = Field(description="Money: its currency. None for help in kind.")
    unit: str | None = Field(description="Help in kind: its unit; the figures count in it.")
    capacity: Decimal
    pledged: Decimal
    committed: Decimal
    reserved: Decimal
    disbursed: Decimal
    available: Decimal

    @classmethod
    def of(cls, w: Window) -> WindowOut:
        return cls(
            id=w.id,
            opens=w.opens,
            closes=w.closes,
            kind=w.kind,
            currency=w.currency,
            unit=w.unit,
            capacity=w.capacity,
            pledged=w.pledged,
            committed=w.committed,
            reserved=w.reserved,
            disbursed=w.disbursed,
            available=w.available,
        )


class SourceOut(BaseModel):
    id: UUID
    version: int
    status: str
    kind: str
    name: str
    description: str
    donor: str | None
    home_country: str | None
    home_country_name: str | None = Field(description="Its name, in the language asked for.")
    supports: list[SupportIn]
    convention_names: list[str] = Field(description="The name of each supported convention.")
    assistance_types: list[str]
    assistance_type_names: list[str]
    eligibility: Eligibility
    regional_focus: list[str]
    windows: list[WindowOut]
    min_grant: Decimal | None
    max_grant: Decimal | None
    requirements: RequirementsIn
    contact: ContactIn
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, source: Source, names: Names = ENGLISH) -> SourceOut:
        p, r = source.profile, source.profile.requirements
        return cls(
            home_country_name=names.state(p.home_country),
            convention_names=[names.convention(s.convention) for s in p.supports],
            assistance_type_names=names.assistance_types(list(p.assistance_types)),
            id=source.id,
            version=source.version,
            status=source.status.value,
            kind=p.kind.value,
            name=p.name,
            description=p.description,
            donor=p.donor,
            home_country=p.home_country,
            supports=[
                SupportIn.model_construct(convention=s.convention, areas=list(s.areas))
                for s in p.supports
            ],
            assistance_types=list(p.assistance_types),
            eligibility=p.eligibility,
            regional_focus=list(p.regional_focus),
            windows=[WindowOut.of(w) for w in source.windows],
            min_grant=p.min_grant,
            max_grant=p.max_grant,
            requirements=RequirementsIn.model_construct(
                cofinancing_percent=r.cofinancing_percent,
                proposal_languages=list(r.proposal_languages),
                documents=list(r.documents),
                notes=r.notes,
            ),
            contact=ContactIn.model_construct(**p.contact.__dict__),
            created_at=source.created_at,
            updated_at=source.updated_at,
        )


class SourcePage(BaseModel):
    items: list[SourceOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; none: last.")


class SourceLine(BaseModel):
    """A source as one line of a spreadsheet (`GET /v1/sources?format=csv`); its windows and
    their figures are in `GET /v1/reports/capacity`."""

    source_id: UUID
    name: str
    source_kind: str
    status: str
    donor: str | None
    home_country: str | None
    home_country_name: str | None
    conventions: list[str]
    convention_names: list[str]
    areas: list[str] = Field(description="convention/area, e.g. CCM/victim-assistance")
    area_names: list[str]
    assistance_types: list[str]
    assistance_type_names: list[str]
    eligibility: str
    eligible_states: list[str]
    regional_focus: list[str]
    min_grant: Decimal | None
    max_grant: Decimal | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, out: SourceOut, names: Names) -> SourceLine:
        pairs = [(s.convention, a) for s in out.supports for a in s.areas]
        return cls(
            **out.model_dump(include=set(cls.model_fields) - {"eligibility"}),
            source_id=out.id,
            source_kind=out.kind,
            conventions=[s.convention for s in out.supports],
            areas=[f"{c}/{a}" for c, a in pairs],
            area_names=[names.area(c, a) for c, a in pairs],
            eligibility=out.eligibility.rule.value,
            eligible_states=out.eligibility.states,
        )


class VersionOut(BaseModel):
    version: int
    change: str
    actor: str
    at: datetime
    document: dict[str, Any] = Field(description="The source's profile, windows and status.")


class EntryOut(BaseModel):
    id: UUID
    kind: str
    source_id: UUID
    window_id: UUID
    request_id: UUID | None
    amount: Decimal = Field(description="Money in `currency`, or a quantity of `unit`.")
    currency: str | None = Field(description="Money: ISO 4217; None for help in kind.")
    unit: str | None = Field(description="Help in kind: the taxonomy unit; None for money.")
    date: day_type
    actor: str
    recorded_at: datetime
    note: str | None
    corrects: UUID | None
    reservation_id: UUID | None

    @classmethod
    def of(cls, e: LedgerEntry) -> EntryOut:
        return cls(**attributes(e, cls.model_fields))


class EntryLine(BaseModel):
    """A ledger entry as one line of a spreadsheet (`GET /v1/ledger/entries?format=csv`)."""

    entry_id: UUID
    entry_kind: str
    source_id: UUID
    window_id: UUID
    request_id: UUID | None
    amount: Decimal
    currency: str | None
    unit: str | None
    date: day_type
    actor: str
    recorded_at: datetime
    note: str | None
    corrects: UUID | None
    reservation_id: UUID | None

    @classmethod
    def of(cls, out: EntryOut) -> EntryLine:
        return cls(
            **out.model_dump(include=set(cls.model_fields)), entry_id=out.id, entry_kind=out.kind
        )


class EntryPage(BaseModel):
    items: list[EntryOut]
    next_cursor: str | None


class BalanceOut(BaseModel):
    source_id: UUID
    window_id: UUID
    request_id: UUID | None
    currency: str | None = Field(description="Money: ISO 4217; None for help in kind.")
    unit: str | None = Field(description="Help in kind: the taxonomy unit; None for money.")
    pledged: Decimal
    committed: Decimal
    reserved: Decimal
    disbursed: Decimal
    undisbursed: Decimal = Field(description="Committed but not yet disbursed.")

    @classmethod
    def of(cls, line: BalanceLine) -> BalanceOut:
        return cls(**line.__dict__, undisbursed=line.committed - line.disbursed)


class ReservationOut(BaseModel):
    id: UUID
    match_id: UUID
    request_id: UUID
    state: str
    source_id: UUID
    window_id: UUID | None
    amount: Decimal
    currency: str | None
    unit: str | None = Field(description="Help in kind: the taxonomy unit; None for money.")
    status: str
    reason: str | None
    detail: str | None
    accepted_by: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, r: Reservation) -> ReservationOut:
        return cls(**attributes(r, cls.model_fields))


class SourceLedgerOut(BaseModel):
    source_id: UUID
    windows: list[WindowOut]
    balances: list[BalanceOut] = Field(description="Per window and request.")


class RequestLedgerOut(BaseModel):
    request_id: UUID
    convention: str | None = Field(
        description="The request's convention as the inventory last heard of it; None until "
        "the first event of the request reaches it."
    )
    title: str | None = Field(description="The request's title, likewise.")
    balances: list[BalanceOut] = Field(description="Per source window.")
    reservations: list[ReservationOut]


@dataclass
class SearchParams:
    """The questions a requesting state asks of the inventory, as query parameters."""

    convention: Annotated[str | None, Query(examples=["CCM"])] = None
    area: Annotated[
        str | None, Query(description="A thematic area; with no convention, of any convention.")
    ] = None
    assistance_type: str | None = None
    kind: SourceKind | None = None
    donor: str | None = None
    region: Annotated[str | None, Query(description="Focused on this regional centre.")] = None
    eligible_for: Annotated[
        str | None, Query(description="ISO 3166-1 alpha-3: may assist this state.")
    ] = None
    open_now: Annotated[bool, Query(description="A window is open today.")] = False
    open_before: Annotated[
        date | None, Query(description="A window open on some day up to this one (a deadline).")
    ] = None
    currency: Annotated[str | None, Query(description="A window in this currency.")] = None
    unit: Annotated[
        str | None, Query(description="A window of help in kind in this unit (expert-days, ...).")
    ] = None
    amount: Annotated[
        Decimal | None,
        Query(gt=0, description="With currency: this much available and within grant limits."),
    ] = None
    max_cofinancing: Annotated[
        Decimal | None, Query(ge=0, le=100, description="Asks at most this share (percent).")
    ] = None
    language: Annotated[str | None, Query(description="Takes proposals in this language.")] = None
    status: Annotated[
        list[SourceStatus] | None, Query(description="Repeatable; active sources by default.")
    ] = None

    def filter(self, network: RegionalNetwork, today: date) -> SourceFilter:
        """The filter these parameters describe; a 422 problem naming the parameter if invalid."""
        _check("convention", self.convention, known_convention)
        _check("assistance_type", self.assistance_type, lambda t: known_assistance_types([t]))
        _check("eligible_for", self.eligible_for, known_state)
        _check("currency", self.currency, known_currency)
        _check("unit", self.unit, taxonomy().known_unit)
        _check("language", self.language, known_language)
        _check("region", self.region, lambda c: _known_centre(c, network))
        statuses = self.status or [SourceStatus.ACTIVE]
        return SourceFilter(
            statuses=frozenset(s.value for s in statuses),
            kind=self.kind.value if self.kind else None,
            donor=self.donor,
            convention=self.convention,
            area_keys=self._area_keys(),
            assistance_type=self.assistance_type,
            region=self.region,
            eligible=EligibleState.of(self.eligible_for, network) if self.eligible_for else None,
            window=self._window(today),
            grant=self.amount,
            max_cofinancing=self.max_cofinancing,
            language=self.language,
        )

    def _area_keys(self) -> frozenset[str] | None:
        if self.area is None:
            return None
        conventions = [self.convention] if self.convention else list(taxonomy().conventions)
        having = [c for c in conventions if self.area in taxonomy().conventions[c].areas]
        if not having:
            raise _invalid(
                "area", f"{self.area} is not a thematic area of {' or '.join(conventions)}"
            )
        return frozenset(f"{c}/{a}" for c in having for a in (self.area, "*"))

    def _window(self, today: date) -> WindowFilter | None:
        if self.amount is not None and self.currency is None:
            raise _invalid("currency", "an amount needs its currency")
        if self.unit is not None and self.currency is not None:
            raise _invalid("unit", "a window offers money or help in kind: ask for one of them")
        if self.open_before is not None and self.open_before < today:
            raise _invalid("open_before", f"{self.open_before} has passed")
        open_until = today if self.open_now else self.open_before
        if open_until is None and self.currency is None and self.unit is None:
            return None
        return WindowFilter(today, open_until, self.currency, self.amount, self.unit)


def _known_centre(centre: str, network: RegionalNetwork) -> str:
    if centre not in network.centres:
        raise ValueError(f"unknown regional centre {centre!r}; known: {', '.join(network.ids)}")
    return centre


def _check(name: str, value: str | None, validate: Callable[[str], object]) -> None:
    if value is None:
        return
    try:
        validate(value)
    except ValueError as error:
        raise _invalid(name, str(error)) from error


def _invalid(name: str, message: str) -> Problem:
    return Problem(422, "Invalid request", message, kind="validation", field=f"query.{name}")
