"""The inventory's periodic work: a sweep over the active projects, once a minute (any copy of
the service may run it).

The sweep finds the active projects in one unit of work, then raises each one's due alerts in a
unit of work of its own, under the project's row lock: one failure holds up no other, and an
alert already raised (by this copy or another) is not raised again."""

from __future__ import annotations

import asyncio
from datetime import datetime

from services.inventory.app.projects import active_projects, raise_alerts
from services.inventory.settings import InventorySettings
from shared import clock
from shared.runtime import Resources, service_settings


class ProjectSweep:
    """Raises an alert once for every overdue progress report (due
    `INVENTORY_PROJECT_REPORT_INTERVAL_DAYS` after the last reported period) and every scheduled
    disbursement the ledger does not cover `INVENTORY_PROJECT_DISBURSEMENT_GRACE_DAYS` after
    its date."""

    def __init__(self, resources: Resources, interval_seconds: float = 60.0) -> None:
        self.resources = resources
        self.interval_seconds = interval_seconds
        settings = service_settings(resources, InventorySettings)
        self.report_interval_days = settings.project_report_interval_days
        self.grace_days = settings.project_disbursement_grace_days

    async def run(self) -> None:
        while True:
            await self.sweep(clock.now())
            await asyncio.sleep(self.interval_seconds)

    async def sweep(self, now: datetime) -> int:
        """Returns how many alerts it raised."""
        async with self.resources.unit_of_work() as uow:
            due = await active_projects(uow)
        raised = 0
        for project_id in due:
            async with self.resources.unit_of_work() as uow:
                raised += await raise_alerts(
                    uow,
                    project_id,
                    now,
                    interval_days=self.report_interval_days,
                    grace_days=self.grace_days,
                )
        return raised


def workers(resources: Resources) -> list[ProjectSweep]:
    return [ProjectSweep(resources)]
