"""The events the requests service consumes, each with its handler: decode, call a use case."""

from __future__ import annotations

from services.requests.app.commands import (
    complete_after_projects,
    note_proposal,
    record_coverage,
    record_reservation,
)
from shared.events import Envelope
from shared.events.inventory import FundsReserved, ProjectCompleted
from shared.events.matching import MatchProposed, RequestCoverageChanged
from shared.runtime import Subscription
from shared.topics import Stream
from shared.unit_of_work import UnitOfWork


async def coverage_changed(uow: UnitOfWork, envelope: Envelope[RequestCoverageChanged]) -> None:
    c = envelope.payload
    in_kind = {q.unit: q.quantity for q in c.in_kind}
    await record_coverage(
        uow, c.request_id, c.sequence, c.matched_amount, in_kind, c.fully_matched, envelope.time
    )


async def funds_reserved(uow: UnitOfWork, envelope: Envelope[FundsReserved]) -> None:
    funds = envelope.payload
    await record_reservation(
        uow, funds.request_id, funds.amount, funds.currency, funds.unit, envelope.time
    )


async def match_proposed(uow: UnitOfWork, envelope: Envelope[MatchProposed]) -> None:
    await note_proposal(uow, envelope.payload.match.request_id, envelope.time)


async def project_completed(uow: UnitOfWork, envelope: Envelope[ProjectCompleted]) -> None:
    """The last project of a request completed: the request completes."""
    if envelope.payload.request_complete:
        await complete_after_projects(uow, envelope.payload.request_id, envelope.time)


SUBSCRIPTIONS = [
    Subscription(
        name="progress",
        handlers={
            MatchProposed: match_proposed,
            RequestCoverageChanged: coverage_changed,
            FundsReserved: funds_reserved,
            ProjectCompleted: project_completed,
        },
        topics=lambda topics: [topics.global_(Stream.MATCHES), topics.global_(Stream.FUNDS)],
    )
]
