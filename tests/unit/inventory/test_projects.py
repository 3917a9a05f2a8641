"""The rules of a project: what it may start from, its plan, its reports, and its alerts."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest

from services.inventory.domain.projects import (
    AlertKind,
    BudgetLine,
    Completed,
    Disbursed,
    DisbursementLate,
    FundedRequest,
    Instalment,
    Milestone,
    Plan,
    Project,
    ProjectStatus,
    ReportFiled,
    ReportOverdue,
    ReportTerms,
    Started,
    Target,
)
from shared.errors import Conflict, DomainError, Invalid
from shared.taxonomy import indicator_units, indicators, taxonomy

NOW = datetime(2027, 1, 10, 9, tzinfo=UTC)
STARTS, ENDS = date(2027, 1, 1), date(2027, 12, 31)


def request(status: str = "funded", **committed: str) -> FundedRequest:
    return FundedRequest(
        uuid4(),
        "LAO",
        "south-eastern-asia",
        "CCM",
        status,
        {c: Decimal(v) for c, v in (committed or {"USD": "100000"}).items()},
    )


def plan(**changes: object) -> Plan:
    base = Plan(
        request_id=uuid4(),
        title="Victim assistance capacity",
        implementing_partner="norway",
        starts=STARTS,
        ends=ENDS,
        budget=(BudgetLine("norway", Decimal("80000"), "USD"),),
        milestones=(Milestone("Training of trainers", date(2027, 6, 1)),),
        schedule=(
            Instalment("norway", date(2027, 2, 1), Decimal("40000"), "USD"),
            Instalment("norway", date(2027, 8, 1), Decimal("40000"), "USD"),
        ),
        targets=(
            Target("survivors-assisted", Decimal("0"), Decimal("500")),
            Target("officials-trained", Decimal("0"), Decimal("40")),
        ),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def started(**changes: object) -> Project:
    project = Project.start(plan(**changes), request(), "secretariat", NOW)
    project.events.clear()
    return project


def refused_with(error: type[DomainError], rule: str, call: object) -> None:
    with pytest.raises(error) as raised:
        call()  # type: ignore[operator]
    assert raised.value.rule == rule


def test_a_project_starts_from_a_funded_request_with_its_indicators_named_from_the_taxonomy() -> (
    None
):
    project = Project.start(plan(), request(), "secretariat", NOW)
    assert project.status is ProjectStatus.ACTIVE
    assert project.events == [Started("secretariat")]
    assert [(t.indicator, t.unit) for t in project.tracked] == [
        ("survivors-assisted", "persons"),
        ("officials-trained", "persons"),
    ]
    assert project.funders == ["norway"]


def test_a_partly_funded_request_may_start_a_project_but_one_without_commitments_may_not() -> None:
    assert Project.start(plan(), request("partly_matched"), "secretariat", NOW).id
    refused_with(
        Conflict,
        "request-not-funded",
        lambda: Project.start(plan(), request("published"), "s", NOW),
    )
    nothing = request("matched", USD="0")
    refused_with(Conflict, "request-not-funded", lambda: Project.start(plan(), nothing, "s", NOW))


@pytest.mark.parametrize(
    ("changes", "rule"),
    [
        ({"ends": STARTS - timedelta(days=1)}, "end-before-start"),
        (
            {"milestones": (Milestone("Late", ENDS + timedelta(days=1)),)},
            "milestone-outside-project",
        ),
        (
            {"milestones": (Milestone("Early", STARTS - timedelta(days=1)),)},
            "milestone-outside-project",
        ),
        (
            {"budget": (BudgetLine("norway", Decimal("100000.01"), "USD"),)},
            "budget-exceeds-commitment",
        ),
        (
            {"budget": (BudgetLine("norway", Decimal("10"), "EUR"),), "schedule": ()},
            "budget-exceeds-commitment",
        ),
        ({"budget": ()}, "budget-required"),
        ({"targets": (Target("hectares-planted", Decimal(0), Decimal(1)),)}, "unknown-indicator"),
        (
            {"targets": (Target("bch-records-published", Decimal(0), Decimal(1)),)},
            "unknown-indicator",
        ),
        ({"targets": ()}, "indicator-required"),
        (
            {"schedule": (Instalment("japan", date(2027, 2, 1), Decimal("1"), "USD"),)},
            "unbudgeted-disbursement",
        ),
        (
            {"schedule": (Instalment("norway", date(2027, 2, 1), Decimal("80000.01"), "USD"),)},
            "schedule-exceeds-budget",
        ),
        (
            {"schedule": (Instalment("norway", ENDS + timedelta(days=1), Decimal("1"), "USD"),)},
            "instalment-outside-project",
        ),
    ],
)
def test_a_plan_breaking_a_rule_is_refused_naming_it(changes: dict[str, object], rule: str) -> None:
    refused_with(Invalid, rule, lambda: Project.start(plan(**changes), request(), "s", NOW))


def test_the_budget_counts_what_the_requests_other_projects_budget_already() -> None:
    taken = replace(request(), budgeted={"USD": Decimal("30000")})
    refused_with(
        Invalid, "budget-exceeds-commitment", lambda: Project.start(plan(), taken, "s", NOW)
    )
    fits = replace(request(), budgeted={"USD": Decimal("20000")})
    assert Project.start(plan(), fits, "s", NOW).budget


def test_a_report_gives_values_only_for_tracked_indicators_and_the_latest_value_wins() -> None:
    project = started()
    first = ReportTerms(STARTS, date(2027, 3, 31), {"survivors-assisted": Decimal("120")})
    second = ReportTerms(date(2027, 4, 1), date(2027, 6, 30), {"officials-trained": Decimal("12")})
    project.file(first, "national:LAO", NOW, others_complete=True)
    project.file(second, "norway", NOW, others_complete=True)
    assert project.latest_values() == {
        "survivors-assisted": Decimal("120"),
        "officials-trained": Decimal("12"),
    }
    assert [type(e) for e in project.events] == [ReportFiled, ReportFiled]
    assert project.status is ProjectStatus.ACTIVE
    untracked = ReportTerms(STARTS, date(2027, 3, 31), {"area-released": Decimal("5")})
    refused_with(
        Invalid,
        "untracked-indicator",
        lambda: project.file(untracked, "x", NOW, others_complete=True),
    )
    backwards = ReportTerms(date(2027, 3, 31), STARTS, {})
    refused_with(
        Invalid,
        "period-end-before-start",
        lambda: project.file(backwards, "x", NOW, others_complete=True),
    )


def test_the_final_report_completes_the_project_which_then_takes_no_report() -> None:
    project = started()
    final = ReportTerms(STARTS, ENDS, {"survivors-assisted": Decimal("510")}, final=True)
    project.file(final, "national:LAO", NOW, others_complete=False)
    assert project.status is ProjectStatus.COMPLETED
    assert project.events[-1] == Completed("national:LAO", request_complete=False)
    refused_with(
        Conflict, "project-closed", lambda: project.file(final, "norway", NOW, others_complete=True)
    )


def test_instalments_are_planned_against_what_the_funder_disbursed_by_their_dates() -> None:
    project = started()
    paid = [
        Disbursed("norway", "USD", date(2027, 1, 20), Decimal("40000")),
        Disbursed("japan", "USD", date(2027, 1, 20), Decimal("99999")),  # not a funder of it
        Disbursed("norway", "USD", date(2027, 9, 1), Decimal("10000")),
    ]
    lines = project.planned_against_actual(paid)
    assert [(line.planned, line.disbursed, line.covered) for line in lines] == [
        (Decimal("40000"), Decimal("40000"), True),
        (Decimal("80000"), Decimal("40000"), False),
    ]


def test_alerts_are_raised_once_each_for_an_overdue_report_and_a_late_instalment() -> None:
    project = started()
    before = datetime(2027, 3, 1, tzinfo=UTC)  # first instalment within its 30 days of grace
    assert project.raise_alerts(before, [], interval_days=90, grace_days=30) == []
    later = datetime(2027, 4, 2, tzinfo=UTC)  # report due 1 April, instalment 1 Feb + 30 days
    raised = project.raise_alerts(later, [], interval_days=90, grace_days=30)
    assert sorted((a.kind, a.item) for a in raised) == [
        (AlertKind.DISBURSEMENT_LATE, "norway/USD/2027-02-01"),
        (AlertKind.REPORT_OVERDUE, "2027-04-01"),
    ]
    assert [type(e) for e in project.events] == [ReportOverdue, DisbursementLate]
    assert (
        project.raise_alerts(later + timedelta(days=1), [], interval_days=90, grace_days=30) == []
    )


def test_a_report_moves_the_next_due_date_and_a_completed_project_raises_nothing() -> None:
    project = started()
    project.file(ReportTerms(STARTS, date(2027, 3, 31), {}), "norway", NOW, others_complete=True)
    assert project.report_due(90) == date(2027, 6, 29)
    paid = [Disbursed("norway", "USD", date(2027, 2, 1), Decimal("40000"))]
    assert (
        project.raise_alerts(datetime(2027, 4, 5, tzinfo=UTC), paid, interval_days=90, grace_days=0)
        == []
    )
    project.file(ReportTerms(STARTS, ENDS, {}, final=True), "norway", NOW, others_complete=True)
    late = datetime(2028, 6, 1, tzinfo=UTC)
    assert project.raise_alerts(late, [], interval_days=90, grace_days=0) == []


def test_every_convention_has_indicators_counted_in_known_units() -> None:
    for convention in taxonomy().conventions:
        found = indicators(convention)
        assert "officials-trained" in found, convention
        assert {i.unit for i in found.values()} <= indicator_units().keys()
    assert indicators("CCM")["area-released"].unit == "square-metres"
    assert indicators("Cartagena")["training-places-delivered"].unit in taxonomy().in_kind_units
