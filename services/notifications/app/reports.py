"""The use cases of the indicator reports and of the facts states report for them.

Indicators are public treaty figures: anyone with a key reads them. A state's facts are
recorded by its own focal point or by the secretariat (`policy.may_report_for`).
"""

from __future__ import annotations

from datetime import date, datetime
from uuid import uuid4

from services.notifications.adapters.indicator_repository import IndicatorRepository
from services.notifications.adapters.repository import EventRepository, ViewRepository
from services.notifications.adapters.tables import StateReportRow
from services.notifications.domain.charts import MILESTONES, Charts, charts
from services.notifications.domain.indicators import (
    Fact,
    Indicator,
    PendingRequest,
    Period,
    RegionNeeds,
    indicators,
    known_convention,
    needs_by_region,
    pending_requests,
)
from services.notifications.domain.policy import may_report_for
from shared.errors import Forbidden
from shared.principal import Principal
from shared.unit_of_work import UnitOfWork


async def indicator_report(uow: UnitOfWork, convention: str, period: Period) -> list[Indicator]:
    records = await IndicatorRepository(uow).records(known_convention(convention), period)
    return indicators(convention, period, records)


async def pending_report(
    uow: UnitOfWork, convention: str, period: Period
) -> tuple[list[PendingRequest], list[RegionNeeds]]:
    """The convention's pending requests of the period, and their needs by region."""
    records = await IndicatorRepository(uow).records(known_convention(convention), period)
    pending = pending_requests(convention, period, records)
    return pending, needs_by_region(pending)


async def dashboard_charts(uow: UnitOfWork, now: datetime) -> Charts:
    """The figures of the operators' charts, from every request the service knows."""
    return charts(
        await ViewRepository(uow).requests(),
        await IndicatorRepository(uow).ledger_for_requests(),
        await EventRepository(uow).histories(MILESTONES),
        now,
    )


async def record_state_report(
    uow: UnitOfWork,
    principal: Principal,
    *,
    state: str,
    convention: str,
    fact: Fact,
    reported_on: date,
    note: str,
    now: datetime,
) -> StateReportRow:
    if not may_report_for(principal, state):
        raise Forbidden(f"{principal.label} may not report for {state}.", field="body.state")
    row = StateReportRow(
        id=uuid4(),
        state=state,
        convention=known_convention(convention, field="body.convention"),
        fact=fact.value,
        reported_on=reported_on,
        note=note,
        recorded_by=principal.label,
        recorded_at=now,
    )
    await IndicatorRepository(uow).add_report(row)
    return row


async def state_reports(
    uow: UnitOfWork, convention: str | None, state: str | None
) -> list[StateReportRow]:
    if convention is not None:
        known_convention(convention)
    return await IndicatorRepository(uow).reports(convention=convention, state=state)
