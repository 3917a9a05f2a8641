"""Who may see and answer which proposals. Pure rules, no I/O.

- A donor (a donor state, agency or organisation, each with its own keys) sees the proposals of
  its own sources, and accepts or declines them; nobody else may. A source registered without a
  donor is answered by the secretariat on its behalf: the answer is recorded as the
  secretariat's. A source whose donor holds no key that is not revoked has nobody to answer, so
  it is never proposed (the inventory's report of sources without an answering party lists it).
- A national focal point sees its own state's proposals; a regional centre its region's.
- The secretariat and operators see everything; the secretariat alone triggers re-allocation.
- A request's coalition (who covers what) is visible to whoever may see its proposals, and to
  every donor, so donors can coordinate around one state's needs.

A caller who may not see a proposal gets 404, as if it did not exist; one who may see it but not
answer it gets 403.
"""

from __future__ import annotations

from services.matching.domain.model import Match
from shared.events.inventory import SourceDetails
from shared.geography import RegionalNetwork
from shared.principal import Principal, Role


def can_see(principal: Principal, match: Match) -> bool:
    if principal.role is Role.DONOR:
        return match.donor is not None and principal.donor == match.donor
    return principal.oversees(match.state, match.regional_centre)


def scope(principal: Principal) -> dict[str, str] | None:
    """The column values a principal's own list of proposals is narrowed to; {} for all."""
    match principal.role:
        case Role.SECRETARIAT | Role.OPERATOR:
            return {}
        case Role.NATIONAL:
            return {"state": principal.state or ""}
        case Role.REGIONAL:
            return {"regional_centre": principal.centre or ""}
        case Role.DONOR:
            return {"donor": principal.donor or ""}
    return None


def may_answer(principal: Principal, match: Match) -> bool:
    if match.donor is None:
        return principal.role is Role.SECRETARIAT
    return principal.role is Role.DONOR and match.donor == principal.donor


def answerable(source: SourceDetails, parties: set[str]) -> bool:
    """Someone can answer the source's proposals: its donor holds a key, or it has no donor and
    the secretariat answers for it."""
    return source.donor is None or source.donor in parties


def can_see_state(principal: Principal, state: str, network: RegionalNetwork) -> bool:
    """May see the proposals and unmatched requests of a whole state (donors: their own)."""
    if principal.role in (Role.SECRETARIAT, Role.OPERATOR, Role.DONOR):
        return True
    return principal.acts_for_state(state, network)


def can_see_coalition(principal: Principal, state: str, network: RegionalNetwork) -> bool:
    return can_see_state(principal, state, network)


def may_reallocate(principal: Principal) -> bool:
    return principal.role is Role.SECRETARIAT
