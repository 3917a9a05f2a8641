"""Events of the requests service: an assistance request's lifecycle.

Every event carries the request's full details as they are after the change, so a consumer can
keep its own copy (a regional centre reviewing it, matching's read model, the operators' feed)
without asking the requests service anything.
"""

from __future__ import annotations

from datetime import date, datetime
from datetime import date as day_type
from decimal import Decimal
from typing import ClassVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from shared.events.base import EventPayload


class Amount(BaseModel):
    model_config = ConfigDict(frozen=True)

    value: Decimal
    currency: str = Field(pattern=r"^[A-Z]{3}$")


class InKindNeed(BaseModel):
    """Help asked in kind: a quantity of a unit of the shared taxonomy (`in_kind_units`)."""

    model_config = ConfigDict(frozen=True)

    unit: str = Field(examples=["expert-days"])
    quantity: Decimal = Field(gt=0)
    description: str


class EvidenceItem(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: str
    description: str
    reference: str | None = None
    date: day_type | None = None


class ContactPoint(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    email: str
    phone: str | None = None
    organisation: str | None = None


class RequestDetails(BaseModel):
    """An assistance request as it stands."""

    model_config = ConfigDict(frozen=True)

    request_id: UUID
    state: str = Field(description="Requesting state, ISO 3166-1 alpha-3.")
    regional_centre: str | None = Field(description="None: no centre reviews it (global tier).")
    status: str
    version: int
    convention: str
    areas: list[str]
    assistance_types: list[str]
    title: str
    description: str
    evidence: list[EvidenceItem]
    amount: Amount | None = Field(description="Money asked; None: no money.")
    in_kind: list[InKindNeed] = Field(
        default_factory=list, description="Help asked in kind, at most one need per unit."
    )
    deadline: date
    deadline_reason: str | None
    urgency: str
    contact: ContactPoint
    created_at: datetime


class RequestEvent(EventPayload):
    """A change of a request: who made it, why, and the request after it."""

    request: RequestDetails
    from_status: str | None
    actor: str
    reason: str | None = None


class RequestSubmitted(RequestEvent):
    """Submitted (or resubmitted) by its state: its regional centre is asked to review it."""

    event_type: ClassVar[str] = "request.submitted"


class RequestEscalated(RequestEvent):
    """Submitted and not reviewed by its regional centre in time: the secretariat is told, and
    may review it in the centre's place."""

    event_type: ClassVar[str] = "request.escalated"


class RequestEscalatedToDonors(RequestEvent):
    """Published and nothing proposed for it in time: its state's coalition, or else the donors
    whose sources support its convention and areas, are asked to look at it."""

    event_type: ClassVar[str] = "request.escalated-to-donors"


class RequestEndorsed(RequestEvent):
    event_type: ClassVar[str] = "request.endorsed"


class RequestReturned(RequestEvent):
    """Returned to its state for amendment, with the reason."""

    event_type: ClassVar[str] = "request.returned"


class RequestPublished(RequestEvent):
    """Published by the secretariat: open for matching."""

    event_type: ClassVar[str] = "request.published"


class RequestMatchStatusChanged(RequestEvent):
    """Became partly matched or matched, or fell back to published."""

    event_type: ClassVar[str] = "request.match-status-changed"


class RequestFunded(RequestEvent):
    event_type: ClassVar[str] = "request.funded"


class RequestCompleted(RequestEvent):
    event_type: ClassVar[str] = "request.completed"


class RequestWithdrawn(RequestEvent):
    event_type: ClassVar[str] = "request.withdrawn"


class RequestExpired(RequestEvent):
    event_type: ClassVar[str] = "request.expired"


class RequestDeadlineExtended(RequestEvent):
    """Its deadline moved to the one a granted extension of a treaty deadline set (`reason`
    names it): the request carries the new deadline."""

    event_type: ClassVar[str] = "request.deadline-extended"


class ExtensionDetails(BaseModel):
    """A State Party's request to extend a treaty deadline, as it stands."""

    model_config = ConfigDict(frozen=True)

    extension_id: UUID
    state: str = Field(description="Requesting state, ISO 3166-1 alpha-3.")
    regional_centre: str | None
    convention: str
    area: str = Field(description="The obligation: an area of the convention's taxonomy.")
    article: str = Field(description="The treaty article that sets the deadline.")
    status: str
    version: int
    current_deadline: date
    requested_deadline: date
    granted_deadline: date | None = Field(description="Set once the meeting grants it.")
    plan: str
    cost: Amount
    reasons: str
    analysis: str | None
    assistance_request_id: UUID | None = Field(
        description="The assistance request for the resources the extended plan needs."
    )
    analysis_group: list[str] = Field(
        description="The convention's analysis group, as principals (national:MNE, donor:...)."
    )
    created_at: datetime


class ExtensionEvent(EventPayload):
    """A change of an extension request: who made it, what they said, and the extension after
    it. `request_id` is its linked assistance request, whose journey shows the change."""

    extension: ExtensionDetails
    request_id: UUID | None
    from_status: str | None
    actor: str
    reason: str | None = None


class ExtensionSubmitted(ExtensionEvent):
    """Filed by its state: the analysis group is asked to review it."""

    event_type: ClassVar[str] = "extension.submitted"


class ExtensionQuestionAsked(ExtensionEvent):
    """The analysis group asked the state a question (`reason`)."""

    event_type: ClassVar[str] = "extension.question-asked"


class ExtensionAnswered(ExtensionEvent):
    """The state answered the oldest open question (`reason`)."""

    event_type: ClassVar[str] = "extension.answered"


class ExtensionAnalysed(ExtensionEvent):
    """The analysis group wrote its analysis: the meeting of States Parties can decide."""

    event_type: ClassVar[str] = "extension.analysed"


class ExtensionDecided(ExtensionEvent):
    """The meeting's decision, recorded by the secretariat: `granted` (with the new deadline)
    or `not_granted`, in the extension's status."""

    event_type: ClassVar[str] = "extension.decided"


PAYLOADS: tuple[type[EventPayload], ...] = (
    RequestSubmitted,
    RequestEscalated,
    RequestEscalatedToDonors,
    RequestEndorsed,
    RequestReturned,
    RequestPublished,
    RequestMatchStatusChanged,
    RequestFunded,
    RequestCompleted,
    RequestWithdrawn,
    RequestExpired,
    RequestDeadlineExtended,
)
"""The assistance request's events: each carries the request (`RequestEvent`)."""

EXTENSION_PAYLOADS: tuple[type[EventPayload], ...] = (
    ExtensionSubmitted,
    ExtensionQuestionAsked,
    ExtensionAnswered,
    ExtensionAnalysed,
    ExtensionDecided,
)
"""The extension request's events (`ExtensionEvent`), on the same stream as the requests'."""
