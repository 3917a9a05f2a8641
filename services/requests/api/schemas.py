"""What the requests API accepts and answers, with the limits that keep input sane."""

from __future__ import annotations

from datetime import date, datetime
from datetime import date as day_type
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from pydantic import BaseModel, Field, ValidationInfo, field_validator

from services.requests.domain.lifecycle import Transition
from services.requests.domain.model import (
    AssistanceRequest,
    Evidence,
    InKind,
    Need,
    Urgency,
)
from shared.languages import ENGLISH, Names
from shared.schemas import (
    AssistanceTypes,
    ContactIn,
    ConventionCode,
    MoneyIn,
    QuantityValue,
    StateCode,
    Strict,
    Unit,
    areas_of,
)
from shared.values import Contact, Money

Text = Annotated[str, Field(min_length=1, max_length=2000)]


class EvidenceIn(Strict):
    kind: str = Field(min_length=1, max_length=40, examples=["survey"])
    description: Text
    reference: str | None = Field(None, max_length=500, description="A link or document symbol.")
    date: day_type | None = None


class InKindIn(Strict):
    """One need in kind: so many of a unit, and what exactly (the expertise, the course, the
    equipment, the service)."""

    unit: Unit
    quantity: QuantityValue
    description: Text

    def to_in_kind(self) -> InKind:
        return InKind(self.unit, self.quantity, self.description)


class InKindOut(BaseModel):
    unit: str
    quantity: Decimal
    description: str


class NeedIn(Strict):
    """What the state asks for: the fields it may amend while the request is a draft."""

    convention: ConventionCode
    areas: list[str] = Field(min_length=1, max_length=20, examples=[["survey-and-clearance"]])
    assistance_types: AssistanceTypes
    title: str = Field(min_length=3, max_length=300)
    description: str = Field(min_length=1, max_length=10_000)
    evidence: list[EvidenceIn] = Field(default_factory=list, max_length=50)
    amount: MoneyIn | None = Field(None, description="Money asked; none: no money.")
    in_kind: list[InKindIn] = Field(
        default_factory=list, max_length=20, description="Help asked in kind, one need per unit."
    )
    deadline: date = Field(description="The date that matters, e.g. a treaty deadline.")
    deadline_reason: str | None = Field(None, max_length=300)
    urgency: Urgency = Urgency.MEDIUM
    contact: ContactIn

    @field_validator("areas")
    @classmethod
    def _areas_of_the_convention(cls, areas: list[str], info: ValidationInfo) -> list[str]:
        return areas_of(info.data.get("convention"), areas)

    @field_validator("deadline")
    @classmethod
    def _deadline_ahead(cls, deadline: date) -> date:
        if deadline <= date.today():
            raise ValueError("the deadline must be in the future")
        return deadline

    def to_need(self) -> Need:
        return Need(
            convention=self.convention,
            areas=tuple(dict.fromkeys(self.areas)),
            assistance_types=tuple(dict.fromkeys(self.assistance_types)),
            title=self.title,
            description=self.description,
            evidence=tuple(Evidence(**e.model_dump()) for e in self.evidence),
            amount=Money(self.amount.value, self.amount.currency) if self.amount else None,
            in_kind=tuple(n.to_in_kind() for n in self.in_kind),
            deadline=self.deadline,
            deadline_reason=self.deadline_reason,
            urgency=self.urgency,
            contact=Contact(**self.contact.model_dump()),
        )


class NewRequest(NeedIn):
    state: StateCode


class ReasonIn(Strict):
    reason: str | None = Field(None, max_length=2000)


class ReturnIn(Strict):
    reason: Text


class MoneyOut(BaseModel):
    value: Decimal
    currency: str


class RequestOut(BaseModel):
    id: UUID
    state: str
    state_name: str = Field(description="The state's name, in the language asked for.")
    regional_centre: str | None
    status: str
    version: int
    convention: str
    convention_name: str
    areas: list[str]
    area_names: list[str]
    assistance_types: list[str]
    assistance_type_names: list[str]
    title: str
    description: str
    evidence: list[EvidenceIn]
    amount: MoneyOut | None
    in_kind: list[InKindOut]
    deadline: date
    deadline_reason: str | None
    urgency: str
    contact: ContactIn
    matched_amount: Decimal
    reserved_amount: Decimal
    matched_in_kind: dict[str, Decimal] = Field(
        description="What accepted proposals cover of each in-kind need, by unit."
    )
    reserved_in_kind: dict[str, Decimal] = Field(
        description="What the inventory holds for each in-kind need, by unit."
    )
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, request: AssistanceRequest, names: Names = ENGLISH) -> RequestOut:
        need = request.need
        return cls(
            **request.plain_fields(),
            id=request.id,
            state_name=names.state(request.state) or request.state,
            convention_name=names.convention(need.convention),
            area_names=names.areas(need.convention, list(need.areas)),
            assistance_type_names=names.assistance_types(list(need.assistance_types)),
            evidence=[EvidenceIn.model_construct(**e.__dict__) for e in need.evidence],
            amount=MoneyOut(value=need.amount.value, currency=need.amount.currency)
            if need.amount
            else None,
            in_kind=[InKindOut(**n.__dict__) for n in need.in_kind],
            contact=ContactIn.model_construct(**need.contact.__dict__),
            matched_amount=request.matched_amount,
            reserved_amount=request.reserved_amount,
            matched_in_kind=request.matched_in_kind,
            reserved_in_kind=request.reserved_in_kind,
            updated_at=request.updated_at,
        )


class RequestPage(BaseModel):
    items: list[RequestOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; none: last.")


class RequestLine(BaseModel):
    """A request as one line of a spreadsheet (`GET /v1/requests?format=csv`)."""

    request_id: UUID
    state: str
    state_name: str
    regional_centre: str | None
    status: str
    convention: str
    convention_name: str
    areas: list[str]
    area_names: list[str]
    assistance_types: list[str]
    assistance_type_names: list[str]
    title: str
    requested: Decimal | None
    currency: str | None
    in_kind: list[str] = Field(description="e.g. 120 expert-days")
    deadline: date
    urgency: str
    matched_amount: Decimal
    reserved_amount: Decimal
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, out: RequestOut) -> RequestLine:
        return cls(
            **out.model_dump(include=set(cls.model_fields) - {"in_kind"}),
            request_id=out.id,
            requested=out.amount.value if out.amount else None,
            currency=out.amount.currency if out.amount else None,
            in_kind=[f"{n.quantity} {n.unit}" for n in out.in_kind],
        )


class TransitionOut(BaseModel):
    action: str
    from_status: str | None
    to_status: str
    actor: str
    at: datetime
    reason: str | None

    @classmethod
    def of(cls, t: Transition[Any]) -> TransitionOut:
        return cls(**t.plain_fields())
