"""The inventory service's own settings, on the shared base; environment prefix `INVENTORY_`."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from shared.settings import BulkSettings, Port


class InventorySettings(BulkSettings):
    model_config = SettingsConfigDict(env_prefix="INVENTORY_")
    service_name: str = "inventory"
    port: Port = 8102
