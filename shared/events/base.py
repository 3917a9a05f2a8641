"""The base of every event payload: a typed, versioned pydantic model."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict

TYPE_PREFIX = "org.clearinghouse."


class EventPayload(BaseModel):
    """The data of one event type at one version.

    Additive changes (a new optional field) keep the version: consumers ignore fields they do not
    know. A change that would break a consumer is a new class with the next version, published
    beside the old one until every consumer reads the new one.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    event_type: ClassVar[str]
    version: ClassVar[int] = 1

    @classmethod
    def cloudevent_type(cls) -> str:
        """The CloudEvents `type` attribute, e.g. `org.clearinghouse.request.submitted.v1`."""
        return f"{TYPE_PREFIX}{cls.event_type}.v{cls.version}"
