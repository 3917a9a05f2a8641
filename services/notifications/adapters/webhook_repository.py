"""Queries of webhook subscriptions, their secrets, deliveries and attempts.

Deliveries are rows queued in the same transaction as their notification, so none is lost; any
copy of the service may send them: a sender leases the rows it works on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from sqlalchemy import delete, func, or_, select, update
from sqlmodel import col

from services.notifications.adapters.repository import DELIVERY_CHANNEL
from services.notifications.adapters.tables import (
    AttemptRow,
    DeliveryRow,
    EventRow,
    NotificationRow,
    SecretRow,
    SubscriptionRow,
)
from services.notifications.domain.webhooks import ACTIVE, FAILED, PAUSED, PENDING, Outcome
from shared.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class Outgoing:
    """Everything one attempt at a delivery needs."""

    delivery: DeliveryRow
    subscription: SubscriptionRow
    notification: NotificationRow
    event: EventRow | None
    secrets: list[str]


class SubscriptionRepository:
    def __init__(self, uow: UnitOfWork) -> None:
        self.session = uow.session

    async def add(self, subscription: SubscriptionRow, secret: str, now: datetime) -> None:
        self.session.add(subscription)
        await self.session.flush()
        self.session.add(SecretRow(subscription_id=subscription.id, secret=secret, created_at=now))

    async def get(self, subscription_id: UUID, *, lock: bool = False) -> SubscriptionRow | None:
        query = select(SubscriptionRow).where(col(SubscriptionRow.id) == subscription_id)
        if lock:
            query = query.with_for_update()
        return (await self.session.scalars(query)).first()

    async def of_audience(self, audience: str) -> list[SubscriptionRow]:
        query = (
            select(SubscriptionRow)
            .where(col(SubscriptionRow.audience) == audience)
            .order_by(col(SubscriptionRow.created_at), col(SubscriptionRow.id))
        )
        return list((await self.session.scalars(query)).all())

    async def secrets(self, subscription_id: UUID, now: datetime) -> list[str]:
        """The secrets a delivery is signed with now: the newest, and any still in its grace."""
        query = (
            select(col(SecretRow.secret))
            .where(
                col(SecretRow.subscription_id) == subscription_id,
                or_(col(SecretRow.expires_at).is_(None), col(SecretRow.expires_at) > now),
            )
            .order_by(col(SecretRow.id).desc())
        )
        return list((await self.session.scalars(query)).all())

    async def rotate(
        self, subscription_id: UUID, secret: str, now: datetime, grace: timedelta
    ) -> None:
        """A new secret; the ones in use stay valid for `grace`, so receivers can switch over."""
        s = SecretRow
        await self.session.execute(
            update(s)
            .where(
                col(s.subscription_id) == subscription_id,
                or_(col(s.expires_at).is_(None), col(s.expires_at) > now + grace),
            )
            .values(expires_at=now + grace)
        )
        self.session.add(SecretRow(subscription_id=subscription_id, secret=secret, created_at=now))

    async def pause(self, subscription: SubscriptionRow, now: datetime) -> None:
        """Stop sending: waiting deliveries are held until the owner replays them."""
        subscription.status, subscription.paused_at = PAUSED, now
        await self.session.execute(
            update(DeliveryRow)
            .where(
                col(DeliveryRow.subscription_id) == subscription.id,
                col(DeliveryRow.status) == PENDING,
            )
            .values(status=PAUSED, lease_until=None)
        )

    async def replay(self, subscription: SubscriptionRow, now: datetime) -> int:
        """Resume the subscription and send its held and given-up deliveries again, now."""
        subscription.status, subscription.paused_at = ACTIVE, None
        subscription.consecutive_failures = 0
        result = await self.session.execute(
            update(DeliveryRow)
            .where(
                col(DeliveryRow.subscription_id) == subscription.id,
                col(DeliveryRow.status).in_([PAUSED, FAILED]),
            )
            .values(status=PENDING, next_attempt_at=now, lease_until=None, attempts=0)
            .returning(col(DeliveryRow.id))
        )
        await self.session.execute(select(func.pg_notify(DELIVERY_CHANNEL, "")))
        return len(result.all())

    async def remove(self, subscription_id: UUID) -> None:
        """The subscription, its secrets, deliveries and their attempts (the caller locked the
        subscription first, as every writer of its deliveries does)."""
        deliveries = select(col(DeliveryRow.id)).where(
            col(DeliveryRow.subscription_id) == subscription_id
        )
        await self.session.execute(
            delete(AttemptRow).where(col(AttemptRow.delivery_id).in_(deliveries))
        )
        for table in (DeliveryRow, SecretRow):
            await self.session.execute(
                delete(table).where(col(table.subscription_id) == subscription_id)
            )
        await self.session.execute(
            delete(SubscriptionRow).where(col(SubscriptionRow.id) == subscription_id)
        )

    async def deliveries(
        self, subscription_id: UUID, limit: int
    ) -> list[tuple[DeliveryRow, list[AttemptRow]]]:
        rows = (
            await self.session.scalars(
                select(DeliveryRow)
                .where(col(DeliveryRow.subscription_id) == subscription_id)
                .order_by(col(DeliveryRow.created_at).desc(), col(DeliveryRow.id))
                .limit(limit)
            )
        ).all()
        attempts = (
            await self.session.scalars(
                select(AttemptRow)
                .where(col(AttemptRow.delivery_id).in_([row.id for row in rows]))
                .order_by(col(AttemptRow.number))
            )
        ).all()
        return [(row, [a for a in attempts if a.delivery_id == row.id]) for row in rows]


class DeliveryRepository:
    def __init__(self, uow: UnitOfWork) -> None:
        self.session = uow.session
        self.subscriptions = SubscriptionRepository(uow)

    async def claim_due(self, now: datetime, lease: timedelta, limit: int) -> list[UUID]:
        """Lease due deliveries to this sender; another copy skips them until the lease ends."""
        d = DeliveryRow
        due = (
            select(col(d.id))
            .where(
                col(d.status) == PENDING,
                col(d.next_attempt_at) <= now,
                or_(col(d.lease_until).is_(None), col(d.lease_until) < now),
            )
            .order_by(col(d.next_attempt_at))
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        result = await self.session.execute(
            update(d).where(col(d.id).in_(due)).values(lease_until=now + lease).returning(col(d.id))
        )
        return list(result.scalars().all())

    async def outgoing(self, delivery_id: UUID, now: datetime) -> Outgoing | None:
        delivery = await self.session.get(DeliveryRow, delivery_id)
        if delivery is None:
            return None
        subscription = await self.session.get(SubscriptionRow, delivery.subscription_id)
        notification = await self.session.get(NotificationRow, delivery.notification_id)
        if subscription is None or notification is None:
            return None
        event = await self.session.get(EventRow, notification.event_id)
        secrets = await self.subscriptions.secrets(subscription.id, now)
        return Outgoing(delivery, subscription, notification, event, secrets)

    async def locked(self, delivery_id: UUID) -> tuple[DeliveryRow, SubscriptionRow] | None:
        """The delivery and its subscription, locked for recording an attempt's outcome.

        The subscription is locked before its delivery, in the order its removal takes them, so
        the two cannot deadlock."""
        found = await self.session.get(DeliveryRow, delivery_id)
        if found is None:
            return None
        subscription = await self.subscriptions.get(found.subscription_id, lock=True)
        if subscription is None:
            return None
        delivery = await self.session.get(
            DeliveryRow, delivery_id, with_for_update=True, populate_existing=True
        )
        return None if delivery is None else (delivery, subscription)

    async def add_attempt(self, delivery_id: UUID, outcome: Outcome, at: datetime) -> None:
        """Record an attempt, numbered after the delivery's earlier ones."""
        earlier = await self.session.scalar(
            select(func.count()).where(col(AttemptRow.delivery_id) == delivery_id)
        )
        self.session.add(
            AttemptRow(
                delivery_id=delivery_id,
                number=(earlier or 0) + 1,
                at=at,
                status_code=outcome.status_code,
                error=outcome.error,
                duration_ms=outcome.duration_ms,
            )
        )
