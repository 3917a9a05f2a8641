"""Events the inventory listens to, each with its handler.

- `match.accepted`: reserve the accepted amount on the source's window, or say why not. Exactly
  one answer per match: the consumer's inbox drops a redelivered event, and the unique `match_id`
  of the reservations table refuses a second answer to the same match carried by another event
  (a duplicate the matching service sent twice); the check below spares that refusal in the
  common case, and a concurrent duplicate that gets past it fails on the constraint, is retried,
  and then finds the answer.
- `request.withdrawn`, `request.expired`: a request that closed no longer needs what was held for
  it; its held reservations are released, and the windows get the amounts back.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from services.inventory.domain import ReservationMade
from services.inventory.events import publish_answer, save_and_publish
from services.inventory.ledger import Acceptance, Refusal, Reservation, ReservationStatus
from services.inventory.ledger_store import LedgerRepository
from services.inventory.store import SourceRepository
from shared.events import Envelope
from shared.events.inventory import ReservationFailure
from shared.events.matching import MatchAccepted
from shared.events.requests import RequestEvent, RequestExpired, RequestWithdrawn
from shared.runtime import Resources, Subscription
from shared.topics import Stream

log = logging.getLogger(__name__)
HELD = ReservationStatus.HELD.value


async def reserve(
    session: AsyncSession, resources: Resources, acceptance: Acceptance, now: datetime
) -> None:
    """Answer one accepted match, unless it has its answer already."""
    repository = SourceRepository(session)
    source = await repository.get(acceptance.source_id, for_update=True)
    if await LedgerRepository(session).answered(acceptance.match_id):
        log.info("match %s has its answer already", acceptance.match_id)
        return
    if source is not None:
        source.reserve(acceptance, now.date(), resources.network, now)
        await save_and_publish(session, resources, source)
        return
    unknown = Refusal(ReservationFailure.UNKNOWN_SOURCE, f"no source {acceptance.source_id}")
    refusal = Reservation.answer(acceptance, now, window_id=None, refusal=unknown)
    await repository.record([ReservationMade(refusal)])
    await publish_answer(session, resources, refusal)


async def release_for(
    session: AsyncSession, resources: Resources, request_id: UUID, actor: str, now: datetime
) -> None:
    """Release what is held for a request that closed."""
    ledger, repository = LedgerRepository(session), SourceRepository(session)
    held = await ledger.reservations(request_id=request_id, status=HELD)
    for source_id in sorted({r.source_id for r in held}):  # one lock order: no deadlocks
        source = await repository.get(source_id, for_update=True)
        if source is None:
            continue
        for reservation in await ledger.reservations(
            request_id=request_id, source_id=source_id, status=HELD
        ):
            source.release(reservation, actor, now)
        await save_and_publish(session, resources, source)


def subscriptions(resources: Resources) -> list[Subscription]:
    async def match_accepted(session: AsyncSession, envelope: Envelope[MatchAccepted]) -> None:
        match = envelope.payload.match
        acceptance = Acceptance(
            match_id=match.match_id,
            request_id=match.request_id,
            state=match.state,
            source_id=match.source_id,
            window_id=match.window_id,
            amount=match.amount,
            currency=match.currency,
            accepted_by=envelope.payload.accepted_by,
        )
        await reserve(session, resources, acceptance, datetime.now(UTC))

    async def request_closed(session: AsyncSession, envelope: Envelope[RequestEvent]) -> None:
        request = envelope.payload.request
        actor = f"requests:{request.status}"
        await release_for(session, resources, request.request_id, actor, datetime.now(UTC))

    return [
        Subscription(
            name="reservations",
            handlers={
                MatchAccepted: match_accepted,
                RequestWithdrawn: request_closed,
                RequestExpired: request_closed,
            },
            topics=lambda topics: [topics.global_(Stream.MATCHES), topics.global_(Stream.REQUESTS)],
        )
    ]
