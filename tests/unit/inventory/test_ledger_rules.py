"""Pledges, commitments, disbursements and corrections on a source's windows, on plain objects."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.inventory.domain.ledger import (
    Act,
    Balance,
    Correction,
    EntryKind,
    LedgerEntry,
    Money,
    Original,
)
from services.inventory.domain.model import EntryRecorded, Source
from shared.errors import DomainError
from tests.inventory_factories import NOW, TODAY, registered, terms

REQUEST = uuid4()


def act(source: Source, kind: EntryKind, value: str, **changes: Any) -> Act:
    values: dict[str, Any] = {
        "kind": kind,
        "window_id": source.windows[0].id,
        "request_id": REQUEST,
        "amount": Money(Decimal(value), "USD"),
        "date": TODAY,
    }
    return Act(**{**values, **changes})


def record(
    source: Source, kind: EntryKind, amount: str, balance: Balance = Balance()
) -> LedgerEntry:
    return source.record(act(source, kind, amount), balance, "donor:norway", NOW)


def refusal(call: Any) -> str:
    with pytest.raises(DomainError) as refused:
        call()
    return refused.value.rule


def test_a_commitment_takes_from_what_is_available_and_is_recorded() -> None:
    source = registered(terms("1000000.00"))

    entry = record(source, EntryKind.COMMITTED, "400000.00")

    window = source.windows[0]
    assert (window.committed, window.available) == (Decimal("400000.00"), Decimal("600000.00"))
    assert (entry.kind, entry.amount, entry.request_id, entry.actor) == (
        EntryKind.COMMITTED,
        Decimal("400000.00"),
        REQUEST,
        "donor:norway",
    )
    assert source.events == [EntryRecorded(entry)]


def test_pledges_announce_intent_and_limit_nothing() -> None:
    source = registered(terms("1000.00"))

    record(source, EntryKind.PLEDGED, "5000.00")

    assert (source.windows[0].pledged, source.windows[0].available) == (
        Decimal("5000.00"),
        Decimal("1000.00"),
    )


@pytest.mark.parametrize(
    ("kind", "amount", "changes", "balance", "rule"),
    [
        (EntryKind.COMMITTED, "1000000.01", {}, Balance(), "capacity-exceeded"),
        (
            EntryKind.DISBURSED,
            "100.01",
            {},
            Balance(committed=Decimal(300), disbursed=Decimal(200)),
            "exceeds-commitment",
        ),
        (
            EntryKind.COMMITTED,
            "10.00",
            {"amount": Money(Decimal(10), "EUR")},
            Balance(),
            "currency-mismatch",
        ),
        (
            EntryKind.PLEDGED,
            "10.00",
            {"date": TODAY + timedelta(days=1)},
            Balance(),
            "date-in-future",
        ),
        (
            EntryKind.COMMITTED,
            "10.00",
            {"date": TODAY - timedelta(days=31)},
            Balance(),
            "outside-window",
        ),
        (EntryKind.COMMITTED, "10.00", {"window_id": uuid4()}, Balance(), "unknown-window"),
    ],
)
def test_an_act_that_breaks_a_rule_is_refused_and_changes_nothing(
    kind: EntryKind, amount: str, changes: dict[str, Any], balance: Balance, rule: str
) -> None:
    source = registered(terms("1000000.00"))

    assert (
        refusal(lambda: source.record(act(source, kind, amount, **changes), balance, "x", NOW))
        == rule
    )
    assert source.events == []
    assert source.windows[0].committed == source.windows[0].disbursed == 0


def test_a_paused_source_takes_no_new_commitments_but_still_disburses() -> None:
    source = registered()
    record(source, EntryKind.COMMITTED, "300.00")
    source.pause("secretariat", NOW)

    rule = refusal(lambda: record(source, EntryKind.PLEDGED, "1.00"))
    record(source, EntryKind.DISBURSED, "300.00", Balance(committed=Decimal(300)))

    assert rule == "source-not-active"
    assert source.windows[0].disbursed == Decimal("300.00")


def test_grant_limits_apply_to_what_goes_to_a_request() -> None:
    source = registered(min_grant=Decimal(1000), max_grant=Decimal(5000))

    too_small = refusal(lambda: record(source, EntryKind.COMMITTED, "999.99"))
    too_large = refusal(lambda: record(source, EntryKind.COMMITTED, "5000.01"))
    unallocated = act(source, EntryKind.COMMITTED, "9000.00", request_id=None)
    source.record(unallocated, Balance(), "donor:norway", NOW)

    assert too_small == too_large == "outside-grant-limits"
    assert source.windows[0].committed == Decimal("9000.00")


def test_a_correction_is_a_new_entry_that_names_the_original() -> None:
    source = registered()
    original = record(source, EntryKind.COMMITTED, "500.00")
    standing = Original(original, Decimal("500.00"), Balance(committed=Decimal(500)))

    correction = source.correct(
        standing, Correction(Money(Decimal("-200.00"), "USD"), TODAY, "typo"), "secretariat", NOW
    )

    assert (correction.amount, correction.corrects, correction.note) == (
        Decimal("-200.00"),
        original.id,
        "typo",
    )
    assert correction.id != original.id
    assert source.windows[0].committed == Decimal("300.00")


@pytest.mark.parametrize(
    ("standing", "balance", "delta", "day", "rule"),
    [
        ("500.00", Balance(committed=Decimal(500)), "-500.01", TODAY, "correction-below-zero"),
        (
            "500.00",
            Balance(committed=Decimal(500), disbursed=Decimal(400)),
            "-100.01",
            TODAY,
            "below-disbursed",
        ),
        ("500.00", Balance(committed=Decimal(500)), "999500.01", TODAY, "capacity-exceeded"),
        ("500.00", Balance(), "-1.00", TODAY - timedelta(days=1), "before-original"),
    ],
)
def test_a_correction_keeps_the_ledger_whole(
    standing: str, balance: Balance, delta: str, day: Any, rule: str
) -> None:
    source = registered()
    entry = record(source, EntryKind.COMMITTED, "500.00")
    original = Original(entry, Decimal(standing), balance)
    correction = Correction(Money(Decimal(delta), "USD"), day, "fix")

    assert refusal(lambda: source.correct(original, correction, "secretariat", NOW)) == rule


def test_only_an_original_entry_is_corrected() -> None:
    source = registered()
    entry = record(source, EntryKind.PLEDGED, "500.00")
    fix = Correction(Money(Decimal("-1.00"), "USD"), TODAY, "fix")
    first = source.correct(Original(entry, entry.amount, Balance()), fix, "secretariat", NOW)

    rule = refusal(lambda: source.correct(Original(first, first.amount, Balance()), fix, "s", NOW))

    assert rule == "not-an-original"


class LedgerModel:
    """Keeps per-request balances from the entries, as the database does."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.balances: dict[UUID | None, dict[EntryKind, Decimal]] = defaultdict(
            lambda: defaultdict(Decimal)
        )
        self.entries: list[LedgerEntry] = []

    def balance(self, request: UUID | None) -> Balance:
        b = self.balances[request]
        return Balance(b[EntryKind.PLEDGED], b[EntryKind.COMMITTED], b[EntryKind.DISBURSED])

    def apply(self, kind: EntryKind, request: UUID | None, amount: Decimal) -> None:
        action = Act(kind, self.source.windows[0].id, request, Money(amount, "USD"), TODAY)
        self.keep(self.source.record(action, self.balance(request), "x", NOW))

    def correct(self, index: int, delta: Decimal) -> None:
        originals = [e for e in self.entries if e.corrects is None]
        if not originals or delta == 0:
            return
        entry = originals[index % len(originals)]
        standing = entry.amount + sum(e.amount for e in self.entries if e.corrects == entry.id)
        original = Original(entry, standing, self.balance(entry.request_id))
        fix = Correction(Money(delta, "USD"), TODAY, "fix")
        self.keep(self.source.correct(original, fix, "x", NOW))

    def keep(self, entry: LedgerEntry) -> None:
        self.entries.append(entry)
        self.balances[entry.request_id][entry.kind] += entry.amount


