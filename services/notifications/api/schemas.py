"""What the notifications API accepts and answers, with the limits that keep input sane."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from pydantic import BaseModel, Field, field_validator

from services.notifications.adapters.tables import (
    AlertRow,
    AttemptRow,
    DeliveryRow,
    EventRow,
    NotificationRow,
    SubscriptionRow,
)
from services.notifications.domain.model import KINDS, Severity
from services.notifications.domain.webhooks import PENDING, webhook_id
from shared.geography import CENTRE_ID
from shared.languages import ENGLISH, Names
from shared.schemas import Strict
from shared.values import attributes

NOTIFICATION_TYPES: dict[str, Any] = {"enum": sorted(KINDS)}
"""The notification types a filter may name, for the OpenAPI document."""


class NotificationOut(BaseModel):
    id: int
    event_id: UUID
    type: str
    audience: str
    severity: str
    summary: str
    subject: str
    state: str | None
    state_name: str | None = Field(description="The state's name, in the language asked for.")
    region: str | None
    request_id: UUID | None
    occurred_at: datetime

    @classmethod
    def of(cls, row: NotificationRow, names: Names = ENGLISH) -> NotificationOut:
        return cls(
            **attributes(
                row,
                cls.model_fields,
                id=row.id or 0,
                type=row.kind,
                state_name=names.state(row.state),
            )
        )


class NotificationLine(BaseModel):
    """A notification as one line of a spreadsheet (`GET /v1/feed?format=csv`)."""

    notification_id: int
    event_id: UUID
    type: str
    audience: str
    severity: str
    summary: str
    subject: str
    state: str | None
    state_name: str | None
    region: str | None
    request_id: UUID | None
    occurred_at: datetime

    @classmethod
    def of(cls, out: NotificationOut) -> NotificationLine:
        return cls(**out.model_dump(include=set(cls.model_fields)), notification_id=out.id)


class FeedPage(BaseModel):
    items: list[NotificationOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for older items; none: last.")


class AlertOut(BaseModel):
    id: UUID
    type: str
    subject: str
    severity: str
    summary: str
    state: str
    region: str | None
    request_id: UUID | None
    raised_at: datetime

    @classmethod
    def of(cls, row: AlertRow) -> AlertOut:
        return cls(**attributes(row, cls.model_fields, type=row.kind))


class JourneyStep(BaseModel):
    event_id: UUID
    type: str
    source: str
    occurred_at: datetime
    data: dict[str, Any]

    @classmethod
    def of(cls, row: EventRow) -> JourneyStep:
        return cls(**attributes(row, cls.model_fields))


class SubscriptionIn(Strict):
    """A webhook: where to, and which of the caller's notifications (every filter must hold)."""

    url: str = Field(
        min_length=8,
        max_length=2000,
        pattern=r"^https?://",
        examples=["https://centre.example.org/hooks"],
    )
    audience: str | None = Field(
        None, max_length=80, description="Whose notifications; only the caller's own is allowed."
    )
    types: list[Annotated[str, Field(json_schema_extra=NOTIFICATION_TYPES)]] = Field(
        default_factory=list,
        max_length=50,
        description="Notification types, e.g. request.submitted; empty: all.",
    )
    regions: list[str] = Field(
        default_factory=list, max_length=50, description="Regional centre ids; empty: all."
    )
    min_severity: Severity = Severity.INFO
    description: str = Field("", max_length=300)

    @field_validator("types")
    @classmethod
    def _known_types(cls, types: list[str]) -> list[str]:
        unknown = sorted(set(types) - KINDS)
        if unknown:
            raise ValueError(
                f"unknown type {', '.join(unknown)}; known: {', '.join(sorted(KINDS))}"
            )
        return sorted(set(types))

    @field_validator("regions")
    @classmethod
    def _region_ids(cls, regions: list[str]) -> list[str]:
        invalid = [r for r in regions if not CENTRE_ID.match(r)]
        if invalid:
            raise ValueError(f"not a regional centre id: {', '.join(invalid)}")
        return sorted(set(regions))


class SubscriptionOut(BaseModel):
    id: UUID
    audience: str
    url: str
    types: list[str]
    regions: list[str]
    min_severity: str
    description: str
    status: str
    consecutive_failures: int
    created_at: datetime
    paused_at: datetime | None

    @classmethod
    def of(cls, row: SubscriptionRow) -> SubscriptionOut:
        return cls(**attributes(row, cls.model_fields, types=row.kinds))


class SubscriptionCreated(SubscriptionOut):
    secret: str = Field(description="The signing secret, shown this once.")


class SecretOut(BaseModel):
    secret: str = Field(description="The new signing secret, shown this once.")
    previous_valid_until: datetime


class ReplayOut(BaseModel):
    subscription: SubscriptionOut
    requeued: int


class AttemptOut(BaseModel):
    number: int
    at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int

    @classmethod
    def of(cls, row: AttemptRow) -> AttemptOut:
        return cls(**attributes(row, cls.model_fields))


class DeliveryOut(BaseModel):
    webhook_id: str
    notification_id: int
    status: str
    attempts: list[AttemptOut]
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    last_error: str | None

    @classmethod
    def of(cls, row: DeliveryRow, attempts: list[AttemptRow]) -> DeliveryOut:
        return cls(
            webhook_id=webhook_id(row.id),
            notification_id=row.notification_id,
            status=row.status,
            attempts=[AttemptOut.of(a) for a in attempts],
            next_attempt_at=row.next_attempt_at if row.status == PENDING else None,
            delivered_at=row.delivered_at,
            last_error=row.last_error,
        )
