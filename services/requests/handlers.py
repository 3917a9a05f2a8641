"""Events the requests service listens to, each with its handler, and its periodic expiry sweep."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from services.requests import events
from services.requests.domain import CLOSED, AssistanceRequest, Status
from services.requests.store import RequestRepository
from shared.events import Envelope
from shared.events.inventory import FundsReserved
from shared.events.matching import RequestCoverageChanged
from shared.runtime import Resources, Subscription
from shared.topics import Stream

log = logging.getLogger(__name__)
OPEN = frozenset(s.value for s in Status if s not in CLOSED | {Status.FUNDED})


def subscriptions(resources: Resources) -> list[Subscription]:
    async def change(
        session: AsyncSession, request_id: UUID, apply: Callable[[AssistanceRequest], bool]
    ) -> None:
        """Apply one change to a request under a row lock; store and announce it if it did."""
        repository = RequestRepository(session)
        request = await repository.get(request_id, for_update=True)
        if request is None:
            log.warning("event about unknown request %s ignored", request_id)
            return
        if apply(request):
            await repository.save(request)
            await events.publish(session, resources.outbox, resources.topics, request)

    async def coverage_changed(
        session: AsyncSession, envelope: Envelope[RequestCoverageChanged]
    ) -> None:
        c = envelope.payload
        await change(
            session,
            c.request_id,
            lambda r: r.record_coverage(
                c.sequence, c.matched_amount, c.fully_matched, "matching", envelope.time
            ),
        )

    async def funds_reserved(session: AsyncSession, envelope: Envelope[FundsReserved]) -> None:
        funds = envelope.payload

        def reserve(request: AssistanceRequest) -> bool:
            asked = request.need.amount
            if asked is not None and asked.currency != funds.currency:
                log.warning(
                    "reservation %s in %s for a request in %s ignored",
                    funds.reservation_id,
                    funds.currency,
                    asked.currency,
                )
                return False
            request.record_reservation(funds.amount, "inventory", envelope.time)
            return True

        await change(session, funds.request_id, reserve)

    return [
        Subscription(
            name="progress",
            handlers={RequestCoverageChanged: coverage_changed, FundsReserved: funds_reserved},
            topics=lambda topics: [topics.global_(Stream.MATCHES), topics.global_(Stream.FUNDS)],
        )
    ]


class ExpirySweep:
    """Expires open requests whose deadline has passed, once a minute (any copy may run it)."""

    def __init__(self, resources: Resources, interval_seconds: float = 60.0) -> None:
        self.resources = resources
        self.interval_seconds = interval_seconds

    async def run(self) -> None:
        while True:
            await self.sweep(datetime.now(UTC))
            await asyncio.sleep(self.interval_seconds)

    async def sweep(self, now: datetime) -> int:
        async with self.resources.sessions() as session:
            due = await RequestRepository(session).ids_due_to_expire(now.date(), OPEN)
        expired = 0
        for request_id in due:
            async with self.resources.sessions.begin() as session:
                expired += await self._expire(session, request_id, now)
        return expired

    async def _expire(self, session: AsyncSession, request_id: UUID, now: datetime) -> int:
        repository = RequestRepository(session)
        request = await repository.get(request_id, for_update=True)
        if request is None or not request.expire_if_due(now.date(), now):
            return 0
        await repository.save(request)
        await events.publish(session, self.resources.outbox, self.resources.topics, request)
        return 1


def workers(resources: Resources) -> list[ExpirySweep]:
    return [ExpirySweep(resources)]
