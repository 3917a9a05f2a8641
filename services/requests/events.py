"""Domain events of a request told to the other services: the one translation to shared.events."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.requests.domain import AssistanceRequest, Submitted
from shared.events import Envelope
from shared.events.requests import RequestSubmitted
from shared.outbox import Outbox
from shared.topics import Stream, Topics

SOURCE = "/clearinghouse/requests"


async def publish(
    session: AsyncSession, outbox: Outbox, topics: Topics, request: AssistanceRequest
) -> None:
    """Write the request's new domain events to the outbox, each on the topics of its tier."""
    for event in request.events:
        match event:
            case Submitted():
                payload = RequestSubmitted(
                    request_id=event.request_id,
                    state=event.state,
                    title=event.title,
                    regional_centre=event.regional_centre,
                )
                tiers = [topics.national(Stream.REQUESTS)]
                if event.regional_centre:
                    tiers.append(topics.regional(event.regional_centre, Stream.REQUESTS))
                else:
                    tiers.append(topics.global_(Stream.REQUESTS))
        envelope = Envelope(payload=payload, key=str(request.id), source=SOURCE)
        await outbox.add(session, envelope, *tiers)
    request.events.clear()
