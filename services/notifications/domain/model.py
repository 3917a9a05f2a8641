"""What a notification is, whom it is for, and how requests are counted. No I/O.

A notification is one line of the feed for one audience: a state's focal point, a regional
centre, the secretariat, a donor, or the operators who watch everything. One event usually yields
several, one per audience that should hear of it, each with its own severity: the audience that
has to act on the event gets a warning, the others information.

The service publishes no events of its own, so nothing here records any: its changes are stored
rows (notifications, alerts, subscriptions, deliveries) and the unit of work only commits them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

from shared.errors import Invalid, NotFound
from shared.events import ALL_PAYLOADS
from shared.events.access import PAYLOADS as ACCESS_PAYLOADS
from shared.geography import RegionalNetwork


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return list(Severity).index(self)

    def at_least(self) -> list[str]:
        """This severity and every higher one, for filters that mean 'this or worse'."""
        return [s.value for s in Severity if s.rank >= self.rank]


OPERATOR = "operator"
SECRETARIAT = "secretariat"


def national(state: str) -> str:
    return f"national:{state}"


def regional(centre: str) -> str:
    return f"regional:{centre}"


def donor(donor_id: str) -> str:
    return f"donor:{donor_id}"


class AlertKind(StrEnum):
    DEADLINE_NEAR = "alert.deadline-near"
    UNMATCHED = "alert.unmatched"
    STATE_WAITING = "alert.state-waiting"


ALERT_CLEARED = "alert.cleared"
SUBSCRIPTION_PAUSED = "webhook.subscription-paused"

EVENT_KINDS = tuple(p.event_type for p in ALL_PAYLOADS if p not in ACCESS_PAYLOADS)
KINDS = frozenset({*EVENT_KINDS, *AlertKind, ALERT_CLEARED, SUBSCRIPTION_PAUSED})


@dataclass(frozen=True)
class Draft:
    """What happened and what it is about, before it is told to each audience that should hear
    of it: one draft yields one notice per audience."""

    kind: str
    summary: str
    subject: str
    state: str | None = None
    region: str | None = None
    request_id: UUID | None = None

    def to(self, audience: str, severity: Severity = Severity.INFO) -> Notice:
        return Notice(
            self.kind,
            self.summary,
            self.subject,
            self.state,
            self.region,
            self.request_id,
            audience=audience,
            severity=severity,
        )


@dataclass(frozen=True)
class Notice(Draft):
    """A notification before it is stored: for whom, how serious, and what happened."""

    audience: str = field(kw_only=True)
    severity: Severity = field(kw_only=True)


# Request statuses as the requests service names them in its events.
OPEN_UNFUNDED = frozenset(
    {"submitted", "returned", "endorsed", "published", "partly_matched", "matched"}
)
UNMATCHED = frozenset({"submitted", "returned", "endorsed", "published"})
FUNDED = frozenset({"funded", "completed"})


@dataclass(frozen=True)
class RequestView:
    """This service's copy of a request, kept from the request events."""

    request_id: UUID
    state: str
    region: str | None
    status: str
    convention: str
    areas: tuple[str, ...]
    title: str
    deadline: date
    submitted_at: datetime | None = None
    published_at: datetime | None = None
    amount: Decimal | None = None
    currency: str | None = None
    proposals: int = 0
    """Its standing proposals: proposed to a donor and not answered, withdrawn or expired."""

    def at_risk(self, today: date, deadline_days: int) -> bool:
        """Open, not funded, and its deadline within `deadline_days`."""
        return self.status in OPEN_UNFUNDED and (self.deadline - today).days <= deadline_days


@dataclass
class Counts:
    """Open: submitted and not yet funded. Of those no donor has accepted yet, unmatched: nothing
    is proposed either; proposed: proposals stand, waiting for their donors."""

    open: int = 0
    unmatched: int = 0
    proposed: int = 0
    at_risk: int = 0
    funded: int = 0

    def add(self, request: RequestView, today: date, deadline_days: int) -> None:
        waiting = request.status in UNMATCHED
        self.open += request.status in OPEN_UNFUNDED
        self.unmatched += waiting and request.proposals == 0
        self.proposed += waiting and request.proposals > 0
        self.at_risk += request.at_risk(today, deadline_days)
        self.funded += request.status in FUNDED


@dataclass
class Overview:
    """The dashboard's counts of requests by region and by thematic area."""

    total: Counts = field(default_factory=Counts)
    by_region: dict[str, Counts] = field(default_factory=dict)
    by_area: dict[str, Counts] = field(default_factory=dict)


GLOBAL_TIER = "(global tier)"


def region_name(region: str | None, network: RegionalNetwork) -> str:
    """A regional centre's name; requests no centre reviews are the global tier's."""
    if region is None or region == GLOBAL_TIER:
        return "Global tier (no regional centre)"
    centre = network.centres.get(region)
    return centre.name if centre else region


def overview(requests: Iterable[RequestView], today: date, deadline_days: int) -> Overview:
    result = Overview()
    for request in requests:
        result.total.add(request, today, deadline_days)
        region = request.region or GLOBAL_TIER
        result.by_region.setdefault(region, Counts()).add(request, today, deadline_days)
        for area in request.areas:
            key = f"{request.convention}/{area}"
            result.by_area.setdefault(key, Counts()).add(request, today, deadline_days)
    result.by_region = dict(sorted(result.by_region.items()))
    result.by_area = dict(sorted(result.by_area.items()))
    return result


def waiting_states(
    requests: Iterable[RequestView], now: datetime, min_days: int, top: int
) -> list[tuple[str, int]]:
    """The `top` states whose oldest open, unfunded request has waited longest (days, past
    `min_days`) since it was submitted, longest first; ties broken by state code."""
    oldest: Counter[str] = Counter()
    for request in requests:
        if request.status in OPEN_UNFUNDED and request.submitted_at is not None:
            waited = (now - request.submitted_at).days
            oldest[request.state] = max(oldest[request.state], waited)
    ranked = sorted(
        ((s, d) for s, d in oldest.items() if d >= min_days), key=lambda x: (-x[1], x[0])
    )
    return ranked[:top]


@dataclass(frozen=True)
class NoticeFilter:
    """Which notifications a subscription or a feed query wants. Each given field must hold
    (region AND type AND severity); a field lists alternatives (this region OR that one)."""

    kinds: frozenset[str] = frozenset()
    regions: frozenset[str] = frozenset()
    min_severity: Severity = Severity.INFO

    def accepts(self, notice: Notice) -> bool:
        return (
            (not self.kinds or notice.kind in self.kinds)
            and (not self.regions or notice.region in self.regions)
            and notice.severity.rank >= self.min_severity.rank
        )


class SubscriptionNotFound(NotFound):
    """Another principal's subscription answers as if it did not exist."""

    title = "Subscription not found"


class RequestNotFound(NotFound):
    title = "Request not found"


class UrlRefused(Invalid):
    """A webhook URL that may not be called: not http(s), no host, or a non-public address."""

    title = "URL not accepted"


class UnknownRegion(Invalid):
    title = "Unknown region"
