"""Who a source may assist, by each kind of eligibility rule."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from shared.eligibility import (
    CheckedEligibility,
    Eligibility,
    EligibilityRule,
    is_developing,
    is_eligible,
)
from shared.geography import m49_network

NETWORK = m49_network()


@pytest.mark.parametrize(
    ("eligibility", "state", "expected"),
    [
        (Eligibility(), "NOR", True),
        (Eligibility(rule=EligibilityRule.STATES, states=["LAO", "KHM"]), "LAO", True),
        (Eligibility(rule=EligibilityRule.STATES, states=["LAO", "KHM"]), "VNM", False),
        (Eligibility(rule=EligibilityRule.REGIONS, regions=["south-eastern-asia"]), "VNM", True),
        (Eligibility(rule=EligibilityRule.REGIONS, regions=["south-eastern-asia"]), "PER", False),
        (Eligibility(rule=EligibilityRule.INCOME_GROUPS, income_groups=["Low"]), "TCD", True),
        (Eligibility(rule=EligibilityRule.INCOME_GROUPS, income_groups=["Low"]), "LBN", False),
        (Eligibility(rule=EligibilityRule.DEVELOPING), "LAO", True),
        (Eligibility(rule=EligibilityRule.DEVELOPING), "NOR", False),
    ],
)
def test_each_rule_admits_its_states_only(
    eligibility: Eligibility, state: str, expected: bool
) -> None:
    assert is_eligible(eligibility, state, NETWORK) is expected


def test_economies_in_transition_count_as_developing_whatever_their_income() -> None:
    assert is_developing("MNE")
    assert not is_developing("DEU")
    assert not is_developing("XXX")


@pytest.mark.parametrize(
    "fields",
    [
        {"rule": "states"},
        {"rule": "anyone"},
        {"rule": "all", "budget": 3},
    ],
)
def test_a_rule_without_its_list_is_refused(fields: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        Eligibility.model_validate(fields)
    with pytest.raises(ValidationError):
        CheckedEligibility.model_validate(fields)


@pytest.mark.parametrize(
    "fields",
    [
        {"rule": "states", "states": ["XXX"]},
        {"rule": "income-groups", "income_groups": ["Rich"]},
    ],
)
def test_unknown_entries_are_refused_at_the_edge_and_carried_by_events(
    fields: dict[str, object],
) -> None:
    """A consumer whose country list is older than the publisher's still decodes the event."""
    with pytest.raises(ValidationError):
        CheckedEligibility.model_validate(fields)
    assert Eligibility.model_validate(fields).rule == fields["rule"]
