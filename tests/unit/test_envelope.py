import json

import pytest

from shared.events import ALL_PAYLOADS, Envelope, MalformedEvent, decode, encode
from shared.events.requests import RequestSubmitted
from tests.factories import submitted_event


def submitted() -> Envelope[RequestSubmitted]:
    payload = submitted_event()
    return Envelope(payload=payload, key=str(payload.request.request_id), source="/tests")


def test_round_trip_keeps_every_attribute_and_the_payload() -> None:
    envelope = submitted()

    message = encode(envelope)
    decoded = decode(
        message.value, message.key.encode() if isinstance(message.key, str) else message.key
    )

    assert decoded == envelope
    assert isinstance(decoded.payload, RequestSubmitted)


def test_structured_mode_puts_a_cloudevent_document_in_the_value() -> None:
    envelope = submitted()

    message = encode(envelope)
    document = json.loads(message.value)

    assert message.headers["content-type"] == b"application/cloudevents+json"
    assert message.key == envelope.key
    assert document["specversion"] == "1.0"
    assert document["type"] == "org.clearinghouse.request.submitted.v1"
    assert document["id"] == str(envelope.id)
    assert document["data"]["request"]["state"] == "LAO"


def test_a_consumer_ignores_fields_a_newer_producer_added() -> None:
    document = json.loads(encode(submitted()).value)
    document["data"]["added_later"] = "ignored"

    decoded = decode(json.dumps(document).encode())

    assert isinstance(decoded.payload, RequestSubmitted)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (b"", "empty record"),
        (b"not json", "not a CloudEvent"),
        (b'{"specversion": "1.0", "id": "1", "type": "x"}', "not a CloudEvent"),
        (
            b'{"specversion": "1.0", "id": "1", "source": "/t", "type": "org.example.other.v1"}',
            "unknown event type",
        ),
        (
            b'{"specversion": "1.0", "id": "1", "source": "/t",'
            b' "type": "org.clearinghouse.request.submitted.v1", "data": {"actor": "x"}}',
            "invalid org.clearinghouse.request.submitted.v1",
        ),
    ],
)
def test_malformed_records_are_refused_with_the_reason(value: bytes, reason: str) -> None:
    with pytest.raises(MalformedEvent, match=reason):
        decode(value)


def test_every_event_type_is_versioned_and_unique() -> None:
    types = [payload.cloudevent_type() for payload in ALL_PAYLOADS]

    assert len(types) == len(set(types))
    assert all(t.startswith("org.clearinghouse.") and ".v" in t for t in types)
