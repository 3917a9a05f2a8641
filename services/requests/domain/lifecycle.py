"""What the service's aggregates with a lifecycle share: a history of transitions, each changing
the status, bumping the version once the aggregate exists, and recording a domain event; and a
typed refusal naming the rule a change breaks. No I/O."""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar, Generic, TypeVar

from shared.errors import Conflict

S = TypeVar("S", bound=StrEnum)


@dataclass(frozen=True)
class Transition(Generic[S]):
    """One entry of a history: who moved it from what to what, when and why."""

    action: str
    from_status: S | None
    to_status: S
    actor: str
    at: datetime
    reason: str | None = None

    def plain_fields(self) -> dict[str, Any]:
        """Its fields, statuses as their values: what the history's row and the API's answer
        carry alike."""
        return {
            "action": self.action,
            "from_status": self.from_status.value if self.from_status else None,
            "to_status": self.to_status.value,
            "actor": self.actor,
            "at": self.at,
            "reason": self.reason,
        }


class Lifecycle(Generic[S]):
    """Mixed into a dataclass aggregate that has these attributes; `refused` is the error a
    change its lifecycle does not allow raises."""

    refused: ClassVar[type[Conflict]]
    status: S
    version: int
    updated_at: datetime
    history: list[Transition[S]]
    events: list[Any]

    @abstractmethod
    def _changed(self, transition: Transition[S]) -> Any:
        """The domain event that tells the transition."""

    def _require(self, condition: bool, rule: str, message: str) -> None:
        if not condition:
            raise self.refused(message, rule=rule)

    def _record(
        self,
        action: str,
        from_status: S | None,
        to_status: S,
        actor: str,
        now: datetime,
        reason: str | None = None,
    ) -> None:
        transition = Transition(action, from_status, to_status, actor, now, reason)
        self.status = to_status
        self.updated_at = now
        if from_status is not None:
            self.version += 1
        self.history.append(transition)
        self.events.append(self._changed(transition))
