"""What the requests API accepts and answers, with the limits that keep input sane."""

from __future__ import annotations

from datetime import date, datetime
from datetime import date as day_type
from decimal import Decimal
from typing import Annotated
from uuid import UUID

import pycountry
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from services.requests.domain import (
    AssistanceRequest,
    Contact,
    Evidence,
    Money,
    Need,
    Transition,
    Urgency,
)
from shared.geography import countries
from shared.taxonomy import taxonomy

Text = Annotated[str, Field(min_length=1, max_length=2000)]
MAX_AMOUNT = Decimal("1000000000000")  # a trillion: anything above is a typo


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class MoneyIn(Strict):
    value: Decimal = Field(gt=0, le=MAX_AMOUNT, decimal_places=2, examples=["1500000.00"])
    currency: str = Field(pattern=r"^[A-Z]{3}$", examples=["USD"], description="ISO 4217")

    @field_validator("currency")
    @classmethod
    def _known_currency(cls, currency: str) -> str:
        if pycountry.currencies.get(alpha_3=currency) is None:
            raise ValueError(f"{currency} is not an ISO 4217 currency")
        return currency


class EvidenceIn(Strict):
    kind: str = Field(min_length=1, max_length=40, examples=["survey"])
    description: Text
    reference: str | None = Field(None, max_length=500, description="A link or document symbol.")
    date: day_type | None = None


class ContactIn(Strict):
    name: str = Field(min_length=1, max_length=200)
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)
    phone: str | None = Field(None, max_length=40)
    organisation: str | None = Field(None, max_length=200)


class NeedIn(Strict):
    """What the state asks for: the fields it may amend while the request is a draft."""

    convention: str = Field(examples=["CCM"])
    areas: list[str] = Field(min_length=1, max_length=20, examples=[["survey-and-clearance"]])
    assistance_types: list[str] = Field(min_length=1, max_length=4, examples=[["financial"]])
    title: str = Field(min_length=3, max_length=300)
    description: str = Field(min_length=1, max_length=10_000)
    evidence: list[EvidenceIn] = Field(default_factory=list, max_length=50)
    amount: MoneyIn | None = None
    deadline: date = Field(description="The date that matters, e.g. a treaty deadline.")
    deadline_reason: str | None = Field(None, max_length=300)
    urgency: Urgency = Urgency.MEDIUM
    contact: ContactIn

    @field_validator("convention")
    @classmethod
    def _known_convention(cls, convention: str) -> str:
        if taxonomy().convention(convention) is None:
            known = ", ".join(sorted(taxonomy().conventions))
            raise ValueError(f"unknown convention {convention!r}; known: {known}")
        return convention

    @field_validator("areas")
    @classmethod
    def _areas_of_the_convention(cls, areas: list[str], info: ValidationInfo) -> list[str]:
        convention = info.data.get("convention")
        if convention is None:
            return areas  # the convention itself is invalid and reported
        unknown = taxonomy().unknown_areas(convention, areas)
        if unknown:
            raise ValueError(f"{', '.join(unknown)} not a thematic area of {convention}")
        return areas

    @field_validator("assistance_types")
    @classmethod
    def _known_assistance_types(cls, kinds: list[str]) -> list[str]:
        unknown = [kind for kind in kinds if kind not in taxonomy().assistance_types]
        if unknown:
            known = ", ".join(taxonomy().assistance_types)
            raise ValueError(f"unknown assistance type {', '.join(unknown)}; known: {known}")
        return kinds

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
            deadline=self.deadline,
            deadline_reason=self.deadline_reason,
            urgency=self.urgency,
            contact=Contact(**self.contact.model_dump()),
        )


class NewRequest(NeedIn):
    state: str = Field(pattern=r"^[A-Z]{3}$", examples=["LAO"], description="ISO 3166-1 alpha-3")

    @field_validator("state")
    @classmethod
    def _known_state(cls, state: str) -> str:
        if state not in countries():
            raise ValueError(f"{state} is not a known state")
        return state


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
    regional_centre: str | None
    status: str
    version: int
    convention: str
    areas: list[str]
    assistance_types: list[str]
    title: str
    description: str
    evidence: list[EvidenceIn]
    amount: MoneyOut | None
    deadline: date
    deadline_reason: str | None
    urgency: str
    contact: ContactIn
    matched_amount: Decimal
    reserved_amount: Decimal
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, request: AssistanceRequest) -> RequestOut:
        need = request.need
        return cls(
            id=request.id,
            state=request.state,
            regional_centre=request.regional_centre,
            status=request.status.value,
            version=request.version,
            convention=need.convention,
            areas=list(need.areas),
            assistance_types=list(need.assistance_types),
            title=need.title,
            description=need.description,
            evidence=[EvidenceIn.model_construct(**e.__dict__) for e in need.evidence],
            amount=MoneyOut(value=need.amount.value, currency=need.amount.currency)
            if need.amount
            else None,
            deadline=need.deadline,
            deadline_reason=need.deadline_reason,
            urgency=need.urgency.value,
            contact=ContactIn.model_construct(**need.contact.__dict__),
            matched_amount=request.matched_amount,
            reserved_amount=request.reserved_amount,
            created_at=request.created_at,
            updated_at=request.updated_at,
        )


class RequestPage(BaseModel):
    items: list[RequestOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; none: last.")


class TransitionOut(BaseModel):
    action: str
    from_status: str | None
    to_status: str
    actor: str
    at: datetime
    reason: str | None

    @classmethod
    def of(cls, t: Transition) -> TransitionOut:
        return cls(
            action=t.action,
            from_status=t.from_status.value if t.from_status else None,
            to_status=t.to_status.value,
            actor=t.actor,
            at=t.at,
            reason=t.reason,
        )
