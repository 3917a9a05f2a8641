"""Alerts, counts and subscription filters: pure rules, no I/O."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

from hypothesis import given
from hypothesis import strategies as st

from services.notifications.domain.alerts import Thresholds, due_alerts
from services.notifications.domain.model import (
    KINDS,
    Draft,
    NoticeFilter,
    RequestView,
    Severity,
    overview,
)

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
THRESHOLDS = Thresholds(deadline_days=60, unmatched_days=30, waiting_states=2, waiting_min_days=30)


def view(state: str = "LAO", status: str = "published", **changes: object) -> RequestView:
    values: dict[str, object] = {
        "request_id": uuid4(),
        "state": state,
        "region": "south-eastern-asia",
        "status": status,
        "convention": "CCM",
        "areas": ("survey-and-clearance",),
        "title": "Clearance",
        "deadline": NOW.date() + timedelta(days=365),
        "submitted_at": NOW - timedelta(days=5),
        "published_at": NOW - timedelta(days=1),
    }
    return RequestView(**{**values, **changes})  # type: ignore[arg-type]


def test_a_near_deadline_alerts_until_the_request_is_funded() -> None:
    near = view(deadline=NOW.date() + timedelta(days=10))
    funded = view(status="funded", deadline=NOW.date() + timedelta(days=10))
    alerts = due_alerts([near, funded], NOW, THRESHOLDS)
    assert list(alerts) == [("alert.deadline-near", str(near.request_id))]
    assert alerts[("alert.deadline-near", str(near.request_id))].severity is Severity.CRITICAL


def test_unmatched_counts_from_publication_and_stops_at_a_match() -> None:
    old = view(published_at=NOW - timedelta(days=31))
    matched = view(status="partly_matched", published_at=NOW - timedelta(days=90))
    recent = view(published_at=NOW - timedelta(days=29))
    alerts = due_alerts([old, matched, recent], NOW, THRESHOLDS)
    assert [k for k in alerts if k[0] == "alert.unmatched"] == [
        ("alert.unmatched", str(old.request_id))
    ]


def test_the_longest_waiting_states_are_the_top_ones_past_the_minimum() -> None:
    requests = [
        view("AFG", submitted_at=NOW - timedelta(days=200)),
        view("TCD", submitted_at=NOW - timedelta(days=120)),
        view("TCD", status="funded", submitted_at=NOW - timedelta(days=400)),
        view("IRQ", submitted_at=NOW - timedelta(days=100)),
        view("LAO", submitted_at=NOW - timedelta(days=3)),
    ]
    alerts = due_alerts(requests, NOW, THRESHOLDS)
    waiting = sorted(k[1] for k in alerts if k[0] == "alert.state-waiting")
    assert waiting == ["AFG", "TCD"]


def test_counts_by_region_and_area() -> None:
    result = overview(
        [
            view(status="submitted", deadline=NOW.date() + timedelta(days=5)),
            view(status="matched", region=None),
            view(status="completed", areas=("victim-assistance", "survey-and-clearance")),
        ],
        NOW.date(),
        60,
    )
    assert (result.total.open, result.total.unmatched, result.total.at_risk) == (2, 1, 1)
    assert result.total.funded == 1
    assert result.total.proposed == 0
    assert set(result.by_region) == {"(global tier)", "south-eastern-asia"}
    assert result.by_area["CCM/survey-and-clearance"].open == 2
    assert result.by_area["CCM/victim-assistance"].funded == 1


def test_a_request_with_standing_proposals_counts_as_proposed_not_unmatched() -> None:
    result = overview(
        [
            view(status="published", proposals=2),
            view(status="published"),
            view(status="partly_matched", proposals=1),  # a donor has accepted already
        ],
        NOW.date(),
        60,
    )

    assert (result.total.unmatched, result.total.proposed, result.total.open) == (1, 1, 3)


severities = st.sampled_from(list(Severity))
kinds = st.sampled_from(sorted(KINDS))
regions = st.sampled_from(["south-eastern-asia", "western-balkans", "eastern-africa", None])


@given(
    kinds=st.frozensets(kinds, max_size=3),
    wanted_regions=st.frozensets(regions.filter(bool), max_size=2),  # type: ignore[arg-type]
    minimum=severities,
    kind=kinds,
    region=regions,
    severity=severities,
)
def test_a_filter_wants_every_one_of_its_conditions(
    kinds: frozenset[str],
    wanted_regions: frozenset[str],
    minimum: Severity,
    kind: str,
    region: str | None,
    severity: Severity,
) -> None:
    notice = Draft(kind, "summary", "subject", None, region).to("operator", severity)
    accepted = NoticeFilter(kinds, wanted_regions, minimum).accepts(notice)
    assert accepted == (
        (not kinds or kind in kinds)
        and (not wanted_regions or region in wanted_regions)
        and severity.rank >= minimum.rank
    )


def test_severity_at_least() -> None:
    assert Severity.WARNING.at_least() == ["warning", "critical"]
    assert Severity.INFO.at_least() == ["info", "warning", "critical"]
