"""The requests service's own settings, on the shared base; environment prefix `REQUESTS_`."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from shared.settings import Port, ServiceSettings


class RequestsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REQUESTS_")
    service_name: str = "requests"
    port: Port = 8101
