"""The requests service's periodic work: sweeps that move requests nobody else moves, once a
minute (any copy of the service may run them).

Each sweep finds what is due in one unit of work, then changes each request in a unit of work of
its own, which checks again under the row's lock: one failure holds up no other, and a request
changed meanwhile by its state or centre is left alone."""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from datetime import datetime, timedelta
from uuid import UUID

from services.requests.app.commands import (
    escalate_if_due,
    escalate_to_donors_if_due,
    expire_if_due,
    requests_awaiting_first_proposal,
    requests_awaiting_review,
    requests_due_to_expire,
)
from services.requests.settings import RequestsSettings
from shared import clock
from shared.runtime import Resources, service_settings
from shared.unit_of_work import UnitOfWork


class Sweep(ABC):
    def __init__(self, resources: Resources, interval_seconds: float = 60.0) -> None:
        self.resources = resources
        self.interval_seconds = interval_seconds

    async def run(self) -> None:
        while True:
            await self.sweep(clock.now())
            await asyncio.sleep(self.interval_seconds)

    async def sweep(self, now: datetime) -> int:
        """Returns how many requests it changed."""
        async with self.resources.unit_of_work() as uow:
            due = await self.due(uow, now)
        changed = 0
        for request_id in due:
            async with self.resources.unit_of_work() as uow:
                changed += await self.change(uow, request_id, now)
        return changed

    @abstractmethod
    async def due(self, uow: UnitOfWork, now: datetime) -> list[UUID]: ...

    @abstractmethod
    async def change(self, uow: UnitOfWork, request_id: UUID, now: datetime) -> bool: ...


class ExpirySweep(Sweep):
    """Expires open requests whose deadline has passed."""

    async def due(self, uow: UnitOfWork, now: datetime) -> list[UUID]:
        return await requests_due_to_expire(uow, now.date())

    async def change(self, uow: UnitOfWork, request_id: UUID, now: datetime) -> bool:
        return await expire_if_due(uow, request_id, now)


class EscalationSweep(Sweep):
    """Escalates to the secretariat the submitted requests their centre has not reviewed within
    `REQUESTS_REVIEW_ESCALATION_DAYS`."""

    def __init__(self, resources: Resources, interval_seconds: float = 60.0) -> None:
        super().__init__(resources, interval_seconds)
        days = service_settings(resources, RequestsSettings).review_escalation_days
        self.waiting = timedelta(days=days)

    async def due(self, uow: UnitOfWork, now: datetime) -> list[UUID]:
        return await requests_awaiting_review(uow, now - self.waiting)

    async def change(self, uow: UnitOfWork, request_id: UUID, now: datetime) -> bool:
        return await escalate_if_due(uow, request_id, now - self.waiting, now)


class FirstProposalEscalationSweep(Sweep):
    """Escalates to its state's coalition, or the donors of its convention and areas, a
    published request nothing has been proposed for within
    `REQUESTS_FIRST_PROPOSAL_ESCALATION_DAYS` (or its convention's own number of days)."""

    def __init__(self, resources: Resources, interval_seconds: float = 60.0) -> None:
        super().__init__(resources, interval_seconds)
        self.waiting = service_settings(resources, RequestsSettings).waiting_for_first_proposal

    async def due(self, uow: UnitOfWork, now: datetime) -> list[UUID]:
        return await requests_awaiting_first_proposal(uow, self.waiting, now)

    async def change(self, uow: UnitOfWork, request_id: UUID, now: datetime) -> bool:
        return await escalate_to_donors_if_due(uow, request_id, self.waiting, now)


def workers(resources: Resources) -> list[Sweep]:
    return [
        ExpirySweep(resources),
        EscalationSweep(resources),
        FirstProposalEscalationSweep(resources),
    ]
