"""The hard rules a pair of request and funding window must pass before it may be proposed.

Pure functions, no I/O. Each rule answers with a reason a person can read, so a proposal can say
why it was made and an unmatched request why nothing fits. `candidates.py` applies the same rules
to whole arrays at once; a property test keeps the two in agreement.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from shared.eligibility import is_eligible
from shared.events.inventory import SourceDetails, SourceStatus, WindowState
from shared.events.requests import RequestDetails
from shared.geography import RegionalNetwork


@dataclass(frozen=True)
class RuleResult:
    rule: str
    passed: bool
    detail: str


@dataclass(frozen=True)
class Pair:
    """One request, one source and one of its windows, on the day the rules are applied."""

    request: RequestDetails
    source: SourceDetails
    window: WindowState
    today: date
    network: RegionalNetwork


def supported_areas(source: SourceDetails, convention: str) -> frozenset[str] | None:
    """The areas a source supports under a convention; None: not the convention at all.
    An empty set means every area of the convention."""
    for support in source.supports:
        if support.convention == convention:
            return frozenset(support.areas)
    return None


def _active(p: Pair) -> RuleResult:
    return RuleResult("source-active", p.source.status is SourceStatus.ACTIVE, p.source.status)


def _convention(p: Pair) -> RuleResult:
    supported = supported_areas(p.source, p.request.convention) is not None
    return RuleResult(
        "convention",
        supported,
        f"supports {p.request.convention}" if supported else f"not {p.request.convention}",
    )


def _thematic_area(p: Pair) -> RuleResult:
    areas = supported_areas(p.source, p.request.convention)
    shared = (
        set(p.request.areas) if areas == frozenset() else set(p.request.areas) & (areas or set())
    )
    detail = ", ".join(sorted(shared)) if shared else "none of " + ", ".join(p.request.areas)
    return RuleResult("thematic-area", bool(shared), detail)


def _assistance_type(p: Pair) -> RuleResult:
    shared = set(p.request.assistance_types) & set(p.source.assistance_types)
    detail = (
        ", ".join(sorted(shared)) if shared else "none of " + ", ".join(p.request.assistance_types)
    )
    return RuleResult("assistance-type", bool(shared), detail)


def _recipient(p: Pair) -> RuleResult:
    eligible = is_eligible(p.source.eligibility, p.request.state, p.network)
    rule = p.source.eligibility.rule
    return RuleResult("recipient-eligible", eligible, f"{p.request.state} under rule {rule}")


def _window(p: Pair) -> RuleResult:
    w = p.window
    in_time = w.opens <= p.request.deadline and w.closes >= p.today
    detail = f"open {w.opens} to {w.closes}; deadline {p.request.deadline}"
    return RuleResult("window-open-before-deadline", in_time, detail)


def _currency(p: Pair) -> RuleResult:
    asked = p.request.amount.currency if p.request.amount else None
    same = asked is None or asked == p.window.currency
    return RuleResult("currency", same, f"window in {p.window.currency}, request in {asked}")


def _capacity(p: Pair) -> RuleResult:
    minimum = p.source.min_grant or Decimal(0)
    enough = p.window.available > 0 and p.window.available >= minimum
    return RuleResult(
        "capacity-at-least-min-grant", enough, f"{p.window.available} available, min {minimum}"
    )


RULES: tuple[Callable[[Pair], RuleResult], ...] = (
    _active,
    _convention,
    _thematic_area,
    _assistance_type,
    _recipient,
    _window,
    _currency,
    _capacity,
)
RULE_NAMES = (
    "source-active",
    "convention",
    "thematic-area",
    "assistance-type",
    "recipient-eligible",
    "window-open-before-deadline",
    "currency",
    "capacity-at-least-min-grant",
)


def check(pair: Pair) -> list[RuleResult]:
    """Every rule's verdict on the pair, in order."""
    return [rule(pair) for rule in RULES]


def first_failure(pair: Pair) -> str | None:
    """The first rule the pair breaks, or None when it passes them all."""
    for rule in RULES:
        result = rule(pair)
        if not result.passed:
            return result.rule
    return None


ALL_PASSED = "eligible-but-capacity-taken"


def why_unmatched(
    request: RequestDetails, sources: list[SourceDetails], today: date, network: RegionalNetwork
) -> tuple[str, dict[str, int]]:
    """Why no window serves a request: how many windows each rule stopped first, and the rule
    that stopped the most. Windows that pass every rule count as `eligible-but-capacity-taken`:
    the allocation gave their capacity to others, or their donors declined."""
    stopped: dict[str, int] = {}
    for source in sources:
        for window in source.windows:
            rule = first_failure(Pair(request, source, window, today, network)) or ALL_PASSED
            stopped[rule] = stopped.get(rule, 0) + 1
    if not stopped:
        return "no-sources", {}
    failing = {rule: n for rule, n in stopped.items() if rule != ALL_PASSED}
    reason = ALL_PASSED if ALL_PASSED in stopped else max(failing, key=lambda r: failing[r])
    return reason, stopped
