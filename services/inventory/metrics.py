"""The inventory's own metrics (the kernel's are in `shared.telemetry`)."""

from __future__ import annotations

from prometheus_client import Counter

LEDGER_ENTRIES = Counter(
    "clearinghouse_ledger_entries",
    "Ledger entries written (pledges, commitments, disbursements), by kind",
    ["kind"],
)
