"""The requests service's own metrics (the kernel's are in `shared.telemetry`)."""

from __future__ import annotations

from prometheus_client import Counter

TRANSITIONS = Counter(
    "clearinghouse_request_transitions",
    "Lifecycle transitions written to requests' history, by action",
    ["action"],
)
