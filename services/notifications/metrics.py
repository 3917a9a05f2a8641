"""The notifications service's own metrics (the kernel's are in `shared.telemetry`)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

# For the notifications service's webhook deliveries: one count per attempt by outcome
# (delivered, retrying, gave-up), and the time a subscriber's endpoint took to answer.
WEBHOOK_DELIVERIES = Counter(
    "clearinghouse_webhook_deliveries",
    "Webhook delivery attempts, by outcome",
    ["service", "outcome"],
)
WEBHOOK_DURATION = Histogram(
    "clearinghouse_webhook_duration_seconds",
    "Time a subscriber's endpoint took to answer a webhook delivery",
    ["service"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
