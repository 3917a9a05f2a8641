"""A source's profile, windows and status, on plain objects."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from services.inventory.domain.ledger import Act, Balance, EntryKind
from services.inventory.domain.model import Edited, Source, WindowTerms
from shared.errors import DomainError
from shared.events.inventory import SourceStatus
from shared.values import Money
from tests.inventory_factories import NOW, TODAY, profile, registered, terms

LATER = NOW + timedelta(hours=1)


def kept(window_id: object, **changes: object) -> WindowTerms:
    """The terms of an existing window, as an editor sends them back."""
    return terms(id=window_id, **changes)  # type: ignore[arg-type]


def commit(source: Source, amount: str) -> None:
    act = Act(EntryKind.COMMITTED, source.windows[0].id, None, Money(Decimal(amount), "USD"), TODAY)
    source.record(act, Balance(), "donor:norway", NOW)


def test_registering_makes_version_one_with_new_windows() -> None:
    source = Source.register(profile(), [terms(), terms("5000.00", "EUR")], "donor:norway", NOW)

    assert (source.version, source.status) == (1, SourceStatus.ACTIVE)
    assert [w.currency for w in source.windows] == ["USD", "EUR"]
    assert len({w.id for w in source.windows}) == 2
    assert source.events == [Edited("registered", "donor:norway", NOW, ())]


@pytest.mark.parametrize(
    ("windows", "changes", "rule"),
    [
        ([terms(closes=TODAY - timedelta(days=31))], {}, "window-closes-before-opens"),
        ([terms()], {"min_grant": Decimal(10), "max_grant": Decimal(5)}, "grant-limits"),
        (
            [terms(), terms(currency="EUR")],
            {"max_grant": Decimal(5)},
            "grant-limits-currency",
        ),
    ],
)
def test_registration_refuses_inconsistent_terms(
    windows: list[WindowTerms], changes: dict[str, object], rule: str
) -> None:
    with pytest.raises(DomainError) as refused:
        Source.register(profile(**changes), windows, "donor:norway", NOW)

    assert refused.value.rule == rule


def test_an_update_keeps_what_the_ledger_holds_and_bumps_the_version() -> None:
    source = registered(terms(), terms("5000.00"))
    commit(source, "250000.00")
    used, unused = source.windows

    source.update(
        profile(regional_focus=("south-eastern-asia",)),
        [kept(used.id, capacity=Decimal("800000.00")), terms("9000.00")],
        "donor:norway",
        LATER,
    )

    assert source.version == 2
    assert source.windows[0].id == used.id
    assert unused.id not in {w.id for w in source.windows}
    assert (source.windows[0].committed, source.windows[0].available) == (
        Decimal("250000.00"),
        Decimal("550000.00"),
    )
    assert source.events[-1] == Edited("updated", "donor:norway", LATER, ())


@pytest.mark.parametrize(
    ("edit", "rule"),
    [
        (lambda w: [terms()], "window-in-use"),  # the used window left out
        (lambda w: [kept(w, currency="EUR")], "window-in-use"),
        (lambda w: [kept(w, capacity=Decimal("100.00"))], "capacity-below-use"),
        (lambda w: [kept(w), kept(w)], "duplicate-window"),
        (lambda w: [kept(w), kept("8a3b4c38-7d42-4d5b-9f27-3c1a3d0b5f6e")], "unknown-window"),
    ],
)
def test_an_update_cannot_undo_what_the_ledger_holds(edit: object, rule: str) -> None:
    source = registered()
    commit(source, "250000.00")

    with pytest.raises(DomainError) as refused:
        source.update(profile(), edit(source.windows[0].id), "donor:norway", LATER)  # type: ignore[operator]

    assert refused.value.rule == rule
    assert source.version == 1


def test_pause_resume_close_and_what_each_status_refuses() -> None:
    source = registered()

    source.pause("secretariat", NOW)
    with pytest.raises(DomainError, match="cannot be paused"):
        source.pause("secretariat", NOW)
    source.resume("secretariat", NOW)
    with pytest.raises(DomainError) as not_paused:
        source.resume("secretariat", NOW)
    source.close("secretariat", LATER)
    with pytest.raises(DomainError) as closed:
        source.update(profile(), [kept(source.windows[0].id)], "secretariat", LATER)

    assert not_paused.value.rule == "not-paused"
    assert closed.value.rule == "source-closed"
    assert (source.status, source.version) == (SourceStatus.CLOSED, 4)
    assert [e.change for e in source.events if isinstance(e, Edited)] == [
        "paused",
        "resumed",
        "closed",
    ]


def test_an_edit_remembers_the_regional_focus_it_left() -> None:
    source = registered(regional_focus=("western-balkans",))

    source.update(
        profile(regional_focus=("south-eastern-asia",)),
        [kept(source.windows[0].id)],
        "secretariat",
        NOW,
    )

    assert source.events[-1] == Edited("updated", "secretariat", NOW, ("western-balkans",))
