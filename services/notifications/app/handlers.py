"""The events the service takes in: every event of the other services goes to one handler.

Each is handled in the consumer's unit of work, which claims it in the inbox, so all that it
yields (read models, the journey, notifications, webhook deliveries) happens once per event.
"""

from __future__ import annotations

from typing import Any

from services.notifications.app.commands import note_event
from shared.consumer import Handler
from shared.events import ALL_PAYLOADS, Envelope, EventPayload
from shared.events import access as acc
from shared.runtime import Subscription
from shared.topics import Stream
from shared.unit_of_work import UnitOfWork


async def take_in(uow: UnitOfWork, envelope: Envelope[Any]) -> None:
    """Learn from one event, keep it, and store the notifications it yields."""
    await note_event(uow, envelope)


FEED_HANDLERS: dict[type[EventPayload], Handler] = {
    payload: take_in for payload in ALL_PAYLOADS if payload not in acc.PAYLOADS
}

# One consumer group reads every tier it needs: all request events are on the national topic;
# matches, funds and sources on the global one.
SUBSCRIPTIONS = [
    Subscription(
        name="feed",
        handlers=FEED_HANDLERS,
        topics=lambda topics: [
            topics.national(Stream.REQUESTS),
            topics.global_(Stream.MATCHES),
            topics.global_(Stream.FUNDS),
            topics.global_(Stream.SOURCES),
        ],
    )
]
