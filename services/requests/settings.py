"""The requests service's own settings, on the shared base; environment prefix `REQUESTS_`."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import Port, ServiceSettings


class RequestsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REQUESTS_")
    service_name: str = "requests"
    port: Port = 8101
    review_escalation_days: int = Field(
        14,
        ge=1,
        description="A submitted request its centre has not reviewed in this many days "
        "is escalated to the secretariat.",
    )
    bulk_max_rows: int = Field(
        10_000, ge=1, le=100_000, description="The most rows one bulk upload may carry."
    )
    bulk_max_bytes: int = Field(
        10 * 1024 * 1024,
        ge=1024,
        description="The largest file one bulk upload may carry, in bytes; at most the body "
        "limit of the service (REQUESTS_MAX_BODY_BYTES).",
    )
    bulk_max_errors: int = Field(
        1000, ge=1, description="The most problems a refused bulk upload lists (it counts all)."
    )
