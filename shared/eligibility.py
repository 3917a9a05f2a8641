"""Who may receive a source's assistance: one rule, checked the same way by inventory and matching.

Income groups are the World Bank's, as OCHA's taxonomy carries them ("Low", "Lower middle",
"Upper middle", "High"). "Developing countries and economies in transition", the Stockholm
Convention's phrase, means every state the World Bank does not class as high income, plus the
economies in transition of the UN's World Economic Situation and Prospects (south-eastern Europe
and the Commonwealth of Independent States), whatever their income group.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.geography import RegionalNetwork, countries

ECONOMIES_IN_TRANSITION = frozenset(
    {
        *("ALB", "BIH", "MNE", "MKD", "SRB"),
        *("ARM", "AZE", "BLR", "GEO", "KAZ", "KGZ", "MDA", "RUS", "TJK", "TKM", "UKR", "UZB"),
    }
)
INCOME_GROUPS = ("Low", "Lower middle", "Upper middle", "High")


class EligibilityRule(StrEnum):
    ALL = "all"
    STATES = "states"
    REGIONS = "regions"
    INCOME_GROUPS = "income-groups"
    DEVELOPING = "developing"


class Eligibility(BaseModel):
    """Which states a source may assist. `regions` are regional centre ids."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rule: EligibilityRule = EligibilityRule.ALL
    states: list[str] = Field(default_factory=list, description="ISO 3166-1 alpha-3 codes")
    regions: list[str] = Field(default_factory=list, description="Regional centre ids")
    income_groups: list[str] = Field(default_factory=list, description="World Bank income groups")

    @model_validator(mode="after")
    def _lists_fit_the_rule(self) -> Eligibility:
        needed = {
            EligibilityRule.STATES: ("states", self.states),
            EligibilityRule.REGIONS: ("regions", self.regions),
            EligibilityRule.INCOME_GROUPS: ("income_groups", self.income_groups),
        }.get(self.rule)
        if needed is not None and not needed[1]:
            raise ValueError(f"rule {self.rule} needs a non-empty {needed[0]} list")
        return self


class CheckedEligibility(Eligibility):
    """Eligibility as the HTTP edge takes it: states and income groups must be known here.

    Events carry the plain `Eligibility`, so a consumer with older reference data still decodes
    every valid event.
    """

    @model_validator(mode="after")
    def _codes_are_known(self) -> CheckedEligibility:
        unknown_states = sorted(set(self.states) - set(countries()))
        if unknown_states:
            raise ValueError(f"unknown states {unknown_states}")
        unknown_groups = sorted(set(self.income_groups) - set(INCOME_GROUPS))
        if unknown_groups:
            raise ValueError(f"unknown income groups {unknown_groups}; known: {INCOME_GROUPS}")
        return self


def is_developing(state: str) -> bool:
    """A developing country or an economy in transition."""
    country = countries().get(state)
    if country is None:
        return False
    return state in ECONOMIES_IN_TRANSITION or country.income_group not in (None, "High")


def is_eligible(eligibility: Eligibility, state: str, network: RegionalNetwork) -> bool:
    """May a source with this eligibility assist `state`?"""
    match eligibility.rule:
        case EligibilityRule.ALL:
            return True
        case EligibilityRule.STATES:
            return state in eligibility.states
        case EligibilityRule.REGIONS:
            centre = network.centre_of(state)
            return centre is not None and centre.id in eligibility.regions
        case EligibilityRule.INCOME_GROUPS:
            country = countries().get(state)
            return country is not None and country.income_group in eligibility.income_groups
        case EligibilityRule.DEVELOPING:
            return is_developing(state)
