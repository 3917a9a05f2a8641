"""Who may see and do what with a request. Pure rules, no I/O.

- A national focal point sees and acts for its own state's requests only.
- A regional centre sees its region's requests and reviews (endorses, returns) them.
- The secretariat sees everything, reviews requests no centre covers, and publishes.
- Operators see everything and change nothing.
- Donors see requests once published (what is open for matching), and change nothing here.

A caller who may not see a request gets 404, as if it did not exist; one who may see it but not
do the action gets 403.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from services.requests.domain.model import (
    CLOSED,
    EDITABLE,
    REVIEWABLE,
    AssistanceRequest,
    Status,
)
from shared.principal import Principal, Role

PUBLIC = frozenset(
    {Status.PUBLISHED, Status.PARTLY_MATCHED, Status.MATCHED, Status.FUNDED, Status.COMPLETED}
)


@dataclass(frozen=True)
class RequestFilter:
    """What a list of requests may be narrowed to; None means any."""

    states: frozenset[str] | None = None
    regional_centre: str | None = None
    convention: str | None = None
    area: str | None = None
    statuses: frozenset[str] | None = None
    deadline_before: date | None = None


class Action(StrEnum):
    CREATE = "create"
    AMEND = "amend"
    SUBMIT = "submit"
    WITHDRAW = "withdraw"
    COMPLETE = "complete"
    REVIEW = "review"
    PUBLISH = "publish"


STATE_ACTIONS = frozenset(
    {Action.CREATE, Action.AMEND, Action.SUBMIT, Action.WITHDRAW, Action.COMPLETE}
)


def can_see(principal: Principal, request: AssistanceRequest) -> bool:
    if principal.role is Role.DONOR:
        return request.status in PUBLIC
    return principal.oversees(request.state, request.regional_centre)


def may(principal: Principal, action: Action, state: str, centre: str | None) -> bool:
    """May `principal` do `action` on a request of `state`, reviewed by `centre`?"""
    if principal.role is Role.SECRETARIAT:
        return True
    if action in STATE_ACTIONS:
        return principal.role is Role.NATIONAL and principal.state == state
    if action is Action.REVIEW:
        return principal.role is Role.REGIONAL and centre is not None and principal.centre == centre
    return False


CHANGES: dict[str, tuple[Action, frozenset[Status]]] = {
    "amend": (Action.AMEND, EDITABLE),
    "submit": (Action.SUBMIT, EDITABLE),
    "withdraw": (Action.WITHDRAW, frozenset(Status) - CLOSED - {Status.FUNDED}),
    "endorse": (Action.REVIEW, REVIEWABLE),
    "return": (Action.REVIEW, REVIEWABLE | {Status.ENDORSED}),
    "publish": (Action.PUBLISH, frozenset({Status.ENDORSED})),
    "complete": (Action.COMPLETE, frozenset({Status.FUNDED})),
}
"""Each change of a request by name: the action it needs leave for, and the statuses the
lifecycle allows it from."""


def changes_open_to(principal: Principal, request: AssistanceRequest) -> list[str]:
    """The changes `principal` may make to `request` now: allowed from its status, and by the
    principal's office."""
    return [
        name
        for name, (action, statuses) in CHANGES.items()
        if request.status in statuses
        and may(principal, action, request.state, request.regional_centre)
    ]


def visible(principal: Principal) -> RequestFilter:
    """The part of all requests a principal's lists are limited to."""
    match principal.role:
        case Role.NATIONAL:
            return RequestFilter(states=frozenset({principal.state or ""}))
        case Role.REGIONAL:
            return RequestFilter(regional_centre=principal.centre)
        case Role.DONOR:
            return RequestFilter(statuses=frozenset(s.value for s in PUBLIC))
    return RequestFilter()


def narrow(scope: RequestFilter, asked: RequestFilter) -> RequestFilter | None:
    """What the caller asked for, within what it may see; None when the two do not meet."""
    states = _meet(scope.states, asked.states)
    statuses = _meet(scope.statuses, asked.statuses)
    centres = {c for c in (scope.regional_centre, asked.regional_centre) if c is not None}
    if states == frozenset() or statuses == frozenset() or len(centres) > 1:
        return None
    return RequestFilter(
        states=states,
        regional_centre=next(iter(centres), None),
        convention=asked.convention,
        area=asked.area,
        statuses=statuses,
        deadline_before=asked.deadline_before,
    )


def _meet(a: frozenset[str] | None, b: frozenset[str] | None) -> frozenset[str] | None:
    if a is None or b is None:
        return a if b is None else b
    return a & b
