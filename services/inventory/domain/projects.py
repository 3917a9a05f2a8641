"""A project: how a funded (or partly funded) request is carried out, followed to its results.
Values and rules only, no I/O.

    active ─final report─▶ completed (final)

A project names its implementing partner, its dates, its budget by funder (never more, per
currency, than the ledger commits to the request, counting the request's other projects), its
milestones (within its dates), its disbursement schedule (instalments of the budget's funders)
and the results indicators it tracks, each with a baseline and a target, chosen from the
convention's indicators (`shared.taxonomy.indicators`). The state or the implementing partner
files progress reports with a value per tracked indicator; the final one completes the project.

What is planned is compared with what the ledger shows disbursed: an instalment is covered when
the funder's disbursements in its currency up to its date (and the grace days) reach what the
schedule plans up to it, this instalment included. A sweep raises an alert once for each report
that is overdue and each instalment that is late.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from uuid import UUID, uuid4

from services.inventory.domain.ledger import ZERO
from shared.errors import Conflict, Invalid
from shared.taxonomy import indicators

FUNDED_STATUSES = frozenset({"partly_matched", "matched", "funded"})
"""The request statuses a project may start from, given money the ledger commits to it: funded,
or matched in part or in full and partly funded."""


class ProjectStatus(StrEnum):
    ACTIVE = "active"
    COMPLETED = "completed"


class AlertKind(StrEnum):
    REPORT_OVERDUE = "report-overdue"
    DISBURSEMENT_LATE = "disbursement-late"


@dataclass(frozen=True)
class BudgetLine:
    funder: str
    amount: Decimal
    currency: str


@dataclass(frozen=True)
class Milestone:
    title: str
    due: date


@dataclass(frozen=True)
class Instalment:
    """A planned disbursement: so much from a funder, in a currency, by a date."""

    funder: str
    on: date
    amount: Decimal
    currency: str


@dataclass(frozen=True)
class Target:
    """A results indicator chosen for a project: where it starts and where it should get."""

    indicator: str
    baseline: Decimal
    target: Decimal


@dataclass(frozen=True)
class Tracked:
    """A results indicator a project tracks, with its name and unit from the taxonomy."""

    indicator: str
    name: str
    unit: str
    baseline: Decimal
    target: Decimal


@dataclass(frozen=True)
class Plan:
    """What the one who starts a project states about it."""

    request_id: UUID
    title: str
    implementing_partner: str
    starts: date
    ends: date
    budget: tuple[BudgetLine, ...]
    milestones: tuple[Milestone, ...] = ()
    schedule: tuple[Instalment, ...] = ()
    targets: tuple[Target, ...] = ()


@dataclass(frozen=True)
class FundedRequest:
    """The request a project carries out, as the inventory knows it: its copy of the request and
    what the ledger commits to it per currency, less what its other projects budget already."""

    request_id: UUID
    state: str
    regional_centre: str | None
    convention: str
    status: str
    committed: Mapping[str, Decimal]
    budgeted: Mapping[str, Decimal] = field(default_factory=dict)


@dataclass(frozen=True)
class ReportTerms:
    """What a progress report states."""

    period_start: date
    period_end: date
    values: Mapping[str, Decimal]
    challenges: str = ""
    lessons: str = ""
    final: bool = False


@dataclass(frozen=True)
class Report:
    id: UUID
    period_start: date
    period_end: date
    values: Mapping[str, Decimal]
    challenges: str
    lessons: str
    final: bool
    filed_by: str
    filed_at: datetime


@dataclass(frozen=True)
class Disbursed:
    """What a funder's sources disbursed for the request on one day, in one currency."""

    funder: str
    currency: str
    on: date
    amount: Decimal


@dataclass(frozen=True)
class ScheduleLine:
    """One instalment, planned against actual: what the funder plans to have disbursed by its
    date and what the ledger shows it had."""

    instalment: Instalment
    planned: Decimal
    disbursed: Decimal

    @property
    def covered(self) -> bool:
        return self.disbursed >= self.planned


@dataclass(frozen=True)
class Alert:
    kind: AlertKind
    item: str
    """What it is about: a report's due date, or an instalment's funder, currency and date."""
    raised_at: datetime | None = field(default=None, compare=False)


# Domain events


@dataclass(frozen=True)
class Started:
    actor: str


@dataclass(frozen=True)
class ReportFiled:
    report: Report


@dataclass(frozen=True)
class Completed:
    actor: str
    request_complete: bool


@dataclass(frozen=True)
class ReportOverdue:
    due: date
    interval_days: int


@dataclass(frozen=True)
class DisbursementLate:
    line: ScheduleLine
    grace_days: int


ProjectEvent = Started | ReportFiled | Completed | ReportOverdue | DisbursementLate


