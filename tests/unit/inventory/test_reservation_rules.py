"""Answering an accepted match: which window holds it, or why none can; conversion and release."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest

from services.inventory.domain.ledger import ReservationStatus
from services.inventory.domain.model import ReservationMade, Source
from shared.eligibility import Eligibility, EligibilityRule
from shared.errors import DomainError
from shared.events.inventory import ReservationFailure as Failure
from shared.geography import load_network
from tests.inventory_factories import NOW, TODAY, acceptance, in_kind_terms, registered, terms
from tests.system import TEST_CENTRES

NETWORK = load_network(TEST_CENTRES)


def answer(source: Source, amount: str = "100000.00", **changes: Any) -> Any:
    return source.reserve(acceptance(source, amount, **changes), TODAY, NETWORK, NOW)


def test_an_acceptance_is_held_on_its_window() -> None:
    source = registered(terms("1000000.00"))

    reservation = answer(source, "400000.00")

    assert (reservation.status, reservation.window_id) == (
        ReservationStatus.HELD,
        source.windows[0].id,
    )
    assert (source.windows[0].reserved, source.windows[0].available) == (
        Decimal("400000.00"),
        Decimal("600000.00"),
    )
    assert source.events == [ReservationMade(reservation)]


def closed_window() -> Any:
    return terms(opens=TODAY - timedelta(days=60), closes=TODAY - timedelta(days=1))


@pytest.mark.parametrize(
    ("source_changes", "windows", "acceptance_changes", "reason"),
    [
        ({}, [terms("1000.00")], {}, Failure.CAPACITY_GONE),
        ({}, [closed_window()], {}, Failure.WINDOW_CLOSED),
        ({}, [terms()], {"state": "NOR"}, Failure.NOT_ELIGIBLE),
        ({}, [terms()], {"currency": "EUR"}, Failure.CURRENCY_MISMATCH),
        ({}, [terms()], {"currency": None}, Failure.CURRENCY_MISMATCH),
        ({}, [terms()], {"window_id": uuid4()}, Failure.UNKNOWN_SOURCE),
        ({}, [terms()], {"amount": Decimal("0")}, Failure.INVALID_AMOUNT),
        ({}, [terms()], {"amount": Decimal("10.001")}, Failure.INVALID_AMOUNT),
        ({"max_grant": Decimal(5000)}, [terms()], {}, Failure.INVALID_AMOUNT),
        (
            {"eligibility": Eligibility(rule=EligibilityRule.REGIONS, regions=["western-balkans"])},
            [terms()],
            {},
            Failure.NOT_ELIGIBLE,
        ),
    ],
)
def test_an_acceptance_the_source_cannot_serve_fails_with_its_reason(
    source_changes: dict[str, Any],
    windows: list[Any],
    acceptance_changes: dict[str, Any],
    reason: Failure,
) -> None:
    source = registered(*windows, **source_changes)

    reservation = answer(source, **acceptance_changes)

    assert (reservation.status, reservation.reason) == (ReservationStatus.FAILED, reason)
    assert reservation.detail
    assert source.windows[0].reserved == 0
    assert source.events == [ReservationMade(reservation)]


def test_a_paused_source_reserves_nothing() -> None:
    source = registered()
    source.pause("secretariat", NOW)

    assert answer(source).reason is Failure.SOURCE_INACTIVE


def test_without_a_window_the_open_one_closing_first_with_room_is_chosen() -> None:
    later = terms(closes=TODAY + timedelta(days=300))
    sooner_but_full = terms("50000.00", closes=TODAY + timedelta(days=10))
    sooner = terms(closes=TODAY + timedelta(days=100))
    not_yet_open = terms(opens=TODAY + timedelta(days=1), closes=TODAY + timedelta(days=20))
    source = registered(later, sooner_but_full, sooner, not_yet_open)

    reservation = answer(source, window_id=None)

    assert reservation.window_id == source.windows[2].id


def test_without_a_window_and_none_open_today_it_fails_as_closed() -> None:
    source = registered(terms(opens=TODAY + timedelta(days=1)))

    assert answer(source, window_id=None).reason is Failure.WINDOW_CLOSED


def test_a_named_window_that_opens_later_can_hold_a_reservation_now() -> None:
    source = registered(terms(opens=TODAY + timedelta(days=10)))

    assert answer(source).status is ReservationStatus.HELD


def test_a_held_reservation_converts_into_a_commitment_once() -> None:
    source = registered(terms("1000000.00"))
    reservation = answer(source, "400000.00")

    entry = source.convert(reservation, TODAY, "signed", "donor:norway", NOW)

    window = source.windows[0]
    assert (window.reserved, window.committed, window.available) == (
        Decimal(0),
        Decimal("400000.00"),
        Decimal("600000.00"),
    )
    assert (entry.reservation_id, entry.request_id) == (reservation.id, reservation.request_id)
    assert reservation.status is ReservationStatus.CONVERTED
    with pytest.raises(DomainError, match="converted"):
        source.convert(reservation, TODAY, None, "donor:norway", NOW)


def test_a_released_reservation_gives_its_amount_back() -> None:
    source = registered(terms("1000000.00"))
    reservation = answer(source, "400000.00")

    source.release(reservation, "requests:withdrawn", NOW)

    assert source.windows[0].available == Decimal("1000000.00")
    assert reservation.status is ReservationStatus.RELEASED


def test_a_reservation_that_would_pass_the_maximum_grant_for_its_request_fails() -> None:
    source = registered(terms("2000000.00"), max_grant=Decimal("400000"))
    accepted = acceptance(source, "200000.00")

    refused = source.reserve(accepted, TODAY, NETWORK, NOW, granted=Decimal("300000.00"))
    held = source.reserve(
        acceptance(source, "200000.00"), TODAY, NETWORK, NOW, granted=Decimal("200000.00")
    )

    assert (refused.status, refused.reason) == (
        ReservationStatus.FAILED,
        Failure.ABOVE_MAXIMUM_GRANT,
    )
    assert "maximum grant of 400000" in refused.detail
    assert held.status is ReservationStatus.HELD
    assert source.windows[0].reserved == Decimal("200000.00")


def in_kind_answer(source: Source, quantity: str, window: int = 0, **changes: Any) -> Any:
    """The answer to an accepted match of help in kind, in the window's unit."""
    unit = {"currency": None, "unit": "expert-days", "window_id": source.windows[window].id}
    return source.reserve(acceptance(source, quantity, **{**unit, **changes}), TODAY, NETWORK, NOW)


