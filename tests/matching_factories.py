"""Requests and sources as matching receives them, shaped like the seeds: a CCM state asking for
clearance, a donor state funding clearance in its region."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from services.matching.domain.model import OpenRequest
from shared.eligibility import Eligibility
from shared.events.inventory import (
    SourceDetails,
    SourceKind,
    SourceStatus,
    Support,
    WindowKind,
    WindowState,
)
from shared.events.requests import Amount, ContactPoint, InKindNeed, RequestDetails
from tests.factories import NOW

TODAY = NOW.date()


def request_details(**changes: Any) -> RequestDetails:
    values: dict[str, Any] = {
        "request_id": uuid4(),
        "state": "LAO",
        "regional_centre": "south-eastern-asia",
        "status": "published",
        "version": 4,
        "convention": "CCM",
        "areas": ["survey-and-clearance"],
        "assistance_types": ["financial"],
        "title": "Survey and clearance of cluster munition remnants",
        "description": "Clearance of confirmed hazardous areas ahead of the Article 4 deadline.",
        "evidence": [],
        "amount": Amount(value=Decimal("1500000.00"), currency="USD"),
        "deadline": TODAY + timedelta(days=365),
        "deadline_reason": "Article 4 clearance deadline",
        "urgency": "high",
        "contact": ContactPoint(name="National focal point", email="focal.point@example.org"),
        "created_at": NOW - timedelta(days=30),
    }
    return RequestDetails(**{**values, **changes})


def open_request(
    remaining: Decimal | None = None, published_at: datetime | None = None, **changes: Any
) -> OpenRequest:
    details = request_details(**changes)
    asked = details.amount.value if details.amount else Decimal(1)
    left = asked if remaining is None else remaining
    return OpenRequest(details, published_at or NOW - timedelta(days=20), left)


def window(
    available: str = "1000000.00", currency: str | None = "USD", **changes: Any
) -> WindowState:
    values: dict[str, Any] = {
        "window_id": uuid4(),
        "opens": date(2026, 1, 1),
        "closes": date(2028, 12, 31),
        "currency": currency,
        "capacity": Decimal(available),
        "available": Decimal(available),
    }
    return WindowState(**{**values, **changes})


def in_kind_window(available: str = "200", unit: str = "expert-days") -> WindowState:
    """A window of help in kind: so many of a unit, no currency."""
    return window(available, currency=None, kind=WindowKind.IN_KIND, unit=unit)


def experts_only(**changes: Any) -> RequestDetails:
    """A request for expert-days alone, with no amount of money."""
    experts = InKindNeed(unit="expert-days", quantity=Decimal(120), description="Survey experts")
    return request_details(amount=None, in_kind=[experts], **changes)


def source(
    *windows: WindowState, donor: str = "norway", source_id: UUID | None = None, **changes: Any
) -> SourceDetails:
    values: dict[str, Any] = {
        "source_id": source_id or uuid4(),
        "version": 1,
        "kind": SourceKind.DONOR_STATE,
        "name": f"{donor.capitalize()} mine action fund",
        "donor": donor,
        "home_country": "NOR",
        "status": SourceStatus.ACTIVE,
        "supports": [Support(convention="CCM", areas=["survey-and-clearance"])],
        "assistance_types": ["financial"],
        "eligibility": Eligibility(),
        "regional_focus": ["south-eastern-asia"],
        "windows": list(windows) or [window()],
        "min_grant": None,
        "max_grant": None,
    }
    return SourceDetails(**{**values, **changes})
