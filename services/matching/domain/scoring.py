"""The score of an eligible pair: weighted criteria, each between 0 and 1. Pure, no I/O.

The formulas take plain numbers, so the same functions score one pair for its explanation and
whole numpy arrays of pairs in `candidates.py`.

- thematic fit: the share of the request's areas the source supports;
- regional focus: 1 when the source focuses on the request's region, 0.5 when it works
  worldwide, 0 when it focuses elsewhere;
- urgency: how close the deadline is (nothing beyond the horizon), or the urgency the state gave,
  whichever is higher;
- waiting: how long the request has waited since it was published, against a horizon;
- neglect: how little the state's open requests are covered compared with the best-covered state.

On top of the weighted mean, a pair whose source's donor is a member of a coalition of the
request's state (not closed, under the request's convention and one of its areas) closes
`coalition_bonus` of the gap between its score and 1: `score + bonus * (1 - score)`. So a member
always ranks above an otherwise equal non-member, the score stays between 0 and 1, and requests
of states without a coalition score exactly as before.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np

from services.matching.domain.coalitions import Coalition, CoalitionStatus, concerns
from services.matching.domain.model import OpenRequest
from services.matching.domain.rules import supported_areas
from shared.events.inventory import SourceDetails
from shared.events.requests import RequestDetails

Number = Any
"""A float, or a numpy array of them: every formula works on both."""

URGENCY_LEVEL = {"low": 0.0, "medium": 1 / 3, "high": 2 / 3, "critical": 1.0}
CRITERIA = ("thematic_fit", "regional_focus", "urgency", "waiting", "neglect")


@dataclass(frozen=True)
class Weights:
    thematic_fit: float = 1.0
    regional_focus: float = 1.0
    urgency: float = 1.0
    waiting: float = 1.0
    neglect: float = 2.0
    urgency_horizon_days: int = 365
    waiting_horizon_days: int = 180
    coalition_bonus: float = 0.25
    """The share of the gap to a perfect score a coalition member's pair closes."""

    def of_criterion(self, name: str) -> float:
        weight: float = getattr(self, name)
        return weight

    @property
    def total(self) -> float:
        return sum(self.of_criterion(name) for name in CRITERIA) or 1.0


def thematic_fit(shared_areas: Number, asked_areas: Number) -> Number:
    return np.minimum(shared_areas / np.maximum(asked_areas, 1), 1.0)


def regional_focus(in_focus: Number, worldwide: Number) -> Number:
    return np.where(in_focus, 1.0, np.where(worldwide, 0.5, 0.0))


def urgency(days_left: Number, stated_level: Number, horizon_days: int) -> Number:
    closeness = 1.0 - np.clip(days_left, 0, horizon_days) / horizon_days
    return np.maximum(closeness, stated_level)


def waiting(days_waited: Number, horizon_days: int) -> Number:
    return np.clip(days_waited, 0, horizon_days) / horizon_days


def combine(criteria: dict[str, Number], weights: Weights) -> Number:
    """The weighted mean of the criteria: 0 to 1."""
    total = sum(weights.of_criterion(name) * criteria[name] for name in CRITERIA)
    return total / weights.total


def with_coalition(score: Number, member: Number, bonus: float) -> Number:
    """The score of a pair whose donor is a member of the state's coalition (`member` 1) or
    not (0): the member's closes `bonus` of the gap to 1."""
    return score + bonus * (1.0 - score) * member


def neglect_by_state(covered_share: dict[str, list[float]]) -> dict[str, float]:
    """1 for the least covered states, 0 for the best covered, from each state's requests'
    covered shares (the mean share of its open requests, against the highest mean)."""
    means = {state: sum(shares) / len(shares) for state, shares in covered_share.items() if shares}
    best = max(means.values(), default=0.0)
    if best <= 0:
        return dict.fromkeys(means, 1.0)
    return {state: 1.0 - mean / best for state, mean in means.items()}


@dataclass(frozen=True)
class Context:
    """What scoring needs beyond the pair: the day, the weights, each state's neglect."""

    today: date
    now: datetime
    weights: Weights
    neglect: dict[str, float]
    coalitions: Mapping[str, Sequence[Coalition]] = field(default_factory=dict)
    """The standing coalitions of each state, whose members are preferred for its requests."""

    def partners(self, request: RequestDetails) -> frozenset[str]:
        """The parties of the coalitions of the request's state that concern its obligations."""
        return frozenset(
            member.party
            for coalition in self.coalitions.get(request.state, ())
            if coalition.state == request.state
            and coalition.status is not CoalitionStatus.CLOSED
            and concerns(coalition, request.convention, request.areas)
            for member in coalition.members
        )

    def coalition_member(self, request: RequestDetails, source: SourceDetails) -> bool:
        return source.donor is not None and source.donor in self.partners(request)


def criteria_of(request: OpenRequest, source: SourceDetails, context: Context) -> dict[str, float]:
    """Each criterion's value for one pair."""
    details = request.details
    areas = supported_areas(source, details.convention)
    asked = set(details.areas)
    shared = len(asked) if areas == frozenset() else len(asked & (areas or set()))
    centre = details.regional_centre
    return {
        "thematic_fit": float(thematic_fit(float(shared), float(len(asked)))),
        "regional_focus": float(
            regional_focus(
                float(centre is not None and centre in source.regional_focus),
                float(not source.regional_focus),
            )
        ),
        "urgency": float(
            urgency(
                float((details.deadline - context.today).days),
                URGENCY_LEVEL.get(details.urgency, 0.0),
                context.weights.urgency_horizon_days,
            )
        ),
        "waiting": float(
            waiting(
                (context.now - request.published_at).total_seconds() / 86400,
                context.weights.waiting_horizon_days,
            )
        ),
        "neglect": context.neglect.get(details.state, 1.0),
    }


def explain(
    request: OpenRequest, source: SourceDetails, context: Context
) -> tuple[float, dict[str, dict[str, float]]]:
    """The pair's score and, for each criterion, its value and weight."""
    values = criteria_of(request, source, context)
    member = float(context.coalition_member(request.details, source))
    score = float(
        with_coalition(combine(values, context.weights), member, context.weights.coalition_bonus)
    )
    return score, {
        name: {"value": round(value, 4), "weight": context.weights.of_criterion(name)}
        for name, value in values.items()
    }
