"""Test data that reads like the seeds: a CCM state asking for help with clearance."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from services.requests.adapters.events import details
from services.requests.domain.model import AssistanceRequest, Evidence, Need, Urgency
from shared.events import Envelope, EventPayload
from shared.events import requests as req
from shared.events.matching import Match
from shared.events.requests import RequestEvent, RequestSubmitted
from shared.values import Contact, Money

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def need(**changes: Any) -> Need:
    values: dict[str, Any] = {
        "convention": "CCM",
        "areas": ("survey-and-clearance",),
        "assistance_types": ("financial", "technical"),
        "title": "Survey and clearance of cluster munition remnants in Xieng Khouang",
        "description": "Clearance of confirmed hazardous areas ahead of the Article 4 deadline.",
        "evidence": (Evidence("survey", "Non-technical survey 2018", None, date(2018, 11, 30)),),
        "amount": Money(Decimal("1500000.00"), "USD"),
        "deadline": NOW.date() + timedelta(days=365),
        "deadline_reason": "Article 4 clearance deadline",
        "urgency": Urgency.HIGH,
        "contact": Contact("National focal point", "focal.point@example.org"),
    }
    return Need(**{**values, **changes})


def draft_request(
    state: str = "LAO", centre: str | None = "south-eastern-asia", **changes: Any
) -> AssistanceRequest:
    return AssistanceRequest.draft(state, need(**changes), centre, f"national:{state}", NOW)


def request_body(state: str = "LAO", **changes: Any) -> dict[str, Any]:
    """The JSON a partner system posts to create a draft request."""
    body: dict[str, Any] = {
        "state": state,
        "convention": "CCM",
        "areas": ["survey-and-clearance"],
        "assistance_types": ["financial", "technical"],
        "title": "Survey and clearance of cluster munition remnants",
        "description": "Clearance of confirmed hazardous areas ahead of the Article 4 deadline.",
        "evidence": [
            {"kind": "survey", "description": "Non-technical survey 2018", "date": "2018-11-30"}
        ],
        "amount": {"value": "1500000.00", "currency": "USD"},
        "deadline": (date.today() + timedelta(days=365)).isoformat(),
        "deadline_reason": "Article 4 clearance deadline",
        "urgency": "high",
        "contact": {"name": "National focal point", "email": "focal.point@example.org"},
    }
    body.update(changes)
    return body


def bulk_file(*states: str) -> bytes:
    """A CSV file of a bulk upload: one request per state, the few columns a row needs."""
    deadline = (date.today() + timedelta(days=365)).isoformat()
    lines = [
        "state,convention,areas,assistance_types,title,description,deadline,"
        "contact_name,contact_email"
    ]
    lines += [
        f"{state},CCM,survey-and-clearance,financial,Clearance in {state},Clearance of the "
        f"confirmed hazardous areas,{deadline},National focal point,focal.point@example.org"
        for state in states
    ]
    return ("\n".join(lines) + "\n").encode()


def need_body(**changes: Any) -> dict[str, Any]:
    """The JSON that amends a request: everything but the state."""
    body = request_body(**changes)
    del body["state"]
    return body


def submitted_event(state: str = "LAO", title: str = "Survey and clearance") -> RequestSubmitted:
    """The event a national focal point's submission announces."""
    request = draft_request(state=state, title=title)
    request.submit(f"national:{state}", NOW)
    return RequestSubmitted(
        request=details(request), from_status="draft", actor=f"national:{state}"
    )


def request_event(
    event_type: type[RequestEvent] = RequestSubmitted,
    state: str = "LAO",
    centre: str | None = "south-eastern-asia",
    *,
    status: str = "submitted",
    from_status: str | None = "draft",
    version: int = 2,
    request_id: UUID | None = None,
    reason: str | None = None,
    **need_changes: Any,
) -> RequestEvent:
    """A request event as the requests service announces it, for any status."""
    request = draft_request(state=state, centre=centre, **need_changes)
    changes: dict[str, Any] = {"status": status, "version": version}
    if request_id is not None:
        changes["request_id"] = request_id
    return event_type(
        request=details(request).model_copy(update=changes),
        from_status=from_status,
        actor=f"national:{state}",
        reason=reason,
    )


def match(
    request_id: UUID,
    state: str = "LAO",
    centre: str | None = "south-eastern-asia",
    donor: str | None = "norway",
    amount: str = "500000.00",
) -> Match:
    return Match(
        match_id=uuid4(),
        request_id=request_id,
        state=state,
        regional_centre=centre,
        source_id=uuid4(),
        window_id=uuid4(),
        donor=donor,
        amount=Decimal(amount),
        currency="USD",
    )


def envelope(
    payload: EventPayload, key: str, source: str, at: datetime | None = None
) -> Envelope[Any]:
    return Envelope(payload=payload, key=key, source=source, time=at or datetime.now(UTC))


EXPERTS = {
    "unit": "expert-days",
    "quantity": "120",
    "description": "Technical survey experts to train two national survey teams",
}


def in_kind_body(state: str = "LAO", **changes: Any) -> dict[str, Any]:
    """A request for help in kind alone: expert-days, no money."""
    return request_body(state, **{"amount": None, "in_kind": [EXPERTS], **changes})


EXTENSION_GROUP = ["donor:netherlands", "national:MNE"]
"""The CCM analysis group of the extension tests."""


def extension_event(
    event_type: type[req.ExtensionEvent], centre: str | None = "south-eastern-asia", **changes: Any
) -> req.ExtensionEvent:
    """An event of a Lao PDR extension of its CCM Article 4 deadline."""
    details = req.ExtensionDetails(
        extension_id=uuid4(),
        state="LAO",
        regional_centre=centre,
        convention="CCM",
        area="survey-and-clearance",
        article="4",
        status="submitted",
        version=1,
        current_deadline=date(2025, 8, 1),
        requested_deadline=date(2030, 8, 1),
        granted_deadline=changes.pop("granted_deadline", None),
        plan="Survey, then clearance",
        cost=req.Amount(value=Decimal("9000000"), currency="USD"),
        reasons="Larger contamination",
        analysis=None,
        assistance_request_id=uuid4(),
        analysis_group=EXTENSION_GROUP,
        created_at=NOW,
    )
    return event_type(
        extension=details,
        request_id=details.assistance_request_id,
        from_status=None,
        actor=changes.pop("actor", "national:LAO"),
        reason=changes.pop("reason", None),
    )


def extension_body(**changes: Any) -> dict[str, Any]:
    """Lao PDR's request to extend its CCM Article 4 deadline (1 August 2025 in
    shared/data/obligations.json) to 2030, as its focal point files it."""
    body: dict[str, Any] = {
        "state": "LAO",
        "convention": "CCM",
        "area": "survey-and-clearance",
        "current_deadline": "2025-08-01",
        "requested_deadline": "2030-08-01",
        "plan": "Technical survey of 12 provinces, then clearance of 40 km² by 2030",
        "cost": {"value": "9000000.00", "currency": "USD"},
        "reasons": "Contamination found by survey is larger than first estimated",
        "assistance_types": ["financial", "technical"],
        "contact": {"name": "National Regulatory Authority", "email": "nra@example.org"},
    }
    body.update(changes)
    return body
