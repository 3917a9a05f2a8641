"""What a request asks: money, help in kind in the taxonomy's units, or both; never nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest

from services.requests.domain.model import InKind, NeedRefused, Status
from shared.taxonomy import taxonomy
from tests.factories import NOW, draft_request, need

EXPERTS = InKind("expert-days", Decimal(120), "Technical survey experts")


def test_a_request_for_help_in_kind_alone_is_submitted() -> None:
    request = draft_request(amount=None, in_kind=(EXPERTS,))

    request.submit("national:LAO", NOW)

    assert request.status is Status.SUBMITTED


def test_a_request_asking_nothing_is_a_draft_that_cannot_be_submitted() -> None:
    request = draft_request(amount=None, in_kind=())

    with pytest.raises(NeedRefused) as refused:
        request.submit("national:LAO", NOW)

    assert (refused.value.rule, refused.value.status) == ("nothing-asked", 422)
    assert request.status is Status.DRAFT


def test_one_need_per_unit() -> None:
    with pytest.raises(NeedRefused) as refused:
        need(in_kind=(EXPERTS, InKind("expert-days", Decimal(5), "Medical experts")))

    assert (refused.value.rule, refused.value.field) == ("one-need-per-unit", "in_kind")


def test_units_are_taxonomy_words_never_currency_codes() -> None:
    units = taxonomy().in_kind_units

    assert {"expert-days", "training-places", "equipment-items", "service-units"} <= set(units)
    assert all(unit == unit.lower() and len(unit) > 3 for unit in units)
    assert taxonomy().known_unit("expert-days") == "expert-days"
    with pytest.raises(ValueError, match="unknown in-kind unit 'USD'"):
        taxonomy().known_unit("USD")
