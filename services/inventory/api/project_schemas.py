"""What the projects API accepts and answers."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, Field

from services.inventory.domain.projects import (
    BudgetLine,
    Disbursed,
    Instalment,
    Milestone,
    Plan,
    Project,
    Report,
    ReportTerms,
    Target,
)
from shared.schemas import MAX_AMOUNT, Amount, Currency, Strict

Party = Annotated[str, Field(min_length=1, max_length=100, examples=["norway"])]
Value = Annotated[Decimal, Field(ge=0, le=MAX_AMOUNT, decimal_places=2, examples=["250"])]
Text = Annotated[str, Field(max_length=10_000)]


class BudgetIn(Strict):
    funder: Party
    amount: Amount
    currency: Currency


class MilestoneIn(Strict):
    title: str = Field(min_length=1, max_length=300)
    due: date


class InstalmentIn(Strict):
    funder: Party
    on: date
    amount: Amount
    currency: Currency


class TargetIn(Strict):
    indicator: str = Field(
        min_length=1, max_length=80, description="An indicator of the request's convention."
    )
    baseline: Value
    target: Value


class ProjectIn(Strict):
    request_id: UUID
    title: str = Field(min_length=1, max_length=300)
    implementing_partner: Party = Field(
        description="The party that carries the project out and reports on it (holds a key)."
    )
    starts: date
    ends: date
    budget: list[BudgetIn] = Field(max_length=50)
    milestones: list[MilestoneIn] = Field(default_factory=list, max_length=100)
    schedule: list[InstalmentIn] = Field(default_factory=list, max_length=200)
    targets: list[TargetIn] = Field(max_length=30)

    def plan(self) -> Plan:
        return Plan(
            request_id=self.request_id,
            title=self.title,
            implementing_partner=self.implementing_partner,
            starts=self.starts,
            ends=self.ends,
            budget=tuple(BudgetLine(b.funder, b.amount, b.currency) for b in self.budget),
            milestones=tuple(Milestone(m.title, m.due) for m in self.milestones),
            schedule=tuple(Instalment(i.funder, i.on, i.amount, i.currency) for i in self.schedule),
            targets=tuple(Target(t.indicator, t.baseline, t.target) for t in self.targets),
        )


class ReportIn(Strict):
    period_start: date
    period_end: date
    values: dict[str, Value] = Field(
        default_factory=dict, max_length=30, description="A value per tracked indicator."
    )
    challenges: Text = ""
    lessons: Text = Field("", description="Lessons learned.")
    final: bool = Field(False, description="The final report: it completes the project.")

    def terms(self) -> ReportTerms:
        return ReportTerms(
            self.period_start,
            self.period_end,
            dict(self.values),
            self.challenges,
            self.lessons,
            self.final,
        )


class BudgetOut(BaseModel):
    funder: str
    amount: Decimal
    currency: str


class MilestoneOut(BaseModel):
    title: str
    due: date


class ScheduleOut(BaseModel):
    """One instalment, planned against actual: by its date the funder plans to have disbursed
    `planned` (this instalment and the earlier ones) and the ledger shows `disbursed`."""

    funder: str
    on: date
    amount: Decimal
    currency: str
    planned: Decimal
    disbursed: Decimal
    covered: bool


class IndicatorOut(BaseModel):
    indicator: str
    name: str
    unit: str
    baseline: Decimal
    target: Decimal
    latest: Decimal | None = Field(description="The value of the newest report that gives one.")


class ReportOut(BaseModel):
    id: UUID
    period_start: date
    period_end: date
    values: dict[str, Decimal]
    challenges: str
    lessons: str
    final: bool
    filed_by: str
    filed_at: datetime

    @classmethod
    def of(cls, report: Report) -> ReportOut:
        return cls(**{name: getattr(report, name) for name in cls.model_fields})


class ProjectOut(BaseModel):
    id: UUID
    version: int
    request_id: UUID
    state: str
    regional_centre: str | None
    convention: str
    title: str
    implementing_partner: str
    funders: list[str]
    starts: date
    ends: date
    status: str
    budget: list[BudgetOut]
    milestones: list[MilestoneOut]
    schedule: list[ScheduleOut]
    indicators: list[IndicatorOut]
    reports: list[ReportOut]
    created_by: str
    created_at: datetime

    @classmethod
    def of(cls, project: Project, disbursed: list[Disbursed]) -> ProjectOut:
        latest = project.latest_values()
        return cls(
            id=project.id,
            version=project.version,
            request_id=project.request_id,
            state=project.state,
            regional_centre=project.regional_centre,
            convention=project.convention,
            title=project.title,
            implementing_partner=project.implementing_partner,
            funders=project.funders,
            starts=project.starts,
            ends=project.ends,
            status=project.status.value,
            budget=[BudgetOut(**vars(line)) for line in project.budget],
            milestones=[MilestoneOut(**vars(m)) for m in project.milestones],
            schedule=[
                ScheduleOut(
                    **vars(line.instalment),
                    planned=line.planned,
                    disbursed=line.disbursed,
                    covered=line.covered,
                )
                for line in project.planned_against_actual(disbursed)
            ],
            indicators=[
                IndicatorOut(**vars(t), latest=latest.get(t.indicator)) for t in project.tracked
            ],
            reports=[ReportOut.of(r) for r in project.reports],
            created_by=project.created_by,
            created_at=project.created_at,
        )


class ProjectLine(BaseModel):
    """A project in a list."""

    id: UUID
    request_id: UUID
    state: str
    convention: str
    title: str
    implementing_partner: str
    funders: list[str]
    starts: date
    ends: date
    status: str
    reports: int

    @classmethod
    def of(cls, project: Project) -> ProjectLine:
        return cls(
            **{name: getattr(project, name) for name in cls.model_fields if name != "reports"},
            reports=len(project.reports),
        )
