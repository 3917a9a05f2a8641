"""The inventory service's own settings, on the shared base; environment prefix `INVENTORY_`."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import BulkSettings, Port


class InventorySettings(BulkSettings):
    model_config = SettingsConfigDict(env_prefix="INVENTORY_")
    service_name: str = "inventory"
    port: Port = 8102
    iati_reporting_org_ref: str = "XI-IATI-EXAMPLE-CLEARINGHOUSE"
    """The organisation identifier the IATI export reports under (illustrative until the
    secretariat registers its own): every activity identifier begins with it."""
    iati_reporting_org_name: str = "Clearing-house secretariat"
    iati_reporting_org_type: str = "40"
    """IATI OrganisationType: 40 Multilateral, as a treaty secretariat is."""
    iati_organisation_refs: dict[str, str] = Field(default_factory=dict)
    """The IATI organisation identifier of each donor party that has one, e.g.
    `{"norway": "XM-DAC-8"}`; the others get `<reporting ref>-<party>`."""
    project_report_interval_days: int = Field(
        90,
        ge=1,
        description="A project's next progress report is due this many days after the last "
        "reported period ends (or after the project starts); later, it is overdue.",
    )
    project_disbursement_grace_days: int = Field(
        30,
        ge=0,
        description="A scheduled disbursement the ledger does not cover this many days after "
        "its planned date is late.",
    )
