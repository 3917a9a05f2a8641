"""Every event type the system knows, by its CloudEvents `type` attribute."""

from __future__ import annotations

from shared.events import access, inventory, matching, requests
from shared.events.base import EventPayload

ALL_PAYLOADS: tuple[type[EventPayload], ...] = (
    *access.PAYLOADS,
    *requests.PAYLOADS,
    *requests.EXTENSION_PAYLOADS,
    *inventory.PAYLOADS,
    *matching.PAYLOADS,
)

EVENT_TYPES: dict[str, type[EventPayload]] = {p.cloudevent_type(): p for p in ALL_PAYLOADS}

if len(EVENT_TYPES) != len(ALL_PAYLOADS):
    raise RuntimeError("two payload classes share one CloudEvents type")


def payload_class(cloudevent_type: str) -> type[EventPayload] | None:
    return EVENT_TYPES.get(cloudevent_type)
