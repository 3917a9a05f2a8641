"""CloudEvents 1.0 over Kafka, structured content mode, through the CloudEvents SDK.

Structured mode puts the whole event (attributes and data) in the record's value as
`application/cloudevents+json`. We chose it over binary mode because the record is then
self-describing: a regional centre reading its topic with any Kafka tool, a dead-letter topic, or a
replay copies one JSON document and loses nothing, whereas binary mode spreads the attributes over
`ce_` headers that tools and copies tend to drop. The record key is the `partitionkey` extension:
the id of the request or source the event is about, which keeps that aggregate's events in order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar
from uuid import UUID, uuid4

from cloudevents.core.bindings import kafka as ce_kafka
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent
from pydantic import ValidationError

from shared.events.base import EventPayload
from shared.events.registry import payload_class

P = TypeVar("P", bound=EventPayload)

KafkaMessage = ce_kafka.KafkaMessage
_FORMAT = JSONFormat()
TRACEPARENT = "traceparent"


class MalformedEvent(ValueError):
    """A record that is not a CloudEvent of a known type with a valid payload."""


@dataclass(frozen=True)
class Envelope(Generic[P]):
    """One event: its payload and the CloudEvents attributes around it."""

    payload: P
    key: str
    source: str
    id: UUID = field(default_factory=uuid4)
    time: datetime = field(default_factory=lambda: datetime.now(UTC))
    traceparent: str | None = None

    @property
    def type(self) -> str:
        return self.payload.cloudevent_type()


def encode(envelope: Envelope[Any]) -> KafkaMessage:
    attributes: dict[str, Any] = {
        "id": str(envelope.id),
        "source": envelope.source,
        "type": envelope.type,
        "time": envelope.time,
        "subject": envelope.key,
        "datacontenttype": "application/json",
        ce_kafka.PARTITIONKEY_ATTR: envelope.key,
    }
    if envelope.traceparent:
        attributes[TRACEPARENT] = envelope.traceparent
    event = CloudEvent(attributes, envelope.payload.model_dump(mode="json"))
    return ce_kafka.to_structured(event, _FORMAT)


def decode(value: bytes | None, key: bytes | None = None) -> Envelope[EventPayload]:
    """Parse a structured-mode record; raises MalformedEvent with the reason."""
    if not value:
        raise MalformedEvent("empty record")
    message = KafkaMessage(headers={}, key=key, value=value)
    try:
        event = ce_kafka.from_structured(message, _FORMAT, CloudEvent)
    except Exception as error:  # the SDK raises several unrelated types for a bad document
        raise MalformedEvent(f"not a CloudEvent: {error}") from error
    attributes = event.get_attributes()
    payload_type = payload_class(str(attributes["type"]))
    if payload_type is None:
        raise MalformedEvent(f"unknown event type {attributes['type']!r}")
    try:
        payload = payload_type.model_validate(event.get_data())
        event_id = UUID(str(attributes["id"]))
    except (ValidationError, ValueError) as error:
        raise MalformedEvent(f"invalid {attributes['type']} event: {error}") from error
    partition_key = attributes.get(ce_kafka.PARTITIONKEY_ATTR) or attributes.get("subject")
    return Envelope(
        payload=payload,
        key=str(partition_key or ""),
        source=str(attributes["source"]),
        id=event_id,
        time=attributes.get("time") or datetime.now(UTC),
        traceparent=attributes.get(TRACEPARENT),
    )
