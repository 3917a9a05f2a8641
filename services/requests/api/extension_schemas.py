"""What the extension requests API accepts and answers."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, Field, ValidationInfo, field_validator

from services.requests.app.extensions import Filing
from services.requests.domain.extensions import (
    Decision,
    ExtensionRequest,
    Plan,
)
from shared.languages import ENGLISH, Names
from shared.schemas import (
    AssistanceTypes,
    ContactIn,
    ConventionCode,
    MoneyIn,
    StateCode,
    Strict,
    areas_of,
)
from shared.values import Contact, Money

LongText = Annotated[str, Field(min_length=1, max_length=10_000)]


class NewExtension(Strict):
    """A state's request to extend one of its treaty deadlines."""

    state: StateCode
    convention: ConventionCode
    area: str = Field(
        examples=["survey-and-clearance"],
        description="The obligation: an area of the convention with a treaty deadline.",
    )
    current_deadline: date = Field(description="The deadline on record, as the state knows it.")
    requested_deadline: date = Field(description="The new deadline asked for.")
    plan: LongText = Field(description="The plan to meet the new deadline.")
    cost: MoneyIn = Field(description="What the plan costs: the linked assistance request's ask.")
    reasons: LongText = Field(description="Why the current deadline will not be met.")
    assistance_types: AssistanceTypes = Field(
        default_factory=lambda: ["financial"],
        description="The kinds of help the linked assistance request asks for.",
    )
    contact: ContactIn

    @field_validator("area")
    @classmethod
    def _area_of_the_convention(cls, area: str, info: ValidationInfo) -> str:
        return areas_of(info.data.get("convention"), [area])[0]

    def to_filing(self) -> Filing:
        return Filing(
            state=self.state,
            convention=self.convention,
            area=self.area,
            current_deadline=self.current_deadline,
            plan=Plan(
                self.requested_deadline,
                self.plan,
                Money(self.cost.value, self.cost.currency),
                self.reasons,
            ),
            assistance_types=tuple(dict.fromkeys(self.assistance_types)),
            contact=Contact(**self.contact.model_dump()),
        )


class QuestionIn(Strict):
    question: LongText


class AnswerIn(Strict):
    answer: LongText


class AnalysisIn(Strict):
    analysis: LongText


class DecisionIn(Strict):
    """The meeting of States Parties' decision."""

    granted: bool
    new_deadline: date | None = Field(
        None, description="The deadline the meeting set, when it grants the extension."
    )
    meeting: str = Field(
        min_length=1, max_length=120, examples=["Twelfth Meeting of States Parties"]
    )
    text: str | None = Field(None, max_length=10_000, description="The decision's words.")

    def to_decision(self) -> Decision:
        return Decision(self.granted, self.new_deadline, self.meeting, self.text)


class MemberIn(Strict):
    member: str = Field(
        max_length=120,
        examples=["national:MNE", "donor:netherlands"],
        description="A principal: national:ISO3, donor:id or regional:id.",
    )


class AnalysisGroupOut(BaseModel):
    convention: str
    members: list[str]


class QuestionOut(BaseModel):
    text: str
    asked_by: str
    asked_at: datetime
    answer: str | None
    answered_by: str | None
    answered_at: datetime | None


class DecisionOut(BaseModel):
    granted: bool
    deadline: date | None
    meeting: str
    text: str | None


class CostOut(BaseModel):
    value: Decimal
    currency: str


class ExtensionOut(BaseModel):
    id: UUID
    state: str
    state_name: str
    regional_centre: str | None
    convention: str
    convention_name: str
    area: str
    area_name: str
    article: str
    status: str
    version: int
    current_deadline: date
    requested_deadline: date
    granted_deadline: date | None
    plan: str
    cost: CostOut
    reasons: str
    questions: list[QuestionOut]
    analysis: str | None
    decision: DecisionOut | None
    assistance_request_id: UUID | None = Field(
        description="The assistance request for the resources of the extended plan."
    )
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, extension: ExtensionRequest, names: Names = ENGLISH) -> ExtensionOut:
        cost = extension.plan.cost
        return cls(
            **extension.plain_fields(),
            id=extension.id,
            state_name=names.state(extension.state) or extension.state,
            convention_name=names.convention(extension.convention),
            area_name=names.areas(extension.convention, [extension.area])[0],
            granted_deadline=extension.granted_deadline,
            cost=CostOut(value=cost.value, currency=cost.currency),
            questions=[QuestionOut(**q.__dict__) for q in extension.questions],
            decision=DecisionOut(**extension.decision.__dict__) if extension.decision else None,
            updated_at=extension.updated_at,
        )


class ExtensionPage(BaseModel):
    items: list[ExtensionOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; none: last.")
