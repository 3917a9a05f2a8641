"""Domain events of a source told to the other services: the one translation to shared.events.

Routing by tier: every event goes to the global tier. A source's changes also go to the sources
topic of each regional centre it focuses on (before and after an edit, so a centre learns that a
source left its region), and so do its ledger entries on those centres' funds topics. The answer
to a match goes to the global funds topic and to the funds topic of the centre that covers the
requesting state, which follows the request up.

Every source event is keyed by the source's id; answers to matches by the request's id, which is
how the requests service and matching keep a request's funding in order.

A project's events go on the funds stream too: to the global tier and to the funds topic of the
centre that covers the project's state; they are keyed by the request's id, so that a request's
funding and its projects stay in one order.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from services.inventory.domain import projects as project_events
from services.inventory.domain.ledger import EntryKind, Reservation, ReservationStatus
from services.inventory.domain.model import (
    DomainEvent,
    Edited,
    EntryRecorded,
    ReservationMade,
    ReservationSettled,
    Source,
    UnknownSourceAnswer,
)
from services.inventory.domain.projects import Project
from shared.events import inventory as contract
from shared.geography import RegionalNetwork
from shared.topics import Stream, Topics
from shared.unit_of_work import Message
from shared.values import attributes


def details(source: Source) -> contract.SourceDetails:
    p = source.profile
    return contract.SourceDetails(
        source_id=source.id,
        version=source.version,
        kind=p.kind,
        name=p.name,
        donor=p.donor,
        home_country=p.home_country,
        status=source.status,
        supports=[
            contract.Support(convention=s.convention, areas=list(s.areas)) for s in p.supports
        ],
        assistance_types=list(p.assistance_types),
        eligibility=p.eligibility,
        regional_focus=list(p.regional_focus),
        windows=[
            contract.WindowState(
                window_id=w.id,
                opens=w.opens,
                closes=w.closes,
                kind=w.kind,
                currency=w.currency,
                unit=w.unit,
                capacity=w.capacity,
                available=w.available,
            )
            for w in source.windows
        ],
        min_grant=p.min_grant,
        max_grant=p.max_grant,
    )


def tier_topics(topics: Topics, stream: Stream, centres: Sequence[str]) -> list[str]:
    """The global topic of `stream` and that stream's topic of each centre."""
    return [topics.global_(stream)] + [topics.regional(c, stream) for c in sorted(set(centres))]


def moves_availability(event: DomainEvent) -> bool:
    match event:
        case EntryRecorded(entry=entry):
            return entry.kind is EntryKind.COMMITTED
        case ReservationMade(reservation=r):
            return r.status is ReservationStatus.HELD
        case ReservationSettled(reservation=r):
            return r.status is ReservationStatus.RELEASED
    return False


