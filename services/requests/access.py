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

from enum import StrEnum

from services.requests.domain import AssistanceRequest, Status
from services.requests.store import RequestFilter
from shared.principal import Principal, Role

PUBLIC = frozenset(
    {Status.PUBLISHED, Status.PARTLY_MATCHED, Status.MATCHED, Status.FUNDED, Status.COMPLETED}
)


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
    match principal.role:
        case Role.SECRETARIAT | Role.OPERATOR:
            return True
        case Role.NATIONAL:
            return principal.state == request.state
        case Role.REGIONAL:
            return (
                request.regional_centre is not None and principal.centre == request.regional_centre
            )
        case Role.DONOR:
            return request.status in PUBLIC
    return False


def may(principal: Principal, action: Action, state: str, centre: str | None) -> bool:
    """May `principal` do `action` on a request of `state`, reviewed by `centre`?"""
    if principal.role is Role.SECRETARIAT:
        return True
    if action in STATE_ACTIONS:
        return principal.role is Role.NATIONAL and principal.state == state
    if action is Action.REVIEW:
        return principal.role is Role.REGIONAL and centre is not None and principal.centre == centre
    return False


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
