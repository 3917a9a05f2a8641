"""The assistance request and its lifecycle. No I/O: methods change state and record events."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from uuid import UUID, uuid4


class Status(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"


@dataclass(frozen=True)
class Submitted:
    """Domain event: the state submitted the request for regional review."""

    request_id: UUID
    state: str
    title: str
    regional_centre: str | None


DomainEvent = Submitted


@dataclass
class AssistanceRequest:
    state: str
    title: str
    regional_centre: str | None
    id: UUID = field(default_factory=uuid4)
    status: Status = Status.DRAFT
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    events: list[DomainEvent] = field(default_factory=list)

    def submit(self) -> None:
        if self.status is not Status.DRAFT:
            raise IllegalTransition(self.status, Status.SUBMITTED)
        self.status = Status.SUBMITTED
        self.events.append(Submitted(self.id, self.state, self.title, self.regional_centre))


class IllegalTransition(Exception):
    def __init__(self, current: Status, target: Status) -> None:
        super().__init__(f"a {current} request cannot become {target}")
        self.current = current
        self.target = target
