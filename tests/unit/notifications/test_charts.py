"""The figures of the operators' charts: pure computations, no I/O."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

from services.notifications.domain.charts import (
    FUNDED,
    PROPOSED,
    History,
    Reason,
    charts,
    convention_of,
    money_by,
    region_of,
    unmatched_reasons,
    waits,
)
from services.notifications.domain.indicators import LedgerRecord
from services.notifications.domain.model import GLOBAL_TIER
from shared.events import inventory as inv
from shared.events import matching as mat
from tests.unit.notifications.test_rules import NOW, view

DECLINED = mat.MatchDeclined.cloudevent_type()
WITHDRAWN = mat.MatchWithdrawn.cloudevent_type()
FAILED = inv.FundsReservationFailed.cloudevent_type()


def entry(request_id: UUID | None, kind: str, amount: str, currency: str = "USD") -> LedgerRecord:
    return LedgerRecord(
        uuid4(), uuid4(), request_id, kind, Decimal(amount), currency, date(2026, 11, 1)
    )


def test_need_and_the_ledger_are_summed_by_region_in_each_currency_apart() -> None:
    lao = view(amount=Decimal("1000"), currency="USD")
    khm = view("KHM", amount=Decimal("500"), currency="USD")
    euro = view("KHM", amount=Decimal("300"), currency="EUR")
    global_ = view("PER", region=None, amount=Decimal("200"), currency="USD")
    in_kind = view("LAO", amount=None, currency=None)
    gone = view("LAO", status="withdrawn", amount=Decimal("9000"), currency="USD")
    ledger = [
        entry(lao.request_id, "pledged", "400"),
        entry(lao.request_id, "committed", "300"),
        entry(khm.request_id, "committed", "100"),
        entry(lao.request_id, "disbursed", "150"),
        entry(lao.request_id, "committed", "999", currency="EUR"),  # not the request's currency
        entry(gone.request_id, "committed", "9000"),
        entry(None, "committed", "50"),
    ]
    sums = money_by([lao, khm, euro, global_, in_kind, gone], ledger, region_of)
    assert [(m.key, m.currency, m.need, m.pledged, m.committed, m.disbursed) for m in sums] == [
        (GLOBAL_TIER, "USD", 200, 0, 0, 0),
        ("south-eastern-asia", "EUR", 300, 0, 0, 0),
        ("south-eastern-asia", "USD", 1500, 400, 400, 150),
    ]
    by_convention = money_by([lao, khm, global_], ledger, convention_of)
    assert [(m.key, m.need, m.committed) for m in by_convention] == [("CCM", 1700, 400)]


def test_waits_run_from_publication_to_the_first_milestone_after_it() -> None:
    published = NOW - timedelta(days=40)
    quick = view(published_at=published)
    slow = view(published_at=published)
    waiting = view(published_at=published)
    draft = view(status="submitted", published_at=None)
    histories = {
        quick.request_id: History(first={PROPOSED: published + timedelta(hours=12)}),
        slow.request_id: History(
            first={PROPOSED: published + timedelta(days=20), FUNDED: published + timedelta(days=35)}
        ),
        draft.request_id: History(first={PROPOSED: published}),
    }
    to_proposal = waits([quick, slow, waiting, draft], histories, PROPOSED)
    assert to_proposal.days == (0.5, 20.0)
    assert to_proposal.median == 10.25
    assert to_proposal.waiting == 1
    assert to_proposal.spans() == {
        "a day or less": 1,
        "up to a week": 0,
        "up to a month": 1,
        "up to a quarter": 0,
        "longer": 0,
    }
    to_funding = waits([quick, slow, waiting, draft], histories, FUNDED)
    assert (to_funding.days, to_funding.waiting, to_funding.median) == ((35.0,), 2, 35.0)
    assert waits([], {}, FUNDED).median is None


def test_an_unmatched_request_is_counted_by_what_last_happened_to_it() -> None:
    at = NOW - timedelta(days=3)
    declined_then_withdrawn = view()
    failed = view()
    never = view()
    returned = view(status="returned")
    in_review = view(status="endorsed")
    proposed = view(proposals=1)
    matched = view(status="partly_matched")
    histories = {
        declined_then_withdrawn.request_id: History(
            last={DECLINED: at, WITHDRAWN: at + timedelta(hours=1)}
        ),
        failed.request_id: History(last={DECLINED: at, FAILED: at + timedelta(days=1)}),
    }
    requests = [declined_then_withdrawn, failed, never, returned, in_review, proposed, matched]
    assert unmatched_reasons(requests, histories) == {
        Reason.IN_REVIEW: 1,
        Reason.RETURNED: 1,
        Reason.NEVER_PROPOSED: 1,
        Reason.DECLINED: 0,
        Reason.WITHDRAWN: 1,
        Reason.RESERVATION_FAILED: 1,
    }


def test_the_charts_gather_every_figure_and_the_states_waiting_longest() -> None:
    old = view("KHM", submitted_at=NOW - timedelta(days=50), amount=Decimal(10), currency="USD")
    recent = view("LAO", submitted_at=NOW - timedelta(days=2))
    funded = view("MOZ", status="funded", submitted_at=NOW - timedelta(days=400))
    found = charts([old, recent, funded], [], {}, NOW)
    assert found.waiting == [("KHM", 50), ("LAO", 2)]
    assert [(m.key, m.need) for m in found.by_region] == [("south-eastern-asia", 10)]
    assert found.unmatched[Reason.NEVER_PROPOSED] == 2