class InventoryEvents:
    """The inventory's event mapping (see `shared.unit_of_work`): sources and their ledger, and the
    answers to accepted matches."""

    def __init__(self, topics: Topics, network: RegionalNetwork) -> None:
        self.topics = topics
        self.network = network

    def messages(
        self, aggregate: Source | UnknownSourceAnswer | Project, events: Sequence[Any]
    ) -> Iterator[Message]:
        if isinstance(aggregate, Project):
            yield from self._project_messages(aggregate, events)
            return
        if isinstance(aggregate, Source):
            yield from self._source_messages(aggregate, events)
            return
        for event in events:
            if isinstance(event, ReservationMade):
                yield self.answer(event.reservation)

    def _source_messages(self, source: Source, events: Sequence[DomainEvent]) -> Iterator[Message]:
        snapshot = details(source)
        focus = source.profile.regional_focus
        for event in events:
            match event:
                case Edited(change=change, actor=actor, focus_before=before):
                    changed = contract.SourceChanged(source=snapshot, change=change, actor=actor)
                    yield self._about(source, changed, [*before, *focus], Stream.SOURCES)
                case EntryRecorded(entry=e):
                    values = attributes(e, contract.LedgerEntryRecorded.model_fields)
                    recorded = contract.LedgerEntryRecorded(
                        **{**values, "entry_id": e.id, "kind": e.kind.value}
                    )
                    yield self._about(source, recorded, focus, Stream.FUNDS)
                case ReservationMade(reservation=reservation):
                    yield self.answer(reservation)
        moved = [event for event in events if moves_availability(event)]
        if moved:
            ledger = contract.SourceChanged(
                source=snapshot, change="ledger", actor=_actor(moved[-1])
            )
            yield self._about(source, ledger, focus, Stream.SOURCES)

    def answer(self, r: Reservation) -> Message:
        """FundsReserved or FundsReservationFailed: the one answer to an accepted match, keyed
        by the request and told to the centre that covers the requesting state."""
        answer: contract.FundsReserved | contract.FundsReservationFailed
        if r.status is ReservationStatus.FAILED and r.reason is not None:
            answer = contract.FundsReservationFailed(
                match_id=r.match_id,
                request_id=r.request_id,
                source_id=r.source_id,
                amount=r.amount,
                currency=r.currency,
                unit=r.unit,
                reason=r.reason,
                detail=r.detail or "",
            )
        else:
            answer = contract.FundsReserved(
                reservation_id=r.id,
                match_id=r.match_id,
                request_id=r.request_id,
                source_id=r.source_id,
                amount=r.amount,
                currency=r.currency,
                unit=r.unit,
            )
        centre = self.network.centre_of(r.state)
        topics = tier_topics(self.topics, Stream.FUNDS, [centre.id] if centre else [])
        return Message(answer, str(r.request_id), topics, r.updated_at)

    def _project_messages(
        self, project: Project, events: Sequence[project_events.ProjectEvent]
    ) -> Iterator[Message]:
        centre = self.network.centre_of(project.state)
        topics = tier_topics(self.topics, Stream.FUNDS, [centre.id] if centre else [])
        for event in events:
            yield Message(project_payload(project, event), str(project.request_id), topics)

    def _about(
        self, source: Source, payload: Any, centres: Sequence[str], stream: Stream
    ) -> Message:
        return Message(payload, str(source.id), tier_topics(self.topics, stream, centres))


def project_payload(project: Project, event: project_events.ProjectEvent) -> contract.ProjectEvent:
    """The integration event of one domain event of a project."""
    about: dict[str, Any] = {
        "project_id": project.id,
        "request_id": project.request_id,
        "state": project.state,
        "regional_centre": project.regional_centre,
        "convention": project.convention,
        "title": project.title,
        "implementing_partner": project.implementing_partner,
        "funders": project.funders,
    }
    match event:
        case project_events.Started(actor=actor):
            return contract.ProjectStarted(
                **about,
                starts=project.starts,
                ends=project.ends,
                budget=[contract.BudgetShare(**vars(line)) for line in project.budget],
                indicators=[t.indicator for t in project.tracked],
                actor=actor,
            )
        case project_events.ReportFiled(report=report):
            units = {t.indicator: t.unit for t in project.tracked}
            return contract.ProjectReportFiled(
                **about,
                report_id=report.id,
                period_start=report.period_start,
                period_end=report.period_end,
                final=report.final,
                values=[
                    contract.IndicatorValue(indicator=code, value=value, unit=units[code])
                    for code, value in sorted(report.values.items())
                ],
                filed_by=report.filed_by,
            )
        case project_events.ReportOverdue(due=due, interval_days=days):
            return contract.ProjectReportOverdue(**about, due=due, interval_days=days)
        case project_events.DisbursementLate(line=line, grace_days=grace):
            i = line.instalment
            return contract.ProjectDisbursementLate(
                **about,
                funder=i.funder,
                planned_on=i.on,
                planned=line.planned,
                disbursed=line.disbursed,
                currency=i.currency,
                grace_days=grace,
            )
        case project_events.Completed(actor=actor, request_complete=done):
            return contract.ProjectCompleted(**about, completed_by=actor, request_complete=done)


def _actor(event: DomainEvent) -> str:
    match event:
        case EntryRecorded(entry=entry):
            return entry.actor
        case ReservationMade(reservation=r):
            return r.accepted_by
        case ReservationSettled(actor=actor):
            return actor
    return "inventory"