REQUESTS = [None, uuid4(), uuid4()]
amounts = st.decimals(min_value=Decimal("-300"), max_value=Decimal("700"), places=2)
operations = st.lists(
    st.tuples(
        st.sampled_from(["pledge", "commit", "disburse", "correct"]),
        st.integers(min_value=0, max_value=5),
        amounts,
    ),
    max_size=40,
)


@settings(max_examples=200, deadline=None)
@given(operations)
def test_no_sequence_of_acts_overdraws_a_window_or_disburses_what_is_not_committed(
    steps: list[tuple[str, int, Decimal]],
) -> None:
    model = LedgerModel(registered(terms("1000.00")))
    kinds = {"pledge": EntryKind.PLEDGED, "commit": EntryKind.COMMITTED}
    kinds["disburse"] = EntryKind.DISBURSED
    for step, index, amount in steps:
        try:
            if step == "correct":
                model.correct(index, amount)
            elif amount > 0:
                model.apply(kinds[step], REQUESTS[index % 3], amount)
        except DomainError:
            pass
        window = model.source.windows[0]
        assert Decimal(0) <= window.committed <= window.capacity
        for request in REQUESTS:
            balance = model.balance(request)
            assert Decimal(0) <= balance.disbursed <= balance.committed
        for kind in EntryKind:
            recorded = sum((e.amount for e in model.entries if e.kind is kind), Decimal(0))
            assert getattr(window, kind.value) == recorded
