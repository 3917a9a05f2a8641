"""Windows of money and windows of help in kind, on plain objects: one or the other, each counted
in its own currency or unit, never reserved or entered in the ledger as the other."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from services.inventory.domain.ledger import Act, Balance, EntryKind, Money
from shared.errors import DomainError
from shared.events.inventory import ReservationFailure, WindowKind
from shared.geography import load_network
from tests.inventory_factories import NOW, TODAY, acceptance, in_kind_terms, registered, terms
from tests.system import TEST_CENTRES

NETWORK = load_network(TEST_CENTRES)


def refused(call: Any) -> tuple[str | None, str | None]:
    with pytest.raises(DomainError) as error:
        call()
    return error.value.rule, error.value.field


def test_a_window_offers_money_or_help_in_kind() -> None:
    source = registered(terms("1000000.00"), in_kind_terms("400"))

    money, experts = source.windows
    assert (money.kind, money.measure) == (WindowKind.MONEY, "USD")
    assert (experts.kind, experts.measure, experts.currency) == (
        WindowKind.IN_KIND,
        "expert-days",
        None,
    )
    assert experts.available == Decimal(400)


@pytest.mark.parametrize(
    ("window", "rule", "field"),
    [
        (terms(currency=None), "window-kind", "windows.0.unit"),
        (in_kind_terms(currency="USD"), "window-kind", "windows.0.currency"),
        (in_kind_terms(kind=WindowKind.MONEY), "window-kind", "windows.0.kind"),
        (in_kind_terms("2000000"), "quantity-too-large", "windows.0.capacity"),
    ],
    ids=["neither currency nor unit", "both currency and unit", "kind says money", "absurd"],
)
def test_a_window_that_is_neither_or_both_is_refused(window: Any, rule: str, field: str) -> None:
    assert refused(lambda: registered(window)) == (rule, field)


def test_grant_limits_are_in_money_and_ignore_in_kind_windows() -> None:
    source = registered(terms(), in_kind_terms(), max_grant=Decimal("500000.00"))

    assert source.profile.max_grant == Decimal("500000.00")


def test_the_ledger_refuses_money_acts_on_an_in_kind_window() -> None:
    source = registered(in_kind_terms())
    act = Act(EntryKind.COMMITTED, source.windows[0].id, None, Money(Decimal(10), "USD"), TODAY)

    assert refused(lambda: source.record(act, Balance(), "donor:norway", NOW)) == (
        "in-kind-window",
        "window_id",
    )
    assert source.windows[0].committed == 0


def test_a_money_match_is_never_reserved_on_an_in_kind_window() -> None:
    source = registered(in_kind_terms("400"))

    named = source.reserve(acceptance(source, "100"), TODAY, NETWORK, NOW)
    unnamed = source.reserve(acceptance(source, "100", window_id=None), TODAY, NETWORK, NOW)

    assert named.reason is ReservationFailure.CURRENCY_MISMATCH
    assert "expert-days" in (named.detail or "")
    assert unnamed.reason is ReservationFailure.CURRENCY_MISMATCH
    assert source.windows[0].reserved == 0


def test_a_window_in_use_keeps_what_it_offers() -> None:
    source = registered(terms("1000000.00"))
    act = Act(EntryKind.COMMITTED, source.windows[0].id, None, Money(Decimal(10), "USD"), TODAY)
    source.record(act, Balance(), "donor:norway", NOW)
    kept = source.windows[0].id

    assert refused(
        lambda: source.update(source.profile, [in_kind_terms(id=kept)], "donor:norway", NOW)
    ) == ("window-in-use", "windows.0.currency")
