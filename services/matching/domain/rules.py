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
from uuid import UUID

from shared.eligibility import is_eligible
from shared.events.inventory import SourceDetails, SourceStatus, WindowKind, WindowState
from shared.events.requests import RequestDetails
from shared.geography import RegionalNetwork, party_of_state


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
    active = p.source.status is SourceStatus.ACTIVE
    detail = "active" if active else f"{p.source.name} is {p.source.status}"
    return RuleResult("source-active", active, detail)


def _convention(p: Pair) -> RuleResult:
    supported = supported_areas(p.source, p.request.convention) is not None
    if supported:
        return RuleResult("convention", True, f"supports {p.request.convention}")
    conventions = ", ".join(s.convention for s in p.source.supports)
    return RuleResult("convention", False, f"supports {conventions}, not {p.request.convention}")


def _thematic_area(p: Pair) -> RuleResult:
    areas = supported_areas(p.source, p.request.convention)
    shared = (
        set(p.request.areas) if areas == frozenset() else set(p.request.areas) & (areas or set())
    )
    if shared:
        return RuleResult("thematic-area", True, ", ".join(sorted(shared)))
    asked = ", ".join(p.request.areas)
    return RuleResult("thematic-area", False, f"supports none of {asked} ({p.request.convention})")


def _assistance_kind(p: Pair) -> RuleResult:
    """Money is proposed from money windows and help in kind from windows of the same unit:
    a window's capacity is never proposed in another kind or unit."""
    asked, units = p.request.amount, [need.unit for need in p.request.in_kind]
    asks = ", ".join([*([f"money ({asked.currency})"] if asked else []), *units]) or "nothing"
    if p.window.kind is WindowKind.MONEY:
        detail = f"window gives money ({p.window.currency}); the request asks {asks}"
        return RuleResult("assistance-kind", asked is not None, detail)
    detail = f"window gives {p.window.unit} in kind; the request asks {asks}"
    return RuleResult("assistance-kind", p.window.unit in units, detail)


def _assistance_type(p: Pair) -> RuleResult:
    shared = set(p.request.assistance_types) & set(p.source.assistance_types)
    if shared:
        return RuleResult("assistance-type", True, ", ".join(sorted(shared)))
    gives, asked = ", ".join(p.source.assistance_types), ", ".join(p.request.assistance_types)
    return RuleResult("assistance-type", False, f"gives {gives}; asked {asked}")


def _recipient(p: Pair) -> RuleResult:
    """The source admits the requesting state, and is not that state's own: a state does not
    fund itself."""
    if p.source.donor is not None and p.source.donor == party_of_state(p.request.state):
        detail = f"a state does not fund itself: {p.source.name} is {p.request.state}'s own"
        return RuleResult("recipient-eligible", False, detail)
    eligible = is_eligible(p.source.eligibility, p.request.state, p.network)
    rule = p.source.eligibility.rule
    detail = f"{p.request.state} under rule {rule}"
    return RuleResult(
        "recipient-eligible", eligible, detail if eligible else "does not admit " + detail
    )


def _window(p: Pair) -> RuleResult:
    w = p.window
    if w.closes < p.today:
        return RuleResult("window-open-before-deadline", False, f"window closed on {w.closes}")
    if w.opens > p.request.deadline:
        detail = f"window opens on {w.opens}, after the deadline {p.request.deadline}"
        return RuleResult("window-open-before-deadline", False, detail)
    detail = f"open {w.opens} to {w.closes}; deadline {p.request.deadline}"
    return RuleResult("window-open-before-deadline", True, detail)


def _currency(p: Pair) -> RuleResult:
    if p.window.kind is WindowKind.IN_KIND:
        return RuleResult("currency", True, f"help in kind, counted in {p.window.unit}")
    asked = p.request.amount.currency if p.request.amount else None
    same = asked is None or asked == p.window.currency
    return RuleResult("currency", same, f"window in {p.window.currency}, request in {asked}")


def grant_minimum(source: SourceDetails, window: WindowState) -> Decimal:
    """The least a window gives one request: its source's minimum grant for money (the grant
    limits are money), nothing for help in kind."""
    return (source.min_grant or Decimal(0)) if window.kind is WindowKind.MONEY else Decimal(0)


