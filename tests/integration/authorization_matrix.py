"""What each outsider gets from every operation of every service's OpenAPI document: the data that
test_authorization.py walks. A route without an entry here fails that test, and so does an entry
whose route is gone.

An outsider is a principal that owns nothing of what the test set up, of each kind: the national
focal point of another state, the regional centre of another region, another donor, and an
operator. Each entry gives, in that order, what they get:

- for a write (POST, PUT, DELETE), the status of its refusal: never a 2xx;
- for a read, `HIDDEN`: refused, or answered without anything of the owner's;
- or `SEES`: answered 200 because the operation is open to this caller by design (everyone reads
  the inventory; operators read everything; every donor sees coalitions and unmatched requests).

The call itself: the path's one parameter is filled with the id of the owned resource `on` names
(by default, the one named like the parameter), and `{name}` in the body, query or headers with
the id of the owned resource `name`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from tests.factories import bulk_file, extension_body, need_body, request_body
from tests.inventory_factories import (
    IATI_PUBLISHER,
    act_body,
    donor_file,
    source_body,
    source_row,
    window_body,
)
from tests.sheets import csv_file

IATI_REQUEST = UUID("5f0c0e2e-8a63-4d4e-9a51-3c1d1f1e0a17")
"""The request Norway pledged to, known to the inventory: an outsider's IATI file names it."""

HIDDEN = "hidden"
SEES = "sees"
Expected = int | str
KINDS = ("national", "regional", "donor", "operator")


@dataclass(frozen=True)
class Entry:
    national: Expected
    regional: Expected
    donor: Expected
    operator: Expected
    on: str | None = None
    body: Any = None
    query: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    content: bytes | None = None
    """A body sent as it is (a file), instead of `body` as JSON."""

    def expected(self, kind: str) -> Expected:
        value: Expected = getattr(self, kind)
        return value


def refused(status: int, operator: int | None = None, **call: Any) -> Entry:
    """A write every outsider gets `status` for (the operator `operator`, when it differs)."""
    return Entry(status, status, status, status if operator is None else operator, **call)


def owners_only(**call: Any) -> Entry:
    """A read that shows an outsider nothing of the owner's; operators read everything."""
    return Entry(HIDDEN, HIDDEN, HIDDEN, SEES, **call)


PUBLIC = Entry(SEES, SEES, SEES, SEES)
"""A read open to everyone with a key by design; the health probes and whoami too, which hold
nobody's data."""

# A LAO request in each of draft, submitted and endorsed, reviewed by south-eastern-asia.
REQUESTS = {
    "GET /healthz": PUBLIC,
    "GET /readyz": PUBLIC,
    "GET /v1/whoami": PUBLIC,
    "POST /v1/requests": refused(403, body=request_body("LAO")),
    "GET /v1/requests/template": PUBLIC,
    "POST /v1/requests/bulk": refused(
        403,
        content=bulk_file("LAO"),
        headers={"Content-Type": "text/csv", "Idempotency-Key": "outsider's upload"},
    ),
    "GET /v1/requests/bulk/{key}": Entry(HIDDEN, HIDDEN, HIDDEN, HIDDEN),  # the uploader's key
    "GET /v1/requests": owners_only(query={"state": "LAO"}),
    "GET /v1/requests/{request_id}": owners_only(),
    "PUT /v1/requests/{request_id}": refused(
        404, operator=403, body=need_body(), headers={"If-Match": '"1"'}
    ),
    "GET /v1/requests/{request_id}/history": owners_only(),
    "POST /v1/requests/{request_id}/submit": refused(404, operator=403),
    "POST /v1/requests/{request_id}/withdraw": refused(404, operator=403, body={"reason": "x"}),
    "POST /v1/requests/{request_id}/endorse": refused(404, operator=403, on="submitted"),
    "POST /v1/requests/{request_id}/return": refused(
        404, operator=403, on="submitted", body={"reason": "attach the survey"}
    ),
    "POST /v1/requests/{request_id}/publish": refused(404, operator=403, on="endorsed"),
    "POST /v1/requests/{request_id}/complete": refused(404, operator=403, on="endorsed"),
    "GET /v1/reports/summary": owners_only(),
    "GET /v1/reports/states-by-obligation": owners_only(),
    "GET /v1/reports/deadlines": owners_only(query={"within_days": 3650}),
    # LAO's extension request of its CCM Article 4 deadline, filed (no analysis group named).
    "POST /v1/extension-requests": refused(403, body=extension_body()),
    "GET /v1/extension-requests": owners_only(),
    "GET /v1/extension-requests/{extension_id}": owners_only(),
    "GET /v1/extension-requests/{extension_id}/history": owners_only(),
    "POST /v1/extension-requests/{extension_id}/questions": refused(
        404, operator=403, body={"question": "Why?"}
    ),
    "POST /v1/extension-requests/{extension_id}/answers": refused(
        404, operator=403, body={"answer": "Because"}
    ),
    "POST /v1/extension-requests/{extension_id}/analysis": refused(
        404, operator=403, body={"analysis": "Fine"}
    ),
    "POST /v1/extension-requests/{extension_id}/decision": refused(
        404, operator=403, body={"granted": False, "meeting": "13MSP"}
    ),
    "GET /v1/analysis-groups/{convention}": PUBLIC,  # who reviews is no one's secret
    "POST /v1/analysis-groups/{convention}/members": refused(403, body={"member": "national:KHM"}),
}

