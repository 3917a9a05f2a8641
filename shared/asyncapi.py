"""The AsyncAPI 3 document of every topic, tier, key and event, made from the code's own models.

Served by every service at `/asyncapi.json` and committed as `docs/asyncapi.json`
(`python -m deploy.local asyncapi`); a test keeps the two equal and validates the document
against the AsyncAPI 3.0 JSON Schema.
"""

from __future__ import annotations

from typing import Any

from pydantic.json_schema import models_json_schema

from shared.events import access, inventory, matching, requests
from shared.events.base import EventPayload
from shared.topics import GLOBAL_ONLY, Stream

REF = "#/components/schemas/{model}"

# Which stream each event travels on, and which service publishes it.
STREAMS: dict[Stream, tuple[str, tuple[type[EventPayload], ...]]] = {
    Stream.REQUESTS: ("requests", requests.PAYLOADS),
    Stream.SOURCES: ("inventory", (inventory.SourceChanged,)),
    Stream.FUNDS: (
        "inventory",
        tuple(p for p in inventory.PAYLOADS if p is not inventory.SourceChanged),
    ),
    Stream.MATCHES: ("matching", matching.PAYLOADS),
    Stream.ACCESS: ("the operators' command line", access.PAYLOADS),
}
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


def document(version: str = "1.0.0") -> dict[str, Any]:
    payloads = [p for _, classes in STREAMS.values() for p in classes]
    _, definitions = models_json_schema([(p, "validation") for p in payloads], ref_template=REF)
    channels, operations = _channels_and_operations()
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


def _channels_and_operations() -> tuple[dict[str, Any], dict[str, Any]]:
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for stream, (publisher, classes) in STREAMS.items():
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
