"""Events of the requests service: an assistance request's lifecycle."""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID

from pydantic import Field

from shared.events.base import EventPayload


class RequestSubmitted(EventPayload):
    """A national focal point submitted a request; its regional centre is asked to review it."""

    event_type: ClassVar[str] = "request.submitted"

    request_id: UUID
    state: str = Field(description="Requesting state, ISO 3166-1 alpha-3.")
    title: str
    regional_centre: str | None = Field(
        description="The centre that reviews it; none when the state has no centre."
    )


PAYLOADS: tuple[type[EventPayload], ...] = (RequestSubmitted,)