# Norway's source with a pledge on its window, a reservation answering a match of it, another
# uploaded in a file, and Lao PDR's own offer of expertise, registered by its focal point.
_ACT = act_body("{window_id}", "100.00")
LAO_OFFER = source_body(
    name="Lao PDR: survey expertise", donor="lao-people-s-democratic-republic", home_country="LAO"
)
PROJECT = {
    "request_id": str(IATI_REQUEST),
    "title": "Clearance of two districts",
    "implementing_partner": "norway",
    "starts": window_body()["opens"],
    "ends": window_body()["closes"],
    "budget": [{"funder": "norway", "amount": "500.00", "currency": "USD"}],
    "targets": [{"indicator": "area-released", "baseline": "0", "target": "10000"}],
}
INVENTORY = {
    "GET /healthz": PUBLIC,
    "GET /readyz": PUBLIC,
    "GET /v1/whoami": PUBLIC,
    "POST /v1/sources": refused(403, body=LAO_OFFER),
    "GET /v1/sources/template": PUBLIC,
    "POST /v1/sources/bulk": refused(
        403,
        content=csv_file(
            [source_row(**{k: LAO_OFFER[k] for k in ("name", "donor", "home_country")})]
        ),
        headers={"Content-Type": "text/csv", "Idempotency-Key": "outsider's upload"},
    ),
    "GET /v1/sources/bulk/{key}": Entry(HIDDEN, HIDDEN, HIDDEN, HIDDEN),  # the uploader's key
    "GET /v1/sources": PUBLIC,
    "GET /v1/sources/{source_id}": PUBLIC,
    "PUT /v1/sources/{source_id}": refused(
        403,
        body=source_body(windows=[{**window_body(), "id": "{window_id}"}]),
        headers={"If-Match": "*"},
    ),
    "GET /v1/sources/{source_id}/history": PUBLIC,
    "POST /v1/sources/{source_id}/pause": refused(403),
    "POST /v1/sources/{source_id}/resume": refused(403, on="state_offer"),
    "POST /v1/sources/{source_id}/close": refused(403, on="state_offer"),
    "POST /v1/sources/{source_id}/pledges": refused(403, body=_ACT),
    "POST /v1/sources/{source_id}/commitments": refused(403, body=_ACT),
    "POST /v1/sources/{source_id}/disbursements": refused(403, body=_ACT),
    "POST /v1/ledger/entries/{entry_id}/corrections": refused(
        403,
        body={
            "amount": {"value": "-50.00", "currency": "USD"},
            "date": window_body()["opens"],
            "reason": "amended",
        },
    ),
    "POST /v1/reservations/{reservation_id}/commitment": refused(
        403, body={"date": window_body()["opens"]}
    ),
    "GET /v1/ledger/entries/{entry_id}": PUBLIC,
    "GET /v1/ledger/entries": PUBLIC,
    "GET /v1/sources/{source_id}/ledger": PUBLIC,
    "GET /v1/ledger/requests/{request_id}": PUBLIC,
    "GET /v1/reservations/{reservation_id}": PUBLIC,
    "GET /v1/reservations": PUBLIC,
    "GET /v1/reports/capacity": PUBLIC,
    "GET /v1/reports/unanswered-sources": PUBLIC,
    # Everyone reads the ledger; a donor's export holds its own sources' alone.
    "GET /v1/iati/activities": Entry(SEES, SEES, HIDDEN, SEES),
    "POST /v1/iati/activities": Entry(
        403,
        422,  # its transaction refused: Norway's source is not the centre's nor Sweden's
        422,
        403,
        content=donor_file(
            f"{IATI_PUBLISHER}-{IATI_REQUEST}", [("t-1", "12", "100.00")], receiver_activity=None
        ),
        headers={"Content-Type": "application/xml"},
    ),
    # Norway's project for the request it commits to, implemented by Norway itself.
    "POST /v1/projects": refused(403, body=PROJECT),
    "GET /v1/projects": owners_only(),
    "GET /v1/projects/{project_id}": owners_only(),
    "POST /v1/projects/{project_id}/reports": refused(
        403, body={"period_start": PROJECT["starts"], "period_end": PROJECT["starts"]}
    ),
}

