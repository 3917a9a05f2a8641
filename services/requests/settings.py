"""The requests service's own settings, on the shared base; environment prefix `REQUESTS_`."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from pydantic import AliasChoices, Field, PositiveInt
from pydantic_settings import SettingsConfigDict

from shared.settings import BulkSettings, Port


class RequestsSettings(BulkSettings):
    model_config = SettingsConfigDict(env_prefix="REQUESTS_")
    service_name: str = "requests"
    port: Port = 8101
    review_escalation_days: int = Field(
        14,
        ge=1,
        description="A submitted request its centre has not reviewed in this many days "
        "is escalated to the secretariat.",
    )
    first_proposal_escalation_days: int = Field(
        30,
        ge=1,
        description="A published request nothing has been proposed for in this many days is "
        "escalated to its state's coalition or the donors of its convention and areas.",
    )
    first_proposal_escalation_days_by_convention: dict[str, PositiveInt] = Field(
        default_factory=dict,
        description='The same, for the conventions named (JSON, e.g. {"CCM": 21}); the others '
        "wait the default.",
    )
    at_risk_days: int = Field(
        60,
        ge=1,
        description="The portal counts a request under way and not yet funded as at risk when "
        "its deadline is this many days away or fewer.",
    )
    obligations_file: Path | None = Field(
        None,
        validation_alias=AliasChoices("obligations_file", "OBLIGATIONS_FILE"),
        description="JSON file of the states' treaty obligations and their deadlines, which "
        "extension requests ask to move; by default the demonstration data in "
        "shared/data/obligations.json.",
    )

    def waiting_for_first_proposal(self, convention: str) -> timedelta:
        days = self.first_proposal_escalation_days_by_convention.get(
            convention, self.first_proposal_escalation_days
        )
        return timedelta(days=days)
