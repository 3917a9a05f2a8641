"""Who may do what with a source. Pure rules, no I/O.

- Everyone with a key reads sources, searches them and reads the ledger: the clearing-house exists
  so that offers, pledges and disbursements are seen next to the needs (the seeds' complaint is
  that nobody tracks them).
- The secretariat manages every source, and may hand a source to a donor by naming it.
- A donor manages the sources that name it as their donor, and creates sources only for itself.
- A regional centre brokers the sources focused on its own region: it creates and manages the
  sources that no donor manages and whose regional focus is its region alone. A source that also
  focuses on other regions, or that a donor keeps, is not the centre's to change.
- National focal points and operators change nothing here.

Managing a source means editing, pausing, resuming and closing it, recording pledges,
commitments, disbursements and corrections on it, and converting its reservations into
commitments. No source is hidden, so a caller who may not manage one gets 403, never 404.
"""

from __future__ import annotations

from services.inventory.domain.model import Profile
from shared.principal import Principal, Role


def may_manage(principal: Principal, profile: Profile) -> bool:
    """May `principal` manage a source with this profile (as it is, or as it would become)?"""
    match principal.role:
        case Role.SECRETARIAT:
            return True
        case Role.DONOR:
            return profile.donor is not None and profile.donor == principal.donor
        case Role.REGIONAL:
            return profile.donor is None and profile.regional_focus == (principal.centre,)
    return False


def may_record(principal: Principal) -> bool:
    """May `principal` record acts in the ledger at all (on the sources it manages)?"""
    return principal.role in (Role.SECRETARIAT, Role.DONOR, Role.REGIONAL)


def donor_for_new_source(principal: Principal, stated: str | None) -> str | None:
    """The donor of a source a principal registers: a donor's own id unless it names one."""
    if principal.role is Role.DONOR and stated is None:
        return principal.donor
    return stated


def donor_on_update(principal: Principal, stated: str | None, current: str | None) -> str | None:
    """The donor a source keeps when edited: only the secretariat may take a source's donor away;
    anyone else who names none keeps the one it has."""
    if principal.role is not Role.SECRETARIAT and stated is None:
        return current
    return stated