def _invalid(rule: str, message: str, field: str) -> Invalid:
    return Invalid(message, rule=rule, field=field)


@dataclass
class Project:
    id: UUID
    version: int
    request_id: UUID
    state: str
    regional_centre: str | None
    convention: str
    title: str
    implementing_partner: str
    starts: date
    ends: date
    budget: tuple[BudgetLine, ...]
    milestones: tuple[Milestone, ...]
    schedule: tuple[Instalment, ...]
    tracked: tuple[Tracked, ...]
    status: ProjectStatus
    created_by: str
    created_at: datetime
    updated_at: datetime
    reports: list[Report] = field(default_factory=list)
    alerts: set[Alert] = field(default_factory=set)
    events: list[ProjectEvent] = field(default_factory=list)

    @classmethod
    def start(cls, plan: Plan, request: FundedRequest, actor: str, now: datetime) -> Project:
        """A project for a funded request, by every rule of its plan; records `Started`."""
        _require_funded(request)
        _check_dates(plan)
        _check_budget(plan, request)
        _check_schedule(plan)
        project = cls(
            id=uuid4(),
            version=1,
            request_id=request.request_id,
            state=request.state,
            regional_centre=request.regional_centre,
            convention=request.convention,
            title=plan.title,
            implementing_partner=plan.implementing_partner,
            starts=plan.starts,
            ends=plan.ends,
            budget=plan.budget,
            milestones=plan.milestones,
            schedule=tuple(sorted(plan.schedule, key=lambda i: (i.on, i.funder))),
            tracked=_tracked(request.convention, plan.targets),
            status=ProjectStatus.ACTIVE,
            created_by=actor,
            created_at=now,
            updated_at=now,
        )
        project.events.append(Started(actor))
        return project

    @property
    def funders(self) -> list[str]:
        return sorted({line.funder for line in self.budget})

    @property
    def closed(self) -> bool:
        return self.status is ProjectStatus.COMPLETED

    def file(
        self, terms: ReportTerms, actor: str, now: datetime, *, others_complete: bool
    ) -> Report:
        """A progress report; a final one completes the project, and with it the request when
        `others_complete` (every other project of the request is complete)."""
        if self.closed:
            raise Conflict(
                f"project {self.id} is completed: it takes no more reports",
                rule="project-closed",
            )
        self._check_report(terms)
        report = Report(
            uuid4(),
            terms.period_start,
            terms.period_end,
            dict(terms.values),
            terms.challenges,
            terms.lessons,
            terms.final,
            actor,
            now,
        )
        self.reports.append(report)
        self.events.append(ReportFiled(report))
        if terms.final:
            self.status = ProjectStatus.COMPLETED
            self.events.append(Completed(actor, request_complete=others_complete))
        self._touch(now)
        return report

    def _check_report(self, terms: ReportTerms) -> None:
        if terms.period_end < terms.period_start:
            raise _invalid(
                "period-end-before-start",
                "a report's period cannot end before it starts",
                "period_end",
            )
        if terms.period_start < self.starts:
            raise _invalid(
                "period-before-project",
                f"a report's period starts on or after the project's start, {self.starts}",
                "period_start",
            )
        untracked = sorted(set(terms.values) - {t.indicator for t in self.tracked})
        if untracked:
            raise _invalid(
                "untracked-indicator",
                f"the project does not track {untracked}; it tracks "
                f"{[t.indicator for t in self.tracked]}",
                "values",
            )

    def latest_values(self) -> dict[str, Decimal]:
        """Each tracked indicator's value in the newest report that gives one."""
        latest: dict[str, Decimal] = {}
        for report in sorted(self.reports, key=lambda r: (r.period_end, r.filed_at)):
            latest.update(report.values)
        return latest

    def report_due(self, interval_days: int) -> date:
        """When the next report is due: an interval after the last reported period ends, or
        after the project starts."""
        last = max((r.period_end for r in self.reports), default=self.starts)
        return last + timedelta(days=interval_days)

    def planned_against_actual(self, disbursed: Iterable[Disbursed]) -> list[ScheduleLine]:
        """Every instalment with what its funder plans by its date and disbursed by then."""
        return self._schedule_lines(disbursed, grace=timedelta(0))

    def _schedule_lines(
        self, disbursed: Iterable[Disbursed], grace: timedelta
    ) -> list[ScheduleLine]:
        actual = list(disbursed)
        planned: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
        lines = []
        for instalment in self.schedule:
            key = (instalment.funder, instalment.currency)
            planned[key] += instalment.amount
            by = instalment.on + grace
            paid = sum(
                (d.amount for d in actual if (d.funder, d.currency) == key and d.on <= by), ZERO
            )
            lines.append(ScheduleLine(instalment, planned[key], paid))
        return lines

    def raise_alerts(
        self,
        now: datetime,
        disbursed: Sequence[Disbursed],
        *,
        interval_days: int,
        grace_days: int,
    ) -> list[Alert]:
        """Raise, once each, the alerts that are due `now`: the report overdue and every
        instalment still uncovered after its grace days. Returns the new ones."""
        if self.closed:
            return []
        today = now.date()
        raised = []
        due = self.report_due(interval_days)
        overdue = Alert(AlertKind.REPORT_OVERDUE, due.isoformat(), now)
        if due < today and overdue not in self.alerts:
            self.events.append(ReportOverdue(due, interval_days))
            raised.append(overdue)
        grace = timedelta(days=grace_days)
        for line in self._schedule_lines(disbursed, grace):
            i = line.instalment
            late = Alert(AlertKind.DISBURSEMENT_LATE, f"{i.funder}/{i.currency}/{i.on}", now)
            if not line.covered and i.on + grace < today and late not in self.alerts:
                self.events.append(DisbursementLate(line, grace_days))
                raised.append(late)
        self.alerts.update(raised)
        return raised

    def _touch(self, now: datetime) -> None:
        self.version += 1
        self.updated_at = now


