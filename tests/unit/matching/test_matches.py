"""A proposal's life: answers, the inventory's answers, expiry, and coverage snapshots."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest

from services.matching.domain.model import Match, MatchStatus, ProposalRefused, next_coverage
from tests.factories import NOW
from tests.matching_factories import request_details

LATER = NOW + timedelta(days=1)


def proposal(**changes: Any) -> Match:
    values: dict[str, Any] = {
        "request_id": uuid4(),
        "state": "LAO",
        "regional_centre": "south-eastern-asia",
        "source_id": uuid4(),
        "window_id": uuid4(),
        "donor": "norway",
        "amount": Decimal("600000.00"),
        "currency": "USD",
        "score": 0.7,
        "explanation": {},
        "expires_at": NOW + timedelta(days=30),
    }
    return Match.propose(NOW, **{**values, **changes})


def test_an_accepted_proposal_is_reserved_once() -> None:
    match = proposal()
    match.accept("donor:norway", LATER)

    assert match.funds_reserved(Decimal("600000.00"), LATER)
    assert not match.funds_reserved(Decimal("600000.00"), LATER)
    assert match.status is MatchStatus.RESERVED
    assert [e.action for e in match.events] == ["propose", "accept", "reserve"]


def test_a_failed_reservation_ends_the_match() -> None:
    match = proposal()
    match.accept("donor:norway", LATER)

    assert match.reservation_failed("capacity-gone: spent", LATER)
    assert match.status is MatchStatus.FAILED
    assert not match.funds_reserved(Decimal(1), LATER)


@pytest.mark.parametrize(
    ("first", "rule"),
    [
        ("accept", "proposal-accepted"),
        ("decline", "proposal-declined"),
        ("withdraw", "proposal-withdrawn"),
    ],
)
def test_only_an_open_proposal_can_be_answered(first: str, rule: str) -> None:
    match = proposal()
    {
        "accept": lambda: match.accept("donor:norway", LATER),
        "decline": lambda: match.decline("donor:norway", LATER, None),
        "withdraw": lambda: match.withdraw("re-allocated", LATER),
    }[first]()
    before = (match.status, len(match.events))

    with pytest.raises(ProposalRefused) as refused:
        match.accept("donor:norway", LATER)

    assert refused.value.rule == rule
    assert (match.status, len(match.events)) == before


def test_a_proposal_past_its_time_cannot_be_accepted_and_expires() -> None:
    match = proposal(expires_at=LATER)

    with pytest.raises(ProposalRefused) as refused:
        match.accept("donor:norway", LATER)

    assert refused.value.rule == "proposal-expired"
    assert match.status is MatchStatus.PROPOSED
    assert match.expire_if_due(LATER)
    assert not match.expire_if_due(LATER)


def test_coverage_is_numbered_and_announced_only_when_it_changes() -> None:
    details = request_details(amount={"value": "1000.00", "currency": "USD"})
    half, rest = proposal(amount=Decimal(500)), proposal(amount=Decimal(500))
    half.accept("donor:norway", LATER)

    first = next_coverage(None, details, [half, rest])
    assert first is not None
    assert (first.sequence, first.matched_amount, first.fully_matched) == (1, 500, False)
    assert next_coverage(first, details, [half, rest]) is None

    rest.accept("donor:sweden", LATER)
    second = next_coverage(first, details, [half, rest])
    assert second is not None
    assert (second.sequence, second.matched_amount, second.fully_matched) == (2, 1000, True)

    rest.reservation_failed("window-closed: closed", LATER)
    third = next_coverage(second, details, [half, rest])
    assert third is not None
    assert (third.sequence, third.matched_amount, third.fully_matched) == (3, 500, False)
