"""Who may do what with a source. Pure rules, no I/O.

- Everyone with a key reads sources, searches them and reads the ledger: the clearing-house exists
  so that offers, pledges and disbursements are seen next to the needs (the seeds' complaint is
  that nobody tracks them).
- The secretariat manages every source, and may hand a source to a donor by naming it.
- A donor manages the sources that name it as their donor, and creates sources only for itself.
- A regional centre brokers the sources focused on its own region: it creates and manages the
  sources that no donor manages and whose regional focus is its region alone. A source that also
  focuses on other regions, or that a donor keeps, is not the centre's to change.
- A national focal point registers and manages its own state's offers of assistance (expertise,
  training, equipment, South-South exchange, funds): the sources of kind `donor-state` whose
  donor is its state's party (`Principal.party`), and it answers their proposals. Another party's
  source, or one of another kind, is not its to change.
- Operators change nothing here.

Managing a source means editing, pausing, resuming and closing it, recording pledges,
commitments, disbursements and corrections on it, and converting its reservations into
commitments. No source is hidden, so a caller who may not manage one gets 403, never 404.

Projects (`domain.projects`):

- The secretariat, the requesting state's focal point, or a funder (a donor whose sources commit
  money to the request) starts a project for a funded request: the state knows the work, the
  funder signs the grant, the secretariat coordinates. Centres and operators do not.
- The state's focal point and the implementing partner (a key answering for the partner's party,
  `Principal.party`) file its progress reports; nobody else does (403).
- A state reads its own projects, a centre its region's, a donor those it funds or implements,
  the secretariat and operators every one; another's project is answered as unknown (404).
"""

from __future__ import annotations

from collections.abc import Collection

from services.inventory.domain.model import Profile
from services.inventory.domain.projects import Project
from shared.events.inventory import SourceKind
from shared.principal import Principal, Role

STATE_OFFER = SourceKind.DONOR_STATE
"""The kind of the sources a national focal point keeps: its own state's offers."""


def may_manage(principal: Principal, profile: Profile) -> bool:
    """May `principal` manage a source with this profile (as it is, or as it would become)?"""
    match principal.role:
        case Role.SECRETARIAT:
            return True
        case Role.DONOR:
            return profile.donor is not None and profile.donor == principal.donor
        case Role.REGIONAL:
            return profile.donor is None and profile.regional_focus == (principal.centre,)
        case Role.NATIONAL:
            return is_own_state_offer(principal, profile)
    return False


def looks_after(principal: Principal, profile: Profile) -> bool:
    """A source the principal's portal pages show: a donor's own, a focal point's state's
    offers, those focused on a centre's region, every source for the secretariat and operators.
    The API reads every source to everyone; the pages show each office the sources it keeps or
    oversees, and no other donor's."""
    match principal.role:
        case Role.SECRETARIAT | Role.OPERATOR:
            return True
        case Role.DONOR:
            return profile.donor is not None and profile.donor == principal.donor
        case Role.REGIONAL:
            return principal.centre in profile.regional_focus
        case Role.NATIONAL:
            return is_own_state_offer(principal, profile)
    return False


def is_own_state_offer(principal: Principal, profile: Profile) -> bool:
    """A source of the principal's own state: of kind `donor-state`, naming its party."""
    return (
        profile.kind is STATE_OFFER
        and profile.donor is not None
        and profile.donor == principal.party
    )


def refusal(principal: Principal) -> tuple[str, str | None]:
    """Why a principal may not manage a source: the message, and the rule when there is one."""
    if principal.role is Role.NATIONAL:
        return (
            f"{principal.label} manages only its own state's offers: sources of kind "
            f"{STATE_OFFER} whose donor is {principal.party}.",
            "own-state-offers",
        )
    return f"{principal.label} may not manage this source.", None


def may_record(principal: Principal) -> bool:
    """May `principal` record acts in the ledger at all (on the sources it manages)?"""
    return principal.role in (Role.SECRETARIAT, Role.DONOR, Role.REGIONAL)


def donor_for_new_source(principal: Principal, stated: str | None) -> str | None:
    """The donor of a source a principal registers: a donor's own party, or a national focal
    point's state, unless it names one."""
    if principal.role in (Role.DONOR, Role.NATIONAL) and stated is None:
        return principal.party
    return stated


def donor_on_update(principal: Principal, stated: str | None, current: str | None) -> str | None:
    """The donor a source keeps when edited: only the secretariat may take a source's donor away;
    anyone else who names none keeps the one it has."""
    if principal.role is not Role.SECRETARIAT and stated is None:
        return current
    return stated


def may_start_project(principal: Principal, state: str, funders: Collection[str]) -> bool:
    """May `principal` start a project for a request of `state` that `funders` commit to?"""
    match principal.role:
        case Role.SECRETARIAT:
            return True
        case Role.NATIONAL:
            return principal.state == state
        case Role.DONOR:
            return principal.donor in funders
    return False


def may_report(principal: Principal, project: Project) -> bool:
    """The project's state (its focal point) or its implementing partner."""
    if principal.role is Role.NATIONAL and principal.state == project.state:
        return True
    return principal.party is not None and principal.party == project.implementing_partner


def may_read_project(principal: Principal, project: Project) -> bool:
    if principal.oversees(project.state, project.regional_centre):
        return True
    party = principal.party
    return (
        principal.role is Role.DONOR
        and party is not None
        and (party in project.funders or party == project.implementing_partner)
    )
