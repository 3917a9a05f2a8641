"""Test data for the inventory that reads like the seeds: Norway funding mine action."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from lxml import etree

from services.inventory.domain.ledger import Acceptance
from services.inventory.domain.model import Profile, Requirements, Source, Support, WindowTerms
from services.inventory.settings import InventorySettings
from shared.eligibility import Eligibility, EligibilityRule
from shared.events.inventory import SourceKind
from shared.values import Contact

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
IATI_PUBLISHER: str = InventorySettings.model_fields["iati_reporting_org_ref"].default
"""The identifier the inventory reports its IATI activities under, by default."""
TODAY = NOW.date()


def profile(**changes: Any) -> Profile:
    values: dict[str, Any] = {
        "kind": SourceKind.DONOR_STATE,
        "name": "Norway: mine action",
        "description": "Clearance and victim assistance under the CCM and the APMBC.",
        "donor": "norway",
        "home_country": "NOR",
        "supports": (Support("CCM", ("survey-and-clearance",)), Support("APMBC")),
        "assistance_types": ("financial", "technical"),
        "eligibility": Eligibility(rule=EligibilityRule.DEVELOPING),
        "regional_focus": (),
        "min_grant": None,
        "max_grant": None,
        "requirements": Requirements(),
        "contact": Contact("Mine action desk", "mine.action@example.org"),
    }
    return Profile(**{**values, **changes})


def terms(
    capacity: str = "1000000.00", currency: str | None = "USD", **changes: Any
) -> WindowTerms:
    values: dict[str, Any] = {
        "opens": TODAY - timedelta(days=30),
        "closes": TODAY + timedelta(days=335),
        "currency": currency,
        "capacity": Decimal(capacity),
    }
    return WindowTerms(**{**values, **changes})


def in_kind_terms(capacity: str = "400", unit: str = "expert-days", **changes: Any) -> WindowTerms:
    """A window of help in kind: so many of a unit, no currency."""
    return terms(capacity, **{"currency": None, "unit": unit, **changes})


def registered(*windows: WindowTerms, **changes: Any) -> Source:
    """A registered source, its registration events cleared."""
    source = Source.register(profile(**changes), list(windows or (terms(),)), "donor:norway", NOW)
    source.events.clear()
    return source


def acceptance(source: Source, amount: str = "100000.00", **changes: Any) -> Acceptance:
    values: dict[str, Any] = {
        "match_id": uuid4(),
        "request_id": uuid4(),
        "state": "LAO",
        "source_id": source.id,
        "window_id": source.windows[0].id,
        "amount": Decimal(amount),
        "currency": "USD",
        "accepted_by": "donor:norway",
    }
    return Acceptance(**{**values, **changes})


def source_body(**changes: Any) -> dict[str, Any]:
    """The JSON a donor posts to register its source."""
    body: dict[str, Any] = {
        "kind": "donor-state",
        "name": "Norway: mine action",
        "description": "Clearance and victim assistance under the CCM and the APMBC.",
        "donor": "norway",
        "home_country": "NOR",
        "supports": [
            {"convention": "CCM", "areas": ["survey-and-clearance", "victim-assistance"]},
            {"convention": "APMBC"},
        ],
        "assistance_types": ["financial", "technical"],
        "eligibility": {"rule": "developing"},
        "regional_focus": [],
        "windows": [window_body()],
        "min_grant": "10000.00",
        "max_grant": "500000.00",
        "requirements": {"proposal_languages": ["en", "fr"], "documents": ["Article 7 report"]},
        "contact": {"name": "Mine action desk", "email": "mine.action@example.org"},
    }
    body.update(changes)
    return body


def window_body(
    capacity: str = "1000000.00", currency: str = "USD", **changes: Any
) -> dict[str, Any]:
    today = date.today()
    body: dict[str, Any] = {
        "opens": (today - timedelta(days=30)).isoformat(),
        "closes": (today + timedelta(days=335)).isoformat(),
        "currency": currency,
        "capacity": capacity,
    }
    body.update(changes)
    return body


def in_kind_window_body(capacity: str = "400", unit: str = "expert-days") -> dict[str, Any]:
    """A window offering so many expert-days (or another unit) in kind, with no currency."""
    body = window_body(capacity, unit=unit)
    del body["currency"]
    return body


def act_body(
    window_id: str, amount: str, request_id: UUID | None = None, **changes: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "window_id": window_id,
        "request_id": str(request_id) if request_id else None,
        "amount": {"value": amount, "currency": "USD"},
        "date": date.today().isoformat(),
    }
    body.update(changes)
    return body


def source_row(**changes: str | None) -> dict[str, str]:
    """`source_body()` as a row of the sources' template: Norway's mine action fund with one
    window of money (a change of None leaves the column out)."""
    window = window_body()
    values: dict[str, str | None] = {
        "kind": "donor-state",
        "name": "Norway: mine action",
        "description": "Clearance and victim assistance under the CCM and the APMBC.",
        "donor": "norway",
        "home_country": "NOR",
        "assistance_types": "financial; technical",
        "eligibility_rule": "developing",
        "supports_1_convention": "CCM",
        "supports_1_areas": "survey-and-clearance; victim-assistance",
        "supports_2_convention": "APMBC",
        "windows_1_opens": window["opens"],
        "windows_1_closes": window["closes"],
        "windows_1_currency": "USD",
        "windows_1_capacity": "1000000.00",
        "min_grant": "10000.00",
        "max_grant": "500000.00",
        "requirements_proposal_languages": "en; fr",
        "requirements_documents": "Article 7 report",
        "contact_name": "Mine action desk",
        "contact_email": "mine.action@example.org",
    }
    values.update(changes)
    return {name: value for name, value in values.items() if value is not None}


def donor_file(
    activity: str,
    rows: list[tuple[str, ...]],
    provider: str = f"{IATI_PUBLISHER}-norway",
    receiver_activity: str | None = None,
) -> bytes:
    """A donor's own IATI file: one activity, transactions of (ref, type, value[, currency])."""
    root = etree.Element("iati-activities", version="2.03")
    element = etree.SubElement(root, "iati-activity", {"default-currency": "USD"})
    etree.SubElement(element, "iati-identifier").text = activity
    reporting = etree.SubElement(element, "reporting-org", ref=provider, type="10")
    etree.SubElement(reporting, "narrative").text = "Norway"
    for tag in ("title", "description"):
        etree.SubElement(etree.SubElement(element, tag), "narrative").text = "Mine action"
    etree.SubElement(element, "participating-org", ref=provider, role="1")
    etree.SubElement(element, "activity-status", code="2")
    etree.SubElement(element, "activity-date", {"type": "2", "iso-date": str(date.today())})
    for ref, code, value, *currency in rows:
        transaction = etree.SubElement(element, "transaction", ref=ref)
        etree.SubElement(transaction, "transaction-type", code=code)
        etree.SubElement(transaction, "transaction-date", {"iso-date": str(date.today())})
        amount = etree.SubElement(transaction, "value", {"value-date": str(date.today())})
        amount.text = value
        if currency:
            amount.set("currency", currency[0])
        org = etree.SubElement(transaction, "provider-org", ref=provider)
        etree.SubElement(org, "narrative").text = "Norway: mine action"
        if receiver_activity:
            etree.SubElement(
                transaction, "receiver-org", {"receiver-activity-id": receiver_activity}
            )
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))
