"""Who helps a coalition's state with what, and what is still missing. Pure, no I/O.

The coalition's requests are the state's requests under its convention and areas: open ones
(submitted up to matched) and funded ones (funded, completed). Their need is what they ask, in
each currency and each unit in kind apart (never added together). Against it:

- covered: what donors accepted in matches the inventory has not refused (as coverage counts);
- for each party that gives (members first, then any other donor): what its sources propose now,
  cover, and what its ledger records for these requests as pledged, committed and disbursed
  (corrections included; ledger entries for no request are not any state's);
- missing: the need less what is covered.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from services.matching.domain.coalitions import Coalition, concerns
from services.matching.domain.model import COMMITTED, Match, MatchStatus
from shared.events.requests import RequestDetails

OPEN = frozenset({"submitted", "endorsed", "published", "partly_matched", "matched"})
FUNDED = frozenset({"funded", "completed"})
ZERO = Decimal(0)
LEDGER_KINDS = ("pledged", "committed", "disbursed")


@dataclass(frozen=True)
class Given:
    """One ledger entry as the summary counts it: which party's source gave what."""

    party: str | None
    kind: str
    amount: Decimal
    measure: str


@dataclass
class Figures:
    """What one party gives in one currency or unit."""

    proposed: Decimal = ZERO
    covered: Decimal = ZERO
    pledged: Decimal = ZERO
    committed: Decimal = ZERO
    disbursed: Decimal = ZERO


@dataclass
class Need:
    """The coalition's need in one currency or unit, and what is covered and missing of it."""

    measure: str
    asked: Decimal = ZERO
    covered: Decimal = ZERO

    @property
    def missing(self) -> Decimal:
        return max(self.asked - self.covered, ZERO)


@dataclass
class Summary:
    open_requests: list[RequestDetails]
    funded_requests: list[RequestDetails]
    needs: list[Need]
    by_party: dict[str | None, dict[str, Figures]] = field(default_factory=dict)
    """Each giving party's figures by currency or unit; None: sources without a donor."""
    members: frozenset[str] = frozenset()


def coalition_requests(
    coalition: Coalition, requests: Iterable[RequestDetails]
) -> list[RequestDetails]:
    """The state's requests under the coalition's convention and areas, open or funded."""
    return [
        r
        for r in requests
        if r.state == coalition.state
        and r.status in OPEN | FUNDED
        and concerns(coalition, r.convention, r.areas)
    ]


def summarise(
    coalition: Coalition,
    requests: list[RequestDetails],
    matches: list[Match],
    ledger: list[Given],
) -> Summary:
    """The coalition's requests, its need and who gives what of it (see the module)."""
    mine = coalition_requests(coalition, requests)
    needs: dict[str, Need] = {}
    for request in mine:
        for measure, asked in _asked(request):
            needs.setdefault(measure, Need(measure)).asked += asked
    by_party: dict[str | None, dict[str, Figures]] = defaultdict(lambda: defaultdict(Figures))
    ids = {r.request_id for r in mine}
    for m in matches:
        if m.request_id not in ids:
            continue
        measure = m.unit or m.currency or ""
        figures = by_party[m.donor][measure]
        if m.status in COMMITTED:
            figures.covered += m.amount
            needs.setdefault(measure, Need(measure)).covered += m.amount
        elif m.status is MatchStatus.PROPOSED:
            figures.proposed += m.amount
    for entry in ledger:
        figures = by_party[entry.party][entry.measure]
        setattr(figures, entry.kind, getattr(figures, entry.kind) + entry.amount)
    return Summary(
        open_requests=[r for r in mine if r.status in OPEN],
        funded_requests=[r for r in mine if r.status in FUNDED],
        needs=sorted(needs.values(), key=lambda n: n.measure),
        by_party={party: dict(figures) for party, figures in by_party.items()},
        members=frozenset(m.party for m in coalition.members),
    )


def _asked(request: RequestDetails) -> list[tuple[str, Decimal]]:
    """What the request asks: its money in its currency, each need in kind in its unit."""
    asked = [(request.amount.currency, request.amount.value)] if request.amount else []
    return asked + [(need.unit, need.quantity) for need in request.in_kind]
