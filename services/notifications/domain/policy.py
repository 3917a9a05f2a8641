"""Who sees which notifications and alerts, and whose webhooks a caller may manage. No I/O.

- A national focal point sees its state's notifications, and those of its state's own sources
  of assistance (the audience of the donor its state is, `Principal.party`): the proposals it
  answers for them.
- A regional centre sees its own and those of the states it covers.
- A donor sees its own.
- The secretariat and operators see everything.

A webhook subscription belongs to one audience, the caller's own: a centre's subscription gets
the centre's notifications, never another's, and only its owner may see or change it.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.notifications.domain.model import OPERATOR, SECRETARIAT, donor, national, regional
from shared.geography import RegionalNetwork
from shared.principal import Principal, Role


def may_subscribe(principal: Principal) -> bool:
    """Everyone may have its own notifications pushed by webhook, except operators: they read
    the feed and the dashboard, and change nothing, webhooks included."""
    return principal.role is not Role.OPERATOR


def audience_of(principal: Principal) -> str:
    """The audience whose notifications are the principal's own."""
    match principal.role:
        case Role.NATIONAL:
            return national(principal.state or "")
        case Role.REGIONAL:
            return regional(principal.centre or "")
        case Role.DONOR:
            return donor(principal.donor or "")
        case Role.SECRETARIAT:
            return SECRETARIAT
    return OPERATOR


@dataclass(frozen=True)
class Scope:
    """The audiences a caller may read; None: all of them."""

    audiences: frozenset[str] | None
    states: frozenset[str] | None

    def allows(self, audience: str) -> bool:
        return self.audiences is None or audience in self.audiences

    def allows_state(self, state: str) -> bool:
        return self.states is None or state in self.states


def scope_of(principal: Principal, network: RegionalNetwork) -> Scope:
    match principal.role:
        case Role.SECRETARIAT | Role.OPERATOR:
            return Scope(None, None)
        case Role.REGIONAL:
            centre = network.centres.get(principal.centre or "")
            states = centre.states if centre else frozenset()
            audiences = {audience_of(principal), *(national(s) for s in states)}
            return Scope(frozenset(audiences), frozenset(states))
        case Role.NATIONAL:
            as_donor = [donor(principal.party)] if principal.party else []
            own = frozenset({audience_of(principal), *as_donor})
            return Scope(own, frozenset({principal.state or ""}))
    return Scope(frozenset({audience_of(principal)}), frozenset())


def own_scope(principal: Principal, network: RegionalNetwork) -> Scope:
    """The principal's own notifications, as its notifications page lists them: its scope
    narrowed to its own audiences, so a centre reads its own line of each event and not also its
    states' copies of it, and the secretariat and operators their own line, not every
    audience's. A focal point's own are its state's and its state's party's."""
    scope = scope_of(principal, network)
    if principal.role is Role.NATIONAL:
        return scope
    return Scope(frozenset({audience_of(principal)}), scope.states)


def may_report_for(principal: Principal, state: str) -> bool:
    """A state's own facts are recorded by its focal point, or by the secretariat on its word;
    operators change nothing, and centres and donors speak for no state here."""
    if principal.role is Role.SECRETARIAT:
        return True
    return principal.role is Role.NATIONAL and principal.state == state
