"""The requests service's own settings, on the shared base; environment prefix `REQUESTS_`."""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field
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
