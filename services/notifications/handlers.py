"""Events the notifications service listens to, each with its handler."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.notifications.store import NotificationRepository, NotificationRow
from shared.events import Envelope
from shared.events.requests import RequestSubmitted
from shared.runtime import Resources, Subscription
from shared.topics import Stream


async def request_submitted(session: AsyncSession, envelope: Envelope[RequestSubmitted]) -> None:
    request = envelope.payload.request
    NotificationRepository(session).add(
        NotificationRow(
            event_id=envelope.id,
            event_type=envelope.type,
            subject=str(request.request_id),
            summary=f"{request.state} submitted a request: {request.title}",
            occurred_at=envelope.time,
        )
    )


def subscriptions(resources: Resources) -> list[Subscription]:
    return [
        Subscription(
            name="feed",
            handlers={RequestSubmitted: request_submitted},
            topics=lambda topics: [topics.national(Stream.REQUESTS)],
        )
    ]
