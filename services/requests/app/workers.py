"""The requests service's periodic work: the expiry sweep."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from services.requests.app.commands import expire_if_due, requests_due_to_expire
from shared.runtime import Resources


class ExpirySweep:
    """Expires open requests whose deadline has passed, once a minute (any copy may run it).

    Each request expires in a unit of work of its own, so one failure holds up no other."""

    def __init__(self, resources: Resources, interval_seconds: float = 60.0) -> None:
        self.resources = resources
        self.interval_seconds = interval_seconds

    async def run(self) -> None:
        while True:
            await self.sweep(datetime.now(UTC))
            await asyncio.sleep(self.interval_seconds)

    async def sweep(self, now: datetime) -> int:
        async with self.resources.unit_of_work() as uow:
            due = await requests_due_to_expire(uow, now.date())
        expired = 0
        for request_id in due:
            async with self.resources.unit_of_work() as uow:
                expired += await expire_if_due(uow, request_id, now)
        return expired


def workers(resources: Resources) -> list[ExpirySweep]:
    return [ExpirySweep(resources)]
