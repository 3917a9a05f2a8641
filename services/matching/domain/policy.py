"""Who may see and answer which proposals. Pure rules, no I/O.

- A donor (a donor state, agency or organisation, each with its own keys) sees the proposals of
  its own sources, and accepts or declines them; nobody else may. A source registered without a
  donor is answered by the secretariat on its behalf: the answer is recorded as the
  secretariat's. A source whose donor holds no key that is not revoked has nobody to answer, so
  it is never proposed (the inventory's report of sources without an answering party lists it).
- A national focal point sees its own state's proposals; a regional centre its region's.
- A state offering help answers for its own sources too: its focal point sees the proposals of
  the sources naming its state's party (`Principal.party`) as their donor, and accepts or
  declines them as a donor does.
- The secretariat and operators see everything; the secretariat alone triggers re-allocation.
- A request's coalition (who covers what) is visible to whoever may see its proposals, and to
  every donor, so donors can coordinate around one state's needs.

Country coalitions (`domain/coalitions.py`):

- the secretariat, or the state's own national focal point, proposes a coalition around the
  state, and may close it;
- members join or leave: a party joins or leaves for itself (a donor's key for its own party, a
  focal point's for its state's party when its state helps another); the secretariat and the
  coalition's state add and remove anyone;
- the lead changes by the secretariat, the state or the current lead;
- dialogue entries are recorded by the state, the lead or the secretariat;
- operators and regional centres change nothing;
- a state sees its own coalitions (and those it takes part in), a centre those of its region's
  states, a donor those it takes part in, the secretariat and operators all.

A caller who may not see a proposal or a coalition gets 404, as if it did not exist; one who may
see it but not change it that way gets 403.
"""

from __future__ import annotations

from services.matching.domain.coalitions import Coalition
from services.matching.domain.model import Match
from shared.events.inventory import SourceDetails
from shared.geography import RegionalNetwork
from shared.principal import Principal, Role


def answers_for(principal: Principal, match: Match) -> bool:
    """The proposal's source names the principal's party (a donor's, or its state's)."""
    return match.donor is not None and match.donor == principal.party


def can_see(principal: Principal, match: Match) -> bool:
    if principal.role is Role.DONOR:
        return answers_for(principal, match)
    return principal.oversees(match.state, match.regional_centre) or answers_for(principal, match)


def scope(principal: Principal) -> list[dict[str, str]]:
    """The column values a principal's own list of proposals is narrowed to, as alternatives
    (a proposal matching any of them is listed): [{}] for all, [] for none."""
    match principal.role:
        case Role.SECRETARIAT | Role.OPERATOR:
            return [{}]
        case Role.NATIONAL:
            own_sources = [{"donor": principal.party}] if principal.party else []
            return [{"state": principal.state or ""}, *own_sources]
        case Role.REGIONAL:
            return [{"regional_centre": principal.centre or ""}]
        case Role.DONOR:
            return [{"donor": principal.donor or ""}]
    return []


def may_answer(principal: Principal, match: Match) -> bool:
    if match.donor is None:
        return principal.role is Role.SECRETARIAT
    return answers_for(principal, match)


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


def may_propose_coalition(principal: Principal, state: str) -> bool:
    return principal.role is Role.SECRETARIAT or (
        principal.role is Role.NATIONAL and principal.state == state
    )


def _speaks_for_state(principal: Principal, coalition: Coalition) -> bool:
    """The secretariat, or the coalition's own state."""
    return may_propose_coalition(principal, coalition.state)


def takes_part(principal: Principal, coalition: Coalition) -> bool:
    """The principal's party is a member of the coalition."""
    return principal.party is not None and coalition.member(principal.party) is not None


def can_see_country_coalition(principal: Principal, coalition: Coalition) -> bool:
    return principal.oversees(coalition.state, coalition.regional_centre) or takes_part(
        principal, coalition
    )


def may_change_membership(principal: Principal, coalition: Coalition, party: str) -> bool:
    """Add or remove `party`: the party itself, the secretariat or the coalition's state."""
    return principal.party == party or _speaks_for_state(principal, coalition)


def may_change_lead(principal: Principal, coalition: Coalition) -> bool:
    leads = coalition.lead is not None and principal.party == coalition.lead
    return leads or _speaks_for_state(principal, coalition)


def may_record_dialogue(principal: Principal, coalition: Coalition) -> bool:
    return may_change_lead(principal, coalition)


def may_close_coalition(principal: Principal, coalition: Coalition) -> bool:
    return _speaks_for_state(principal, coalition)


def visible_coalitions(principal: Principal, coalitions: list[Coalition]) -> list[Coalition]:
    """The coalitions of the list the principal may see."""
    return [c for c in coalitions if can_see_country_coalition(principal, c)]
