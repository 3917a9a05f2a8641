"""The matching service's own settings, on the shared base; environment prefix `MATCHING_`."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.matching.domain.scoring import CRITERIA, Weights
from services.matching.domain.steadiness import Steadiness
from shared.settings import Port, ServiceSettings

Weight = Annotated[float, Field(ge=0, le=100)]
DEFAULT = Weights()
"""The score's weights and horizons where the environment does not set them."""
STEADY = Steadiness()
"""What is not a change to a standing proposal, where the environment does not say."""


class MatchingSettings(ServiceSettings):
    """Matching's own settings: the weights of the score and how allocation runs."""

    model_config = SettingsConfigDict(env_prefix="MATCHING_")
    service_name: str = "matching"
    port: Port = 8103
    weight_thematic_fit: Weight = DEFAULT.thematic_fit
    weight_regional_focus: Weight = DEFAULT.regional_focus
    weight_urgency: Weight = DEFAULT.urgency
    weight_waiting: Weight = DEFAULT.waiting
    weight_neglect: Weight = DEFAULT.neglect
    urgency_horizon_days: int = Field(
        DEFAULT.urgency_horizon_days,
        ge=1,
        description="A deadline this far away or further scores no urgency.",
    )
    waiting_horizon_days: int = Field(
        DEFAULT.waiting_horizon_days,
        ge=1,
        description="A request waiting this long since publication scores in full.",
    )
    coalition_bonus: float = Field(
        DEFAULT.coalition_bonus,
        ge=0,
        le=1,
        description="The share of the gap to a perfect score that a pair closes when its donor "
        "is a member of the request's state's coalition (docs/matching.md, Coalitions).",
    )
    candidates_per_request: int = Field(
        20, ge=1, le=500, description="Best-scoring eligible windows kept per request."
    )
    proposal_ttl_days: int = Field(30, ge=1, description="A proposal not answered expires.")
    allocation_time_limit_seconds: float = Field(60.0, gt=0)
    allocation_poll_seconds: float = Field(
        0.5, gt=0, description="How often the allocator looks without being woken by a NOTIFY."
    )
    full_reallocation_seconds: float = Field(
        3600.0, gt=0, description="How often the whole picture is re-allocated."
    )
    steady_share: Decimal = Field(
        STEADY.share,
        ge=0,
        le=1,
        description="A standing proposal is kept as it is when a re-allocation changes its "
        "amount by less than this share of the request's remaining need...",
    )
    steady_amount: Decimal = Field(
        STEADY.amount,
        ge=0,
        description="... or by less than this amount, whichever is larger (docs/matching.md, "
        "Steady proposals).",
    )

    @property
    def weights(self) -> Weights:
        """The score's weights (each criterion's as `weight_<criterion>`) and horizons."""
        return Weights(
            **{name: getattr(self, f"weight_{name}") for name in CRITERIA},
            urgency_horizon_days=self.urgency_horizon_days,
            waiting_horizon_days=self.waiting_horizon_days,
            coalition_bonus=self.coalition_bonus,
        )
