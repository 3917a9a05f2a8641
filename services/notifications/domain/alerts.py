"""Which alerts should stand now, from the requests as this service knows them. No I/O.

The alert sweep compares this set with the alerts already raised: it raises the new ones and
clears those no longer due. An alert is identified by its kind and subject (a request id, or a
state for the longest-waiting states), so sweeping again raises nothing twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from services.notifications.domain.model import (
    ALERT_CLEARED,
    OPERATOR,
    SECRETARIAT,
    UNMATCHED,
    AlertKind,
    Draft,
    Notice,
    RequestView,
    Severity,
    national,
    regional,
    waiting_states,
)
from shared.geography import countries


@dataclass(frozen=True)
class Thresholds:
    deadline_days: int
    unmatched_days: int
    waiting_states: int
    waiting_min_days: int


@dataclass(frozen=True)
class Alert(Draft):
    """A condition that stands until it no longer holds: the draft of what it tells, how serious
    it is, and always about one state."""

    kind: AlertKind
    state: str
    severity: Severity = field(kw_only=True)

    @property
    def key(self) -> tuple[str, str]:
        return (self.kind.value, self.subject)


def due_alerts(
    requests: Iterable[RequestView], now: datetime, thresholds: Thresholds
) -> dict[tuple[str, str], Alert]:
    """Every alert that should stand at `now`, by (kind, subject)."""
    requests = list(requests)
    alerts = [a for r in requests for a in _request_alerts(r, now, thresholds)]
    by_state = {r.state: r.region for r in requests}
    for state, days in waiting_states(
        requests, now, thresholds.waiting_min_days, thresholds.waiting_states
    ):
        alerts.append(
            Alert(
                AlertKind.STATE_WAITING,
                f"{_name(state)} has waited {days} days for help with its oldest open request",
                state,
                state,
                by_state[state],
                severity=Severity.WARNING,
            )
        )
    return {alert.key: alert for alert in alerts}


def _request_alerts(request: RequestView, now: datetime, thresholds: Thresholds) -> list[Alert]:
    found = []
    days_left = (request.deadline - now.date()).days
    if request.at_risk(now.date(), thresholds.deadline_days):
        found.append(
            _about(
                request,
                AlertKind.DEADLINE_NEAR,
                Severity.CRITICAL
                if days_left <= thresholds.deadline_days // 4
                else Severity.WARNING,
                f"deadline {request.deadline.isoformat()} in {days_left} days and not funded",
            )
        )
    published = request.published_at
    if (
        request.status in UNMATCHED
        and published is not None
        and (now - published).days >= thresholds.unmatched_days
    ):
        found.append(
            _about(
                request,
                AlertKind.UNMATCHED,
                Severity.WARNING,
                f"published {(now - published).days} days ago and still unmatched",
            )
        )
    return found


def _about(request: RequestView, kind: AlertKind, severity: Severity, what: str) -> Alert:
    return Alert(
        kind,
        f"{_name(request.state)}: “{request.title}”: {what}",
        str(request.request_id),
        request.state,
        request.region,
        request.request_id,
        severity=severity,
    )


def _name(state: str) -> str:
    country = countries().get(state)
    return country.name if country else state


def alert_notices(alert: Alert, *, cleared: bool) -> list[Notice]:
    """An alert is told to its state, its centre, the secretariat and the operators."""
    audiences = [national(alert.state), SECRETARIAT, OPERATOR]
    if alert.region:
        audiences.append(regional(alert.region))
    if not cleared:
        return [alert.to(audience, alert.severity) for audience in audiences]
    draft = Draft(
        ALERT_CLEARED,
        f"Cleared: {alert.summary}",
        alert.subject,
        alert.state,
        alert.region,
        alert.request_id,
    )
    return [draft.to(audience, Severity.INFO) for audience in audiences]
