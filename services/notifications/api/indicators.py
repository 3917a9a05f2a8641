"""HTTP routes of the treaty indicator reports and of the facts states report for them.

Each report answers JSON, HXL CSV (`format=csv`) or a printable HTML page (`format=html`), naming
states in the caller's language. Anyone with a key reads them: they are public treaty figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, status
from pydantic import BaseModel, Field, field_validator

from services.notifications.adapters.tables import StateReportRow
from services.notifications.api.dashboard import OperatorDep, html_page
from services.notifications.app import reports
from services.notifications.domain.indicators import (
    Fact,
    Indicator,
    PendingRequest,
    Period,
    RegionNeeds,
)
from services.notifications.domain.model import region_name
from shared import clock
from shared.auth import PrincipalDep
from shared.deps import Answer, Call, CallDep, UnitOfWorkDep
from shared.geography import RegionalNetwork, countries
from shared.languages import Names, NamesDep
from shared.reports import RESPONSES, Format, answer
from shared.unit_of_work import UnitOfWork

HTML_PAGE: dict[int | str, dict[str, Any]] = {
    **RESPONSES,
    200: {"content": {"text/csv": {"schema": {"type": "string"}}, "text/html": {}}},
}

router = APIRouter(tags=["indicators"], responses=RESPONSES)
pages = APIRouter(prefix="/dashboard/reports", include_in_schema=False)
"""The same pages for the dashboard's signed-in users, whose browsers send no API key."""

ReportFormat = Annotated[
    Literal["json", "csv", "html"],
    Query(description="json, csv for spreadsheets, or html for a printable page"),
]


@dataclass
class ReportQuery:
    """A report's period: from `from` to `to`, both counted; this calendar year by default."""

    start: Annotated[
        date | None, Query(alias="from", description="First day counted; default: 1 January")
    ] = None
    end: Annotated[
        date | None, Query(alias="to", description="Last day counted; default: 31 December")
    ] = None

    def period(self) -> Period:
        year = clock.now().year
        return Period(self.start or date(year, 1, 1), self.end or date(year, 12, 31))


@dataclass
class IndicatorQuery(ReportQuery):
    convention: Annotated[str, Query(max_length=40, description="APMBC or CCM")] = "APMBC"


@dataclass
class PendingQuery(ReportQuery):
    convention: Annotated[str, Query(max_length=40, description="e.g. Stockholm")] = "Stockholm"


IndicatorQueryDep = Annotated[IndicatorQuery, Depends()]
PendingQueryDep = Annotated[PendingQuery, Depends()]


class IndicatorLine(BaseModel):
    """One indicator of a convention over a period, as JSON and as a line of a spreadsheet."""

    convention: str
    convention_name: str
    period_start: date
    period_end: date
    action: str = Field(description="The Oslo Action Plan action; `requests` for obligations.")
    indicator: str
    indicator_name: str
    definition: str
    basis: list[str] = Field(description="sources, ledger, requests, state-reports")
    count: int
    states: list[str]
    state_names: list[str]

    @classmethod
    def of(cls, i: Indicator, convention: str, period: Period, names: Names) -> IndicatorLine:
        return cls(
            convention=convention,
            convention_name=names.convention(convention),
            period_start=period.start,
            period_end=period.end,
            action=i.action,
            indicator=i.id,
            indicator_name=i.title,
            definition=i.definition,
            basis=[b.value for b in i.basis],
            count=i.count,
            states=list(i.states),
            state_names=names.states(list(i.states)),
        )


