"""The score's criteria and their weights."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from services.matching.domain import scoring
from services.matching.domain.scoring import Context, Weights, explain, neglect_by_state
from shared.events.inventory import Support
from tests.factories import NOW
from tests.matching_factories import TODAY, open_request, source

CONTEXT = Context(TODAY, NOW, Weights(), {"LAO": 0.25})


def test_each_criterion_scores_what_it_says() -> None:
    request = open_request(
        areas=["survey-and-clearance", "victim-assistance"],
        deadline=TODAY + timedelta(days=73),
        urgency="low",
        published_at=NOW - timedelta(days=90),
    )

    score, criteria = explain(request, source(), CONTEXT)

    values = {name: c["value"] for name, c in criteria.items()}
    assert values == {
        "thematic_fit": 0.5,
        "regional_focus": 1.0,
        "urgency": 0.8,
        "waiting": 0.5,
        "neglect": 0.25,
    }
    assert score == pytest.approx((0.5 + 1.0 + 0.8 + 0.5 + 2 * 0.25) / 6)


@pytest.mark.parametrize(
    ("focus", "expected"), [(["south-eastern-asia"], 1.0), ([], 0.5), (["western-balkans"], 0.0)]
)
def test_regional_focus_prefers_the_region_then_worldwide(
    focus: list[str], expected: float
) -> None:
    _, criteria = explain(open_request(), source(regional_focus=focus), CONTEXT)

    assert criteria["regional_focus"]["value"] == expected


def test_stated_urgency_counts_when_the_deadline_is_far() -> None:
    far = TODAY + timedelta(days=900)

    assert scoring.urgency(900.0, scoring.URGENCY_LEVEL["critical"], 365) == 1.0
    _, criteria = explain(open_request(deadline=far, urgency="medium"), source(), CONTEXT)
    assert criteria["urgency"]["value"] == pytest.approx(1 / 3, abs=1e-4)


def test_a_source_for_every_area_fits_fully() -> None:
    everything = source(supports=[Support(convention="CCM", areas=[])])
    request = open_request(areas=["survey-and-clearance", "victim-assistance"])

    assert explain(request, everything, CONTEXT)[1]["thematic_fit"]["value"] == 1.0


def test_weights_come_from_settings_and_a_zero_weight_ignores_its_criterion() -> None:
    only_neglect = Weights(thematic_fit=0, regional_focus=0, urgency=0, waiting=0, neglect=1)

    score, _ = explain(open_request(), source(), Context(TODAY, NOW, only_neglect, {"LAO": 0.7}))

    assert score == pytest.approx(0.7)


def test_the_least_covered_state_is_the_most_neglected() -> None:
    neglect = neglect_by_state({"LAO": [0.0, 0.2], "KHM": [0.8], "BIH": [0.4, 0.4]})

    assert neglect == pytest.approx({"LAO": 0.875, "KHM": 0.0, "BIH": 0.5})
    assert neglect_by_state({"LAO": [0.0], "KHM": [0.0]}) == {"LAO": 1.0, "KHM": 1.0}


def test_the_formulas_score_arrays_as_they_score_numbers() -> None:
    days = np.array([0.0, 100.0, 400.0])

    assert scoring.urgency(days, 0.0, 365).tolist() == [
        scoring.urgency(float(d), 0.0, 365) for d in days
    ]