COALITION = {
    "state": "LAO",
    "convention": "CCM",
    "title": "Country coalition for Lao PDR",
    "members": [{"party": "norway", "kind": "state"}],
    "lead": "norway",
}
"""The coalition the owners hold in matching (and what an outsider tries to propose)."""

# Norway's proposal for a LAO request, a LAO request nothing is proposed for, and LAO's coalition.
MATCHING = {
    "GET /healthz": PUBLIC,
    "GET /readyz": PUBLIC,
    "GET /v1/whoami": PUBLIC,
    "GET /v1/proposals": owners_only(),
    "GET /v1/proposals/{match_id}": owners_only(),
    "GET /v1/requests/{request_id}/proposals": owners_only(),
    "GET /v1/sources/{source_id}/proposals": owners_only(),
    "GET /v1/states/{state}/proposals": owners_only(),
    "POST /v1/proposals/{match_id}/accept": refused(404, operator=403),
    "POST /v1/proposals/{match_id}/decline": refused(404, operator=403, body={"reason": "x"}),
    "GET /v1/requests/{request_id}/coalition": Entry(HIDDEN, HIDDEN, SEES, SEES),
    "POST /v1/allocations": refused(403),
    "GET /v1/unmatched": Entry(HIDDEN, HIDDEN, SEES, SEES, query={"state": "LAO"}),
    # LAO's country coalition, led by Norway: an outsider does not find it; an operator reads it
    # and changes nothing. (A party joins for itself by design: here it names Norway.)
    "POST /v1/coalitions": refused(403, body=COALITION),
    "GET /v1/coalitions": owners_only(),
    "GET /v1/coalitions/{coalition_id}": owners_only(),
    "GET /v1/coalitions/{coalition_id}/summary": owners_only(),
    "POST /v1/coalitions/{coalition_id}/members": refused(
        404, operator=403, body={"party": "{party}", "kind": "state"}
    ),
    "POST /v1/coalitions/{coalition_id}/members/{party}/leave": refused(404, operator=403),
    "POST /v1/coalitions/{coalition_id}/lead": refused(
        404, operator=403, body={"party": "{party}"}
    ),
    "POST /v1/coalitions/{coalition_id}/dialogue": refused(
        404,
        operator=403,
        body={
            "date": "2026-12-01",
            "kind": "meeting",
            "participants": ["LAO", "{party}"],
            "agreed": "Survey first.",
        },
    ),
    "POST /v1/coalitions/{coalition_id}/close": refused(404, operator=403, body={}),
}

# A LAO request's notifications in the feed, and webhooks of LAO and of Norway.
NOTIFICATIONS = {
    "GET /healthz": PUBLIC,
    "GET /readyz": PUBLIC,
    "GET /v1/whoami": PUBLIC,
    "GET /v1/feed": owners_only(query={"state": "LAO"}),
    "GET /v1/stream": owners_only(query={"audience": "national:LAO", "after": 0}),
    "GET /v1/alerts": owners_only(),
    "GET /v1/requests/{request_id}/journey": owners_only(),
    "GET /v1/overview": owners_only(),
    "POST /v1/subscriptions": refused(
        403, body={"url": "http://127.0.0.1:9/hooks", "audience": "national:LAO"}
    ),
    # A webhook is its audience's alone: the operator's list has only its own.
    "GET /v1/subscriptions": Entry(HIDDEN, HIDDEN, HIDDEN, HIDDEN),
    "GET /v1/subscriptions/{subscription_id}": Entry(HIDDEN, HIDDEN, HIDDEN, HIDDEN),
    "DELETE /v1/subscriptions/{subscription_id}": refused(404),
    "POST /v1/subscriptions/{subscription_id}/rotate-secret": refused(404),
    "POST /v1/subscriptions/{subscription_id}/replay": refused(404),
    "GET /v1/subscriptions/{subscription_id}/deliveries": Entry(HIDDEN, HIDDEN, HIDDEN, HIDDEN),
    # Treaty indicators are public figures; a state's facts are recorded by it or the secretariat.
    "GET /v1/reports/indicators": Entry(SEES, SEES, SEES, SEES, query={"convention": "APMBC"}),
    "GET /v1/reports/pending-requests": PUBLIC,
    "GET /v1/reports/needs-by-region": PUBLIC,
    "POST /v1/state-reports": refused(
        403,
        body={
            "state": "LAO",
            "convention": "APMBC",
            "fact": "dialogue-platform",
            "reported_on": "2026-04-30",
        },
    ),
    "GET /v1/state-reports": PUBLIC,
}

MATRIX: dict[str, dict[str, Entry]] = {
    "requests": REQUESTS,
    "inventory": INVENTORY,
    "matching": MATCHING,
    "notifications": NOTIFICATIONS,
}
