"""The events the matching service consumes, each with its handler: decode, call a use case.

Request and source events keep the read model and queue an incremental re-allocation; the
inventory's answers to an acceptance finish the saga; its ledger entries are kept for the
coalitions' summaries. Handlers never allocate themselves: the
allocator worker runs what they queued, in batches, so a burst of events costs one run.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.matching.adapters.repository import ReadModel
from services.matching.app import commands
from shared.consumer import HandlerMap
from shared.events import Envelope
from shared.events import requests as request_events
from shared.events.inventory import (
    FundsReservationFailed,
    FundsReserved,
    LedgerEntryRecorded,
    SourceChanged,
)
from shared.runtime import Subscription
from shared.topics import Stream
from shared.unit_of_work import UnitOfWork


async def record_request(
    session: AsyncSession, envelope: Envelope[request_events.RequestEvent]
) -> bool:
    """The read model's part of a request event; True when the event was the newest."""
    return await ReadModel(session).record_request(envelope.payload.request, envelope.time)


async def record_source(session: AsyncSession, envelope: Envelope[SourceChanged]) -> bool:
    return await ReadModel(session).record_source(envelope.payload.source)


async def record_ledger_entry(
    session: AsyncSession, envelope: Envelope[LedgerEntryRecorded]
) -> bool:
    """A pledge, commitment or disbursement, for the coalitions' summaries."""
    return await ReadModel(session).record_ledger_entry(envelope.payload)


READ_MODEL_HANDLERS: dict[type[Any], Callable[[AsyncSession, Envelope[Any]], Awaitable[bool]]] = {
    **{event: record_request for event in request_events.PAYLOADS},
    SourceChanged: record_source,
    LedgerEntryRecorded: record_ledger_entry,
}
"""What a rebuild replays: the read model alone, without any allocation or saga."""


async def request_changed(uow: UnitOfWork, envelope: Envelope[request_events.RequestEvent]) -> None:
    await commands.request_changed(uow, envelope.payload.request, envelope.time)


async def source_changed(uow: UnitOfWork, envelope: Envelope[SourceChanged]) -> None:
    await commands.source_changed(uow, envelope.payload.source)


async def funds_reserved(uow: UnitOfWork, envelope: Envelope[FundsReserved]) -> None:
    funds = envelope.payload
    await commands.funds_reserved(uow, funds.match_id, funds.amount, envelope.time)


async def reservation_failed(uow: UnitOfWork, envelope: Envelope[FundsReservationFailed]) -> None:
    failure = envelope.payload
    reason = f"{failure.reason}: {failure.detail}"
    await commands.reservation_failed(uow, failure.match_id, reason, envelope.time)


async def ledger_entry_recorded(uow: UnitOfWork, envelope: Envelope[LedgerEntryRecorded]) -> None:
    await record_ledger_entry(uow.session, envelope)


HANDLERS: HandlerMap = {
    **{event: request_changed for event in request_events.PAYLOADS},
    SourceChanged: source_changed,
    FundsReserved: funds_reserved,
    FundsReservationFailed: reservation_failed,
    LedgerEntryRecorded: ledger_entry_recorded,
}
SUBSCRIPTIONS = [
    Subscription(
        name="allocation",
        handlers=HANDLERS,
        topics=lambda topics: [
            topics.global_(Stream.REQUESTS),
            topics.global_(Stream.SOURCES),
            topics.global_(Stream.FUNDS),
        ],
    )
]