def _minimum_grant(p: Pair) -> RuleResult:
    """A source never gives less than its minimum grant, so a smaller request cannot fit."""
    minimum, asked = p.source.min_grant, p.request.amount
    if p.window.kind is WindowKind.IN_KIND:
        return RuleResult("minimum-grant", True, "grant limits are money: none in kind")
    if minimum is None or asked is None:
        return RuleResult("minimum-grant", True, "no minimum grant" if minimum is None else "any")
    detail = f"minimum grant {minimum:,} {p.window.currency}, asked {asked.value:,}"
    return RuleResult("minimum-grant", asked.value >= minimum, detail)


def _capacity(p: Pair) -> RuleResult:
    minimum = grant_minimum(p.source, p.window)
    enough = p.window.available > 0 and p.window.available >= minimum
    detail = f"{p.window.available:,} {p.window.measure} available, minimum grant {minimum:,}"
    return RuleResult("capacity-at-least-min-grant", enough, detail)


RULES: tuple[Callable[[Pair], RuleResult], ...] = (
    _active,
    _convention,
    _thematic_area,
    _assistance_kind,
    _assistance_type,
    _recipient,
    _window,
    _currency,
    _minimum_grant,
    _capacity,
)
RULE_NAMES = (
    "source-active",
    "convention",
    "thematic-area",
    "assistance-kind",
    "assistance-type",
    "recipient-eligible",
    "window-open-before-deadline",
    "currency",
    "minimum-grant",
    "capacity-at-least-min-grant",
)


def check(pair: Pair) -> list[RuleResult]:
    """Every rule's verdict on the pair, in order."""
    return [rule(pair) for rule in RULES]


def first_failure(pair: Pair) -> str | None:
    """The first rule the pair breaks, or None when it passes them all."""
    broken = first_broken(pair)
    return broken.rule if broken else None


def first_broken(pair: Pair) -> RuleResult | None:
    """The first rule the pair breaks, with what it found, or None when it passes them all."""
    for rule in RULES:
        result = rule(pair)
        if not result.passed:
            return result
    return None


ALL_PASSED = "eligible-but-capacity-taken"
NO_SOURCES = "no-sources"
PENDING = "pending"
"""Not yet considered by the allocator: neither matched nor unmatched."""
NEAREST_SHOWN = 3


@dataclass(frozen=True)
class Miss:
    """A window that does not fit a request, the first rule it breaks, and what that rule says
    would have to change."""

    source_id: UUID
    source: str
    window_id: UUID
    rule: str
    detail: str


@dataclass(frozen=True)
class Unmatched:
    """Why no window serves a request: the first rule broken by the windows that come nearest,
    those windows, and how many windows each rule stopped first."""

    reason: str
    nearest: list[Miss]
    stopped: dict[str, int]


def why_unmatched(
    request: RequestDetails, sources: list[SourceDetails], today: date, network: RegionalNetwork
) -> Unmatched:
    """The nearest miss. Each window is stopped by the first rule it breaks, in `RULE_NAMES`
    order; the windows whose first broken rule comes latest are nearest to fitting, and that
    rule is the reason. A window breaking none counts as `eligible-but-capacity-taken`: the
    allocation gave its capacity to others, or its donor declined. So a EUR request is told
    `currency` when windows of its convention are in dollars, however many windows of other
    conventions there are."""
    misses: list[Miss] = []
    for source in sources:
        for window in source.windows:
            broken = first_broken(Pair(request, source, window, today, network))
            rule, detail = (broken.rule, broken.detail) if broken else (ALL_PASSED, "fits")
            misses.append(Miss(source.source_id, source.name, window.window_id, rule, detail))
    if not misses:
        return Unmatched(NO_SOURCES, [], {})
    stopped: dict[str, int] = {}
    for miss in misses:
        stopped[miss.rule] = stopped.get(miss.rule, 0) + 1
    reason = max(stopped, key=_nearness)
    nearest = [m for m in misses if m.rule == reason][:NEAREST_SHOWN]
    return Unmatched(reason, nearest, stopped)


def _nearness(rule: str) -> int:
    return len(RULE_NAMES) if rule == ALL_PASSED else RULE_NAMES.index(rule)
