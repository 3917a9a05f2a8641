"""The notifications service's own settings, on the shared base; env prefix `NOTIFICATIONS_`."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import Port, ServiceSettings


class NotificationsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFICATIONS_")
    service_name: str = "notifications"
    port: Port = 8104
    stream_poll_seconds: float = Field(
        2.0, gt=0, description="How often a live stream looks for new rows without a NOTIFY."
    )
    webhook_allow_private_addresses: bool = Field(
        False, description="Accept webhook URLs on loopback and private networks (tests only)."
    )
    webhook_timeout_seconds: float = Field(10.0, gt=0, le=60)
    webhook_backoff_seconds: float = Field(
        5.0, gt=0, description="First retry delay; doubles per attempt, with full jitter."
    )
    webhook_backoff_max_seconds: float = Field(3600.0, gt=0)
    webhook_max_attempts: int = Field(
        12, ge=1, description="Attempts of one delivery before it is given up (replayable)."
    )
    webhook_pause_after_failures: int = Field(
        5, ge=1, description="Consecutive failed attempts that pause a subscription."
    )
    webhook_poll_seconds: float = Field(1.0, gt=0)
    alert_sweep_seconds: float = Field(60.0, gt=0)
    alert_deadline_days: int = Field(
        60, ge=0, description="Alert on open, unfunded requests whose deadline is this close."
    )
    alert_unmatched_days: int = Field(
        30, ge=0, description="Alert on published requests with no match for this long."
    )
    alert_waiting_states: int = Field(
        3, ge=0, description="How many of the longest-waiting states to alert on."
    )
    alert_waiting_min_days: int = Field(
        30, ge=0, description="A state is alerted as waiting only past this many days."
    )
