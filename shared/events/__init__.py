"""The only contract between services: typed, versioned event payloads in a CloudEvents envelope."""

from shared.events.base import EventPayload
from shared.events.envelope import Envelope, KafkaMessage, MalformedEvent, decode, encode
from shared.events.registry import ALL_PAYLOADS, EVENT_TYPES, payload_class

__all__ = [
    "ALL_PAYLOADS",
    "EVENT_TYPES",
    "Envelope",
    "EventPayload",
    "KafkaMessage",
    "MalformedEvent",
    "decode",
    "encode",
    "payload_class",
]
