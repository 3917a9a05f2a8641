"""Logging for a service process: one JSON object per line, with the ids that tie records together.

Each record carries the HTTP request id, the id of the event being handled and the trace and span
ids of the current span, when there are any, so one partner's call can be followed from its HTTP
request through every service's logs. `LOG_FORMAT=text` gives plain lines for reading by eye.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar

from opentelemetry import trace
from pythonjsonlogger.json import JsonFormatter

from shared.http import request_id_var

event_id_var: ContextVar[str | None] = ContextVar("event_id", default=None)
TEXT_FORMAT = "%(asctime)s {service} %(levelname)s %(name)s [%(request_id)s] %(message)s"
JSON_FIELDS = "%(levelname)s %(name)s %(message)s"


class _Context(logging.Filter):
    """Adds the service, request, event, trace and span ids to every record."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        record.service = self.service
        record.request_id = request_id_var.get() or "-"
        record.event_id = event_id_var.get() or "-"
        context = trace.get_current_span().get_span_context()
        record.trace_id = format(context.trace_id, "032x") if context.is_valid else "-"
        record.span_id = format(context.span_id, "016x") if context.is_valid else "-"
        return True


def log_handler(service: str, json: bool = True) -> logging.Handler:
    handler = logging.StreamHandler()
    handler.addFilter(_Context(service))
    if json:
        handler.setFormatter(
            JsonFormatter(
                JSON_FIELDS,
                rename_fields={"levelname": "level", "name": "logger"},
                timestamp="time",
            )
        )
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT.format(service=service)))
    return handler


def configure_logging(service: str, level: str = "INFO", json: bool = True) -> None:
    logging.basicConfig(level=level.upper(), handlers=[log_handler(service, json)], force=True)
    logging.getLogger("aiokafka").setLevel(logging.WARNING)