def _require_funded(request: FundedRequest) -> None:
    if request.status not in FUNDED_STATUSES or not any(v > 0 for v in request.committed.values()):
        raise Conflict(
            f"request {request.request_id} is {request.status.replace('_', ' ')} with "
            f"{_sums(request.committed) or 'nothing'} committed: a project needs a funded or "
            "partly funded request, with money the ledger commits to it",
            rule="request-not-funded",
        )


def _check_dates(plan: Plan) -> None:
    if plan.ends < plan.starts:
        raise _invalid("end-before-start", "a project cannot end before it starts", "ends")
    for n, milestone in enumerate(plan.milestones):
        if not plan.starts <= milestone.due <= plan.ends:
            raise _invalid(
                "milestone-outside-project",
                f"milestone {milestone.title!r} is due {milestone.due}, outside the project's "
                f"dates {plan.starts} to {plan.ends}",
                f"milestones.{n}.due",
            )
    for n, instalment in enumerate(plan.schedule):
        if not plan.starts <= instalment.on <= plan.ends:
            raise _invalid(
                "instalment-outside-project",
                f"an instalment planned on {instalment.on} falls outside the project's dates",
                f"schedule.{n}.on",
            )


def _check_budget(plan: Plan, request: FundedRequest) -> None:
    if not plan.budget:
        raise _invalid("budget-required", "a project needs a budget by funder", "budget")
    asked: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for line in plan.budget:
        asked[line.currency] += line.amount
    for currency, amount in sorted(asked.items()):
        committed = request.committed.get(currency, ZERO)
        taken = request.budgeted.get(currency, ZERO)
        if taken + amount > committed:
            raise _invalid(
                "budget-exceeds-commitment",
                f"the budget asks {amount:,.2f} {currency}; the ledger commits {committed:,.2f} "
                f"{currency} to the request, of which its other projects budget {taken:,.2f}",
                "budget",
            )


def _check_schedule(plan: Plan) -> None:
    budget = {(line.funder, line.currency): line.amount for line in plan.budget}
    planned: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    for n, instalment in enumerate(plan.schedule):
        key = (instalment.funder, instalment.currency)
        if key not in budget:
            raise _invalid(
                "unbudgeted-disbursement",
                f"{instalment.funder} has no budget in {instalment.currency} to disburse",
                f"schedule.{n}.funder",
            )
        planned[key] += instalment.amount
        if planned[key] > budget[key]:
            raise _invalid(
                "schedule-exceeds-budget",
                f"the schedule plans more from {instalment.funder} than its budget of "
                f"{budget[key]:,.2f} {instalment.currency}",
                f"schedule.{n}.amount",
            )


def _tracked(convention: str, targets: Sequence[Target]) -> tuple[Tracked, ...]:
    known = indicators(convention)
    if not targets:
        raise _invalid("indicator-required", "a project tracks at least one indicator", "targets")
    seen: set[str] = set()
    tracked = []
    for n, t in enumerate(targets):
        definition = known.get(t.indicator)
        if definition is None:
            raise _invalid(
                "unknown-indicator",
                f"{t.indicator!r} is not an indicator of {convention}; known: {', '.join(known)}",
                f"targets.{n}.indicator",
            )
        if t.indicator in seen:
            raise _invalid(
                "indicator-twice", f"{t.indicator!r} is chosen twice", f"targets.{n}.indicator"
            )
        seen.add(t.indicator)
        tracked.append(Tracked(t.indicator, definition.name, definition.unit, t.baseline, t.target))
    return tuple(tracked)


def _sums(amounts: Mapping[str, Decimal]) -> str:
    return ", ".join(f"{v:,.2f} {c}" for c, v in sorted(amounts.items()) if v > 0)
