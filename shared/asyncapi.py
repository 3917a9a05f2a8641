"""The AsyncAPI 3 document of topics, tiers, keys and events, made from the code's own models and
from what each service declares: the payloads it publishes on each stream, and what its
subscriptions consume.

Each service serves the part it declares at `/asyncapi.json`; the whole system's document, from
every service's declaration, is committed as `docs/asyncapi.json` (`python -m deploy.local
asyncapi`); a test keeps the two equal and validates the document against AsyncAPI 3.0's schema.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Protocol

from pydantic.json_schema import models_json_schema

from shared.events import access
from shared.events.base import EventPayload
from shared.topics import GLOBAL_ONLY, Stream, Topics

REF = "#/components/schemas/{model}"
KERNEL = "the operators' command line"
"""Who publishes the access stream: API keys are issued and revoked by `deploy.local keys`."""

TIERS = {
    "national": ("{prefix}.national.{stream}", "What national focal points announce."),
    "regional": (
        "{prefix}.regional.{centre}.{stream}",
        "One per regional centre: the events about its region's states.",
    ),
    "global": ("{prefix}.global.{stream}", "The secretariat's tier: everything matching needs."),
}
PARAMETERS = {
    "prefix": {"description": "TOPIC_PREFIX of the deployment", "default": "clearinghouse"},
    "centre": {"description": "A regional centre id, e.g. south-eastern-asia"},
}


class Subscribes(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def handlers(self) -> Mapping[type[EventPayload], Any]: ...
    @property
    def topics(self) -> Callable[[Topics], Sequence[str]]: ...


class Declares(Protocol):
    """What a service definition says about its events (`shared.runtime.ServiceDefinition`)."""

    @property
    def name(self) -> str: ...
    @property
    def publishes(self) -> Mapping[Stream, Sequence[type[EventPayload]]]: ...
    @property
    def subscriptions(self) -> Sequence[Subscribes]: ...


def document(services: Iterable[Declares], version: str = "1.0.0") -> dict[str, Any]:
    services = list(services)
    streams = _publishers(services)
    payloads = [p for _, classes in streams.values() for p in classes]
    _, definitions = models_json_schema([(p, "validation") for p in payloads], ref_template=REF)
    channels, operations = _channels_and_operations(streams)
    operations.update(_receive_operations(services, channels))
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Clearing-house for international cooperation and assistance: events",
            "version": version,
            "description": (
                "Every record is a CloudEvents 1.0 event in the Kafka binding's structured mode: "
                "the value is the whole event as JSON, the key is the id of the request, source or "
                "API key the event is about (also the `partitionkey` attribute), so each one's "
                "events stay in order."
            ),
        },
        "defaultContentType": "application/cloudevents+json",
        "servers": {
            "local": {
                "host": "127.0.0.1:9092",
                "protocol": "kafka",
                "description": "The broker `make run` starts",
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {
            "messages": {p.__name__: _message(p) for p in payloads},
            "schemas": definitions.get("$defs", {}),
        },
    }


def _publishers(
    services: list[Declares],
) -> dict[Stream, tuple[str, tuple[type[EventPayload], ...]]]:
    """Which stream each event travels on, and who publishes it."""
    streams = {
        stream: (service.name, tuple(payloads))
        for service in services
        for stream, payloads in service.publishes.items()
    }
    streams[Stream.ACCESS] = (KERNEL, access.PAYLOADS)
    return {stream: streams[stream] for stream in Stream if stream in streams}


def _channels_and_operations(
    streams: Mapping[Stream, tuple[str, tuple[type[EventPayload], ...]]],
) -> tuple[dict[str, Any], dict[str, Any]]:
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for stream, (publisher, classes) in streams.items():
        tiers = ["global"] if stream in GLOBAL_ONLY else list(TIERS)
        for tier in tiers:
            address, description = TIERS[tier]
            name = f"{tier}-{stream}"
            parameters = ["prefix", "centre"] if tier == "regional" else ["prefix"]
            channels[name] = {
                "address": address.replace("{stream}", stream.value),
                "description": f"{description} Stream: {stream.value}.",
                "parameters": {p: PARAMETERS[p] for p in parameters},
                "messages": {
                    p.__name__: {"$ref": f"#/components/messages/{p.__name__}"} for p in classes
                },
            }
            operations[f"publish-{name}"] = {
                "action": "send",
                "summary": f"Published by {publisher}",
                "channel": {"$ref": f"#/channels/{name}"},
                "messages": [{"$ref": f"#/channels/{name}/messages/{p.__name__}"} for p in classes],
            }
    return channels, operations


def _receive_operations(services: list[Declares], channels: Mapping[str, Any]) -> dict[str, Any]:
    """One operation per service, subscription and channel it reads, with the messages it handles
    there."""
    operations: dict[str, Any] = {}
    for service in services:
        for subscription in service.subscriptions:
            for topic in subscription.topics(Topics("{prefix}")):
                name = _channel_of(topic)
                handled = [
                    p.__name__
                    for p in subscription.handlers
                    if p.__name__ in channels.get(name, {}).get("messages", {})
                ]
                if not handled:
                    continue
                operations[f"receive-{name}-{service.name}-{subscription.name}"] = {
                    "action": "receive",
                    "summary": f"Consumed by {service.name} ({subscription.name})",
                    "channel": {"$ref": f"#/channels/{name}"},
                    "messages": [{"$ref": f"#/channels/{name}/messages/{p}"} for p in handled],
                }
    return operations


def _channel_of(topic: str) -> str:
    """`{prefix}.global.requests` is read on the channel `global-requests`."""
    parts = topic.split(".")
    return f"{parts[1]}-{parts[-1]}"


def _message(payload: type[EventPayload]) -> dict[str, Any]:
    return {
        "name": payload.cloudevent_type(),
        "title": payload.__name__,
        "summary": (payload.__doc__ or payload.__name__).strip().splitlines()[0],
        "contentType": "application/cloudevents+json",
        "payload": {
            "type": "object",
            "required": ["specversion", "id", "source", "type", "data"],
            "properties": {
                "specversion": {"const": "1.0"},
                "id": {"type": "string", "format": "uuid"},
                "source": {"type": "string"},
                "type": {"const": payload.cloudevent_type()},
                "time": {"type": "string", "format": "date-time"},
                "subject": {"type": "string"},
                "partitionkey": {"type": "string"},
                "traceparent": {"type": "string", "description": "W3C trace context"},
                "datacontenttype": {"const": "application/json"},
                "data": {"$ref": REF.format(model=payload.__name__)},
            },
        },
        "bindings": {
            "kafka": {
                "key": {"type": "string", "description": "The id the event is about"},
                "bindingVersion": "0.5.0",
            }
        },
    }