class PendingLine(BaseModel):
    """A pending request of the secretariat's database, with what is committed to it."""

    request_id: UUID
    state: str
    state_name: str
    region: str | None
    region_name: str
    status: str
    title: str
    areas: list[str]
    area_names: list[str]
    submitted_on: date | None
    requested: Decimal | None
    committed: Decimal
    outstanding: Decimal | None
    currency: str | None

    @classmethod
    def of(
        cls, p: PendingRequest, convention: str, network: RegionalNetwork, names: Names
    ) -> PendingLine:
        r = p.request
        return cls(
            request_id=r.request_id,
            state=r.state,
            state_name=names.state(r.state) or r.state,
            region=r.region,
            region_name=region_name(r.region, network),
            status=r.status,
            title=r.title,
            areas=list(r.areas),
            area_names=names.areas(convention, list(r.areas)),
            submitted_on=r.submitted_on,
            requested=r.amount,
            committed=p.committed,
            outstanding=p.outstanding,
            currency=r.currency,
        )


class NeedsLine(BaseModel):
    """The pending requests of one region in one currency (none: they ask no money)."""

    region: str | None
    region_name: str
    currency: str | None
    requests: int
    states: list[str]
    state_names: list[str]
    requested: Decimal
    committed: Decimal
    outstanding: Decimal

    @classmethod
    def of(cls, n: RegionNeeds, network: RegionalNetwork, names: Names) -> NeedsLine:
        return cls(
            region=n.region,
            region_name=region_name(n.region, network),
            currency=n.currency,
            requests=n.requests,
            states=list(n.states),
            state_names=names.states(list(n.states)),
            requested=n.requested,
            committed=n.committed,
            outstanding=n.outstanding,
        )


@router.get(
    "/v1/reports/indicators",
    response_model=list[IndicatorLine],
    responses=HTML_PAGE,
    summary="A convention's cooperation and assistance indicators over a period",
)
async def indicator_report(
    request: Request,
    uow: UnitOfWorkDep,
    _: PrincipalDep,
    names: NamesDep,
    query: IndicatorQueryDep,
    format: ReportFormat = "json",
) -> Any:
    """Each indicator with its definition, where it is counted from, its count and its states
    (`docs/indicators.md`). The Mine Ban Convention and the Convention on Cluster Munitions."""
    return await _indicators(request, uow, names, query, format)


@pages.get("/indicators")
async def indicators_for_the_dashboard(
    request: Request, uow: UnitOfWorkDep, _: OperatorDep, names: NamesDep, query: IndicatorQueryDep
) -> Any:
    return await _indicators(request, uow, names, query, "html")


async def _indicators(
    request: Request, uow: UnitOfWork, names: Names, query: IndicatorQuery, format: str
) -> Any:
    period = query.period()
    computed = await reports.indicator_report(uow, query.convention, period)
    lines = [IndicatorLine.of(i, query.convention, period, names) for i in computed]
    if format == "html":
        return html_page(
            request,
            "indicators.html",
            names=names,
            lines=lines,
            convention=query.convention,
            period=period,
        )
    return answer(lines, IndicatorLine, format, names)


async def _pending(
    request: Request,
    uow: UnitOfWork,
    names: Names,
    query: PendingQuery,
    format: str,
    rows: type[PendingLine] | type[NeedsLine] = PendingLine,
) -> Any:
    """The pending requests (or their needs by region) as asked; as a page, both."""
    period = query.period()
    pending, needs = await reports.pending_report(uow, query.convention, period)
    network = uow.network
    lines = [PendingLine.of(p, query.convention, network, names) for p in pending]
    sums = [NeedsLine.of(n, network, names) for n in needs]
    if format == "html":
        return html_page(
            request,
            "pending.html",
            names=names,
            pending=lines,
            needs=sums,
            convention=query.convention,
            period=period,
        )
    return answer(lines if rows is PendingLine else sums, rows, format, names)


@router.get(
    "/v1/reports/pending-requests",
    response_model=list[PendingLine],
    responses=HTML_PAGE,
    summary="The secretariat's database of pending requests of a convention",
)
async def pending_requests(
    request: Request,
    uow: UnitOfWorkDep,
    _: PrincipalDep,
    names: NamesDep,
    query: PendingQueryDep,
    format: ReportFormat = "json",
) -> Any:
    """Requests submitted in the period and not yet funded, completed, withdrawn or expired,
    with what is committed to each; `format=html` prints them with the needs by region."""
    return await _pending(request, uow, names, query, format)


