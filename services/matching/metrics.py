"""The matching service's own metrics (the kernel's are in `shared.telemetry`)."""

from __future__ import annotations

from prometheus_client import Histogram

ALLOCATION_DURATION = Histogram(
    "clearinghouse_allocation_duration_seconds",
    "Time one allocation run takes (snapshot, plan, proposals stored), full or incremental",
    ["run"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
