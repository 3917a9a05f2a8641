"""A request asking help in kind is matched and funded in its units: coverage and reservations
are counted per unit, never added to the money, and it is funded only when every need is held."""

from __future__ import annotations

from decimal import Decimal

from services.requests.domain.model import AssistanceRequest, InKind, Status
from tests.factories import NOW, draft_request
from tests.unit.requests.test_lifecycle import LATER

DAYS = InKind("expert-days", Decimal(60), "Survey experts")
PLACES = InKind("training-places", Decimal(12), "EOD level 1 course")


def published(**changes: object) -> AssistanceRequest:
    request = draft_request(**changes)
    request.submit("national:LAO", NOW)
    request.endorse("regional:south-eastern-asia", NOW)
    request.publish("secretariat", NOW)
    return request


def test_help_in_kind_alone_is_partly_then_fully_matched_by_its_units() -> None:
    request = published(amount=None, in_kind=(DAYS,))

    request.record_coverage(1, Decimal(0), False, "matching", NOW, {"expert-days": Decimal(20)})
    partly = request.status
    request.record_coverage(2, Decimal(0), True, "matching", LATER, {"expert-days": Decimal(60)})

    assert partly is Status.PARTLY_MATCHED
    assert request.status is Status.MATCHED
    assert request.matched_in_kind == {"expert-days": Decimal(60)}


def test_it_is_funded_only_once_every_need_is_held_in_its_unit() -> None:
    request = published(in_kind=(DAYS, PLACES))  # and 1,500,000.00 USD
    steps = [
        (Decimal("1500000.00"), None),
        (Decimal(60), "expert-days"),
        (Decimal(11), "training-places"),
    ]
    for amount, unit in steps:
        request.record_reservation(amount, "inventory", NOW, unit)
    short_of_one_place = request.status

    request.record_reservation(Decimal(1), "inventory", LATER, "training-places")

    assert short_of_one_place is Status.PUBLISHED
    assert request.status is Status.FUNDED
    assert request.reserved_amount == Decimal("1500000.00")
    assert request.reserved_in_kind == {"expert-days": 60, "training-places": 12}


def test_quantities_in_kind_never_count_as_money() -> None:
    request = published()  # 1,500,000.00 USD, nothing in kind

    request.record_reservation(Decimal(2_000_000), "inventory", NOW, "expert-days")

    assert request.reserved_amount == 0
    assert request.status is Status.PUBLISHED