@router.get(
    "/v1/reports/needs-by-region",
    response_model=list[NeedsLine],
    responses=HTML_PAGE,
    summary="The funding needs of a convention's pending requests, by region and currency",
)
async def needs_by_region(
    request: Request,
    uow: UnitOfWorkDep,
    _: PrincipalDep,
    names: NamesDep,
    query: PendingQueryDep,
    format: ReportFormat = "json",
) -> Any:
    """Asked, committed and still outstanding, summed per regional centre and currency."""
    return await _pending(request, uow, names, query, format, NeedsLine)


@pages.get("/pending-requests")
async def pending_for_the_dashboard(
    request: Request, uow: UnitOfWorkDep, _: OperatorDep, names: NamesDep, query: PendingQueryDep
) -> Any:
    return await _pending(request, uow, names, query, "html")


# --- the facts states report -----------------------------------------------------------------


class StateReportIn(BaseModel):
    state: str = Field(pattern=r"^[A-Z]{3}$", description="ISO 3166-1 alpha-3")
    convention: str = Field(max_length=40, examples=["APMBC"])
    fact: Fact
    reported_on: date = Field(description="When the state reported it (its Article 7 report…)")
    note: str = Field("", max_length=1000, description="Where it was reported, in a few words")

    @field_validator("state")
    @classmethod
    def _known_state(cls, state: str) -> str:
        if state not in countries():
            raise ValueError(f"unknown state {state}")
        return state


class StateReportOut(BaseModel):
    """A fact a state reported, as JSON and as a line of a spreadsheet."""

    report_id: UUID
    state: str
    state_name: str
    convention: str
    convention_name: str
    fact: str
    reported_on: date
    note: str
    actor: str = Field(description="Who recorded it")
    recorded_at: datetime

    @classmethod
    def of(cls, row: StateReportRow, names: Names) -> StateReportOut:
        return cls(
            report_id=row.id,
            state=row.state,
            state_name=names.state(row.state) or row.state,
            convention=row.convention,
            convention_name=names.convention(row.convention),
            fact=row.fact,
            reported_on=row.reported_on,
            note=row.note,
            actor=row.recorded_by,
            recorded_at=row.recorded_at,
        )


@router.post(
    "/v1/state-reports",
    status_code=status.HTTP_201_CREATED,
    response_model=StateReportOut,
    summary="Record a fact a state reports of itself, for the indicators",
)
async def record_state_report(body: StateReportIn, call: CallDep, names: NamesDep) -> Any:
    """By the state's own focal point or by the secretariat; once per Idempotency-Key."""
    return await call.once(201, lambda: _record(call, body, names))


async def _record(call: Call, body: StateReportIn, names: Names) -> Answer:
    row = await reports.record_state_report(
        call.uow,
        call.principal,
        state=body.state,
        convention=body.convention,
        fact=body.fact,
        reported_on=body.reported_on,
        note=body.note,
        now=clock.now(),
    )
    location = {"Location": f"/v1/state-reports?state={row.state}"}
    return Answer(StateReportOut.of(row, names), location)


@router.get(
    "/v1/state-reports",
    response_model=list[StateReportOut],
    summary="The facts states reported, oldest first",
)
async def list_state_reports(
    uow: UnitOfWorkDep,
    _: PrincipalDep,
    names: NamesDep,
    convention: Annotated[str | None, Query(max_length=40)] = None,
    state: Annotated[str | None, Query(pattern=r"^[A-Z]{3}$")] = None,
    format: Format = "json",
) -> Any:
    rows = await reports.state_reports(uow, convention, state)
    return answer([StateReportOut.of(r, names) for r in rows], StateReportOut, format, names)
