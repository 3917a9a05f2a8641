"""The events the inventory consumes, each with its handler: decode, call a use case.

- `match.accepted`: reserve the accepted amount on the source's window, or say why not
  (`commands.reserve`: exactly one answer per match).
- `request.withdrawn`, `request.expired`: a request that closed no longer needs what was held for
  it; its held reservations are released, and the windows get the amounts back.
- every request event: the inventory's copy of the request (`adapters.request_projection`), which
  the IATI export describes and an IATI import checks the requests it names against.
"""

from __future__ import annotations

from services.inventory.adapters.request_projection import RequestProjection
from services.inventory.app.commands import release_for, reserve
from services.inventory.domain.ledger import Acceptance
from shared import clock
from shared.events import Envelope
from shared.events import requests as request_events
from shared.events.matching import MatchAccepted
from shared.events.requests import RequestEvent, RequestExpired, RequestWithdrawn
from shared.runtime import Subscription
from shared.topics import Stream
from shared.unit_of_work import UnitOfWork


async def match_accepted(uow: UnitOfWork, envelope: Envelope[MatchAccepted]) -> None:
    match = envelope.payload.match
    acceptance = Acceptance(
        match_id=match.match_id,
        request_id=match.request_id,
        state=match.state,
        source_id=match.source_id,
        window_id=match.window_id,
        amount=match.amount,
        currency=match.currency,
        unit=match.unit,
        accepted_by=envelope.payload.accepted_by,
    )
    await reserve(uow, acceptance, clock.now())


async def request_closed(uow: UnitOfWork, envelope: Envelope[RequestEvent]) -> None:
    request = envelope.payload.request
    actor = f"requests:{request.status}"
    await release_for(uow, request.request_id, actor, clock.now())


async def request_changed(uow: UnitOfWork, envelope: Envelope[RequestEvent]) -> None:
    await RequestProjection(uow.session).record(envelope.payload.request)


SUBSCRIPTIONS = [
    Subscription(
        name="reservations",
        handlers={
            MatchAccepted: match_accepted,
            RequestWithdrawn: request_closed,
            RequestExpired: request_closed,
        },
        topics=lambda topics: [topics.global_(Stream.MATCHES), topics.global_(Stream.REQUESTS)],
    ),
    Subscription(
        name="requests",
        handlers={event: request_changed for event in request_events.PAYLOADS},
        topics=lambda topics: [topics.global_(Stream.REQUESTS)],
    ),
]
