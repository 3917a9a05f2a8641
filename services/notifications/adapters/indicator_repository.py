"""Queries for the indicator reports: the records `domain.indicators` counts, and the facts
states report of themselves."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from services.notifications.adapters.tables import (
    LedgerFactRow,
    RequestViewRow,
    SourceViewRow,
    StateReportRow,
)
from services.notifications.domain.indicators import (
    Fact,
    LedgerRecord,
    Period,
    Records,
    RequestRecord,
    SourceRecord,
    StateReport,
)
from shared.unit_of_work import UnitOfWork


def _source(row: SourceViewRow) -> SourceRecord:
    return SourceRecord(
        source_id=row.source_id,
        kind=row.kind,
        home_country=row.home_country,
        supports=tuple((s["convention"], tuple(s.get("areas", ()))) for s in row.supports),
        assistance_types=tuple(row.assistance_types),
        windows=tuple(
            (date.fromisoformat(w["opens"]), date.fromisoformat(w["closes"])) for w in row.windows
        ),
    )


def _request(row: RequestViewRow) -> RequestRecord:
    first = row.submitted_at or row.published_at
    return RequestRecord(
        request_id=row.request_id,
        state=row.state,
        region=row.region,
        status=row.status,
        convention=row.convention,
        areas=tuple(row.areas),
        title=row.title,
        amount=row.amount,
        currency=row.currency,
        submitted_on=first.date() if first else None,
    )


def _entry(row: LedgerFactRow) -> LedgerRecord:
    return LedgerRecord(
        row.entry_id, row.source_id, row.request_id, row.kind, row.amount, row.currency, row.day
    )


def state_report(row: StateReportRow) -> StateReport:
    return StateReport(row.state, row.convention, Fact(row.fact), row.reported_on)


class IndicatorRepository:
    def __init__(self, uow: UnitOfWork) -> None:
        self.session = uow.session

    async def records(self, convention: str, period: Period) -> Records:
        """What the convention's reports over the period read: its sources, its requests, the
        ledger entries up to the period's end and the facts states reported in the period."""
        supporting: Any = [{"convention": convention}]
        sources = await self.session.scalars(
            select(SourceViewRow).where(col(SourceViewRow.supports).contains(supporting))
        )
        requests = await self.session.scalars(
            select(RequestViewRow).where(col(RequestViewRow.convention) == convention)
        )
        ledger = await self.session.scalars(
            select(LedgerFactRow).where(col(LedgerFactRow.day).between(period.start, period.end))
        )
        reports = await self.reports(convention=convention, period=period)
        return Records(
            sources=[_source(row) for row in sources],
            ledger=[_entry(row) for row in ledger],
            requests=[_request(row) for row in requests],
            reports=[state_report(row) for row in reports],
        )

    async def ledger_for_requests(self) -> list[LedgerRecord]:
        """Every ledger entry that names a request."""
        rows = await self.session.scalars(
            select(LedgerFactRow).where(col(LedgerFactRow.request_id).is_not(None))
        )
        return [_entry(row) for row in rows]

    async def add_report(self, row: StateReportRow) -> None:
        self.session.add(row)
        await self.session.flush()

    async def reports(
        self,
        *,
        convention: str | None = None,
        state: str | None = None,
        period: Period | None = None,
    ) -> list[StateReportRow]:
        """The state reports, of one convention, state or period when given, oldest first."""
        r = StateReportRow
        query = select(r)
        if convention is not None:
            query = query.where(col(r.convention) == convention)
        if state is not None:
            query = query.where(col(r.state) == state)
        if period is not None:
            query = query.where(col(r.reported_on).between(period.start, period.end))
        query = query.order_by(col(r.reported_on), col(r.recorded_at), col(r.id))
        return list((await self.session.scalars(query)).all())
