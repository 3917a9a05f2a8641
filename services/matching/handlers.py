"""Events the matching service listens to, each with its handler.

Request and source events keep the read model and queue an incremental re-allocation; the
inventory's answers to an acceptance finish the saga. Handlers never allocate themselves: the
allocator worker runs what they queued, in batches, so a burst of events costs one run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from services.matching import events
from services.matching.allocator import refresh_coverage
from services.matching.domain import MATCHABLE_REQUESTS, Match, MatchStatus
from services.matching.store import AllocationQueue, MatchRepository, ReadModel
from shared.consumer import HandlerMap
from shared.events import Envelope
from shared.events import requests as request_events
from shared.events.inventory import FundsReservationFailed, FundsReserved, SourceChanged
from shared.runtime import Resources, Subscription
from shared.topics import Stream

log = logging.getLogger(__name__)


async def record_request(
    session: AsyncSession, envelope: Envelope[request_events.RequestEvent]
) -> bool:
    """The read model's part of a request event; True when the event was the newest."""
    return await ReadModel(session).record_request(envelope.payload.request, envelope.time)


async def record_source(session: AsyncSession, envelope: Envelope[SourceChanged]) -> bool:
    return await ReadModel(session).record_source(envelope.payload.source)


READ_MODEL_HANDLERS: dict[type[Any], Callable[[AsyncSession, Envelope[Any]], Any]] = {
    **{event: record_request for event in request_events.PAYLOADS},
    SourceChanged: record_source,
}
"""What a rebuild replays: the read model alone, without any allocation or saga."""


def subscriptions(resources: Resources) -> list[Subscription]:
    async def request_changed(
        session: AsyncSession, envelope: Envelope[request_events.RequestEvent]
    ) -> None:
        request = envelope.payload.request
        if not await record_request(session, envelope):
            return  # an older version than we have: nothing to do
        if request.status not in MATCHABLE_REQUESTS:
            await _withdraw_proposals(
                session, request.request_id, f"request {request.status}", envelope.time
            )
        await AllocationQueue(session).add("request", request.request_id)

    async def _withdraw_proposals(
        session: AsyncSession, request_id: UUID, reason: str, now: datetime
    ) -> None:
        repository = MatchRepository(session)
        for match in await repository.of_requests([request_id], [MatchStatus.PROPOSED], lock=True):
            match.withdraw(reason, now)
            await repository.save(match)
            await events.publish(session, resources.outbox, resources.topics, match)

    async def source_changed(session: AsyncSession, envelope: Envelope[SourceChanged]) -> None:
        if await record_source(session, envelope):
            await AllocationQueue(session).add("source", envelope.payload.source.source_id)

    async def funds_reserved(session: AsyncSession, envelope: Envelope[FundsReserved]) -> None:
        funds = envelope.payload
        await _answer(
            session, funds.match_id, lambda m: m.funds_reserved(funds.amount, envelope.time)
        )

    async def reservation_failed(
        session: AsyncSession, envelope: Envelope[FundsReservationFailed]
    ) -> None:
        failure = envelope.payload
        reason = f"{failure.reason}: {failure.detail}"
        if await _answer(
            session, failure.match_id, lambda m: m.reservation_failed(reason, envelope.time)
        ):
            await AllocationQueue(session).add("request", failure.request_id)

    async def _answer(
        session: AsyncSession, match_id: UUID, apply: Callable[[Match], bool]
    ) -> bool:
        """The inventory's answer to an acceptance; a repeat or a stray answer changes nothing."""
        repository = MatchRepository(session)
        match = await repository.get(match_id, for_update=True)
        if match is None or not apply(match):
            log.info("inventory answer for match %s changes nothing", match_id)
            return False
        await repository.save(match)
        await events.publish(session, resources.outbox, resources.topics, match)
        await refresh_coverage(session, resources, match.request_id)
        return True

    handlers: HandlerMap = {
        **{event: request_changed for event in request_events.PAYLOADS},
        SourceChanged: source_changed,
        FundsReserved: funds_reserved,
        FundsReservationFailed: reservation_failed,
    }
    return [
        Subscription(
            name="allocation",
            handlers=handlers,
            topics=lambda topics: [
                topics.global_(Stream.REQUESTS),
                topics.global_(Stream.SOURCES),
                topics.global_(Stream.FUNDS),
            ],
        )
    ]
