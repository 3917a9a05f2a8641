"""Who is calling: the principal an API key names. Pure data, no I/O.

Each key names one principal: a national focal point (one state), a regional centre (one
region), the global secretariat, an operator (reads everything, changes nothing) or a donor.

Sources of assistance name the party that answers for them (`donor`): a donor agency or
organisation, or a state offering help. A donor's key speaks for its own party; a national focal
point's key for its state's (`party_of_state`), so a state registers and answers its own offers
of expertise, training, equipment or funds (the South-South cooperation of the seeds).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from shared.geography import RegionalNetwork, party_of_state


class Role(StrEnum):
    NATIONAL = "national"
    REGIONAL = "regional"
    SECRETARIAT = "secretariat"
    OPERATOR = "operator"
    DONOR = "donor"


@dataclass(frozen=True)
class Principal:
    role: Role
    state: str | None = None
    centre: str | None = None
    donor: str | None = None
    key_id: str = ""

    @classmethod
    def national(cls, state: str) -> Principal:
        return cls(Role.NATIONAL, state=state)

    @classmethod
    def regional(cls, centre: str) -> Principal:
        return cls(Role.REGIONAL, centre=centre)

    @classmethod
    def secretariat(cls) -> Principal:
        return cls(Role.SECRETARIAT)

    @classmethod
    def operator(cls) -> Principal:
        return cls(Role.OPERATOR)

    @classmethod
    def for_donor(cls, donor: str) -> Principal:
        return cls(Role.DONOR, donor=donor)

    def __post_init__(self) -> None:
        required = {Role.NATIONAL: self.state, Role.REGIONAL: self.centre, Role.DONOR: self.donor}
        if self.role in required and not required[self.role]:
            raise ValueError(f"a {self.role} principal needs its {_SCOPE_FIELD[self.role]}")

    @property
    def label(self) -> str:
        """Who acted, as history and notifications show it."""
        scope = self.state or self.centre or self.donor
        return f"{self.role}:{scope}" if scope else str(self.role)

    @property
    def party(self) -> str | None:
        """The party whose sources of assistance the principal answers for: a donor's own, the
        state of a national focal point; None for the others (the secretariat answers for the
        sources that name no party)."""
        if self.role is Role.DONOR:
            return self.donor
        if self.role is Role.NATIONAL and self.state:
            return party_of_state(self.state)
        return None

    def oversees(self, state: str, centre: str | None) -> bool:
        """Sees, by office, what concerns `state` (whose regional centre is `centre`): the
        secretariat and operators everything, a focal point its own state, a centre its own
        region. Donors see by each service's own rules."""
        match self.role:
            case Role.SECRETARIAT | Role.OPERATOR:
                return True
            case Role.NATIONAL:
                return self.state == state
            case Role.REGIONAL:
                return centre is not None and self.centre == centre
        return False

    def acts_for_state(self, state: str, network: RegionalNetwork) -> bool:
        """May change things of `state`: its own focal point, its centre, or the secretariat."""
        if self.role is Role.SECRETARIAT:
            return True
        if self.role is Role.NATIONAL:
            return self.state == state
        if self.role is Role.REGIONAL:
            centre = network.centre_of(state)
            return centre is not None and centre.id == self.centre
        return False


_SCOPE_FIELD = {Role.NATIONAL: "state", Role.REGIONAL: "centre", Role.DONOR: "donor"}
