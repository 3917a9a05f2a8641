"""Which alerts should stand now, from the requests as this service knows them. No I/O.

The alert sweep compares this set with the alerts already raised: it raises the new ones and
clears those no longer due. An alert is identified by its kind and subject (a request id, or a
state for the longest-waiting states), so sweeping again raises nothing twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

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
class Alert:
    kind: AlertKind
    subject: str
    severity: Severity
    summary: str
    state: str
    region: str | None = None
    request_id: str | None = None

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
                state,
                Severity.WARNING,
                f"{_name(state)} has waited {days} days for help with its oldest open request",
                state,
                by_state[state],
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
        str(request.request_id),
        severity,
        f"{_name(request.state)}: “{request.title}”: {what}",
        request.state,
        request.region,
        str(request.request_id),
    )


def _name(state: str) -> str:
    country = countries().get(state)
    return country.name if country else state


def alert_notices(alert: Alert, *, cleared: bool) -> list[Notice]:
    """An alert is told to its state, its centre, the secretariat and the operators."""
    audiences = [national(alert.state), SECRETARIAT, OPERATOR]
    if alert.region:
        audiences.append(regional(alert.region))
    draft = Draft(
        ALERT_CLEARED if cleared else alert.kind.value,
        f"Cleared: {alert.summary}" if cleared else alert.summary,
        alert.subject,
        alert.state,
        alert.region,
        UUID(alert.request_id) if alert.request_id else None,
    )
    severity = Severity.INFO if cleared else alert.severity
    return [draft.to(audience, severity) for audience in audiences]
