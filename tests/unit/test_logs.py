"""Log records are JSON objects carrying the request, event, trace and span ids."""

from __future__ import annotations

import io
import json
import logging
from typing import Any

from opentelemetry.sdk.trace import TracerProvider

from shared.http import request_id_var
from shared.logs import event_id_var, log_handler


def _logged(emit: Any, *, json_lines: bool = True) -> str:
    handler = log_handler("requests", json_lines)
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(io.StringIO())
    logger = logging.getLogger("tests.logs")
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.INFO)
    try:
        emit(logger)
    finally:
        logger.removeHandler(handler)
    output: str = handler.stream.getvalue()
    return output


def test_a_record_inside_a_span_and_a_request_carries_their_ids() -> None:
    tracer = TracerProvider().get_tracer("tests")
    request_token = request_id_var.set("req-1")
    event_token = event_id_var.set("8a3b4c38-7d42-4d5b-9f27-3c1a3d0b5f6e")

    def emit(logger: logging.Logger) -> None:
        with tracer.start_as_current_span("work") as span:
            emit.context = span.get_span_context()  # type: ignore[attr-defined]
            logger.warning("reserved %s", "USD 10")

    try:
        record = json.loads(_logged(emit))
    finally:
        request_id_var.reset(request_token)
        event_id_var.reset(event_token)

    context = emit.context  # type: ignore[attr-defined]
    assert record["message"] == "reserved USD 10"
    assert record["level"] == "WARNING"
    assert record["service"] == "requests"
    assert record["request_id"] == "req-1"
    assert record["event_id"] == "8a3b4c38-7d42-4d5b-9f27-3c1a3d0b5f6e"
    assert record["trace_id"] == format(context.trace_id, "032x")
    assert record["span_id"] == format(context.span_id, "016x")
    assert record["time"].startswith("20")


def test_outside_any_request_the_ids_are_dashes_and_text_format_is_one_line() -> None:
    record = json.loads(_logged(lambda logger: logger.info("idle")))
    text = _logged(lambda logger: logger.warning("plain"), json_lines=False)

    assert (record["request_id"], record["event_id"], record["trace_id"]) == ("-", "-", "-")
    assert text.count("\n") == 1
    assert "requests WARNING tests.logs [-] plain" in text