def test_help_in_kind_is_held_in_its_unit_whatever_the_money_grant_limits() -> None:
    limits = {"min_grant": Decimal(500_000), "max_grant": Decimal(600_000)}
    source = registered(terms("1000000.00"), in_kind_terms("400"), **limits)

    reservation = in_kind_answer(source, "120", window=1)

    assert (reservation.status, reservation.window_id, reservation.unit) == (
        ReservationStatus.HELD,
        source.windows[1].id,
        "expert-days",
    )
    assert (source.windows[1].reserved, source.windows[0].reserved) == (Decimal(120), 0)


def test_a_held_reservation_in_kind_becomes_a_commitment_in_its_unit() -> None:
    source = registered(in_kind_terms("400"))
    reservation = in_kind_answer(source, "120")

    entry = source.convert(reservation, TODAY, None, "donor:norway", NOW)

    assert (entry.amount, entry.currency, entry.unit) == (Decimal(120), None, "expert-days")
    assert (source.windows[0].committed, source.windows[0].reserved) == (Decimal(120), 0)


@pytest.mark.parametrize(
    ("changes", "window", "reason"),
    [
        ({}, 0, Failure.CURRENCY_MISMATCH),  # days asked of the money window
        ({"unit": "training-places"}, 1, Failure.CURRENCY_MISMATCH),
        ({"currency": "USD"}, 1, Failure.CURRENCY_MISMATCH),  # money and a unit at once
        ({"quantity": "500"}, 1, Failure.CAPACITY_GONE),
        ({"window_id": None, "quantity": "500"}, 1, Failure.CAPACITY_GONE),
    ],
)
def test_help_in_kind_is_refused_in_another_unit_or_beyond_the_window(
    changes: dict[str, Any], window: int, reason: Failure
) -> None:
    source = registered(terms("1000000.00"), in_kind_terms("400"))

    quantity = changes.pop("quantity", "120")

    reservation = in_kind_answer(source, quantity, window=window, **changes)

    assert (reservation.status, reservation.reason) == (ReservationStatus.FAILED, reason)
    assert [w.reserved for w in source.windows] == [0, 0]
