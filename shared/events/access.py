"""Events of API keys: every service keeps its own table of keys from these."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from shared.events.base import EventPayload


class ApiKeyIssued(EventPayload):
    """A key was issued to a principal. Carries the key's hash, never the key."""

    event_type: ClassVar[str] = "access.key-issued"

    key_id: str
    secret_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    role: str
    state: str | None = None
    centre: str | None = None
    donor: str | None = None
    name: str = ""


class ApiKeyRevoked(EventPayload):
    event_type: ClassVar[str] = "access.key-revoked"

    key_id: str


PAYLOADS: tuple[type[EventPayload], ...] = (ApiKeyIssued, ApiKeyRevoked)
