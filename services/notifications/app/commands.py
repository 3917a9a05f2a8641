"""The use cases of the notifications service: each works in the caller's unit of work and never
commits; the route, consumer or worker that opened the unit of work commits it once.

Taking in an event: the read models learn from it, it is kept as it came (a request's journey),
and its notifications are stored with their webhook deliveries queued. A webhook subscription
always belongs to the caller's own audience (`policy.audience_of`); another principal's
subscription answers 404, as if it did not exist.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from services.notifications.adapters.repository import (
    AlertRepository,
    EventRepository,
    FeedRepository,
    ViewRepository,
)
from services.notifications.adapters.tables import AttemptRow, DeliveryRow, SubscriptionRow
from services.notifications.adapters.webhook_client import refused_address
from services.notifications.adapters.webhook_repository import (
    DeliveryRepository,
    Outgoing,
    SubscriptionRepository,
)
from services.notifications.domain.alerts import Thresholds, alert_notices, due_alerts
from services.notifications.domain.model import (
    Severity,
    SubscriptionNotFound,
    UnknownRegion,
    UrlRefused,
)
from services.notifications.domain.notices import Known, notices_for, request_id_of
from services.notifications.domain.policy import audience_of, may_subscribe
from services.notifications.domain.webhooks import (
    ACTIVE,
    DELIVERED,
    FAILED,
    PAUSED,
    PENDING,
    ROTATION_GRACE,
    Outcome,
    RetryRules,
    new_secret,
    paused_notices,
)
from shared.errors import Forbidden
from shared.events import Envelope, EventPayload
from shared.events import inventory as inv
from shared.events import matching as mat
from shared.events import requests as req
from shared.geography import RegionalNetwork
from shared.principal import Principal
from shared.unit_of_work import UnitOfWork

# --- events and alerts ------------------------------------------------------------------------


async def _known(views: ViewRepository, payload: EventPayload) -> Known:
    """The read models' facts about what an event names only by id."""
    request_id = request_id_of(payload)
    request = await views.request_facts(request_id) if request_id else None
    source_id = getattr(payload, "source_id", None)
    source = await views.source(source_id) if isinstance(source_id, UUID) else None
    escalated = payload.request if isinstance(payload, req.RequestEscalatedToDonors) else None
    return Known(
        request=request,
        source_donor=source.donor if source else None,
        source_name=source.name if source else None,
        donors_to_ask=await _donors_to_ask(views, escalated) if escalated else frozenset(),
    )


async def _donors_to_ask(views: ViewRepository, request: req.RequestDetails) -> frozenset[str]:
    """Whom a request nothing is proposed for is brought to: the members of its state's
    coalition under its obligations, or, when there is none, the donors whose active sources
    support its convention and one of its areas."""
    coalition = await views.coalition_members(request.state, request.convention, request.areas)
    return coalition or await views.donors_supporting(request.convention, request.areas)


async def note_event(uow: UnitOfWork, envelope: Envelope[Any]) -> None:
    """Learn from one event, keep it, and store the notifications it yields."""
    payload = envelope.payload
    views = ViewRepository(uow)
    if isinstance(payload, req.RequestEvent):
        await views.record_request(payload, envelope.time)
    if isinstance(payload, mat.MatchEvent):
        await views.record_match(payload)
    if isinstance(payload, inv.SourceChanged):
        await views.record_source(payload.source)
    if isinstance(payload, inv.LedgerEntryRecorded):
        await views.record_ledger_entry(payload)
    if isinstance(payload, mat.COALITION_PAYLOADS):
        await views.record_coalition(payload.coalition)  # type: ignore[attr-defined]
    await EventRepository(uow).add(envelope, request_id_of(payload))
    notices = notices_for(payload, await _known(views, payload))
    await FeedRepository(uow).add(notices, envelope.id, envelope.time)


async def sweep_alerts(uow: UnitOfWork, thresholds: Thresholds, now: datetime) -> tuple[int, int]:
    """Raise the alerts that became due and clear those resolved, each told to its audiences;
    returns how many were raised and how many cleared."""
    alerts, feed = AlertRepository(uow), FeedRepository(uow)
    await alerts.lock()
    due = due_alerts(await ViewRepository(uow).requests(), now, thresholds)
    standing = await alerts.standing_alerts()
    raised, cleared = due.keys() - standing.keys(), standing.keys() - due.keys()
    for key in raised:
        alert_id = await alerts.raise_(due[key], now)
        await feed.add(alert_notices(due[key], cleared=False), alert_id, now)
    for key in cleared:
        alert_id, alert = standing[key]
        await alerts.clear(alert_id, now)
        await feed.add(alert_notices(alert, cleared=True), uuid4(), now)
    return len(raised), len(cleared)


# --- webhook subscriptions --------------------------------------------------------------------


async def _owned(uow: UnitOfWork, principal: Principal, subscription_id: UUID) -> SubscriptionRow:
    """One of the caller's subscriptions, locked for a change; anyone else's is not found."""
    subscription = await SubscriptionRepository(uow).get(subscription_id, lock=True)
    if subscription is None or subscription.audience != audience_of(principal):
        raise SubscriptionNotFound(f"No subscription {subscription_id}.")
    return subscription


async def create_subscription(
    uow: UnitOfWork,
    principal: Principal,
    network: RegionalNetwork,
    *,
    url: str,
    audience: str | None,
    kinds: Sequence[str],
    regions: Sequence[str],
    min_severity: Severity,
    description: str,
    allow_private: bool,
    now: datetime,
) -> tuple[SubscriptionRow, str]:
    """A webhook for the caller's own notifications; returns it and its first secret."""
    if not may_subscribe(principal):
        raise Forbidden(f"{principal.label} reads the feed; it registers no webhooks.")
    if audience is not None and audience != audience_of(principal):
        raise Forbidden(f"{principal.label} may subscribe to its own notifications only.")
    refused = await refused_address(url, allow_private)
    if refused is not None:
        raise UrlRefused(refused, field="url")
    unknown = sorted(set(regions) - set(network.centres))
    if unknown:
        raise UnknownRegion(f"No regional centre {', '.join(unknown)}.", field="regions")
    secret = new_secret()
    subscription = SubscriptionRow(
        id=uuid4(),
        audience=audience_of(principal),
        owner_key_id=principal.key_id,
        url=url,
        description=description,
        kinds=list(kinds),
        regions=list(regions),
        min_severity=min_severity.value,
        status=ACTIVE,
        created_at=now,
    )
    await SubscriptionRepository(uow).add(subscription, secret, now)
    return subscription, secret


async def subscriptions_of(uow: UnitOfWork, principal: Principal) -> list[SubscriptionRow]:
    return await SubscriptionRepository(uow).of_audience(audience_of(principal))


async def subscription(
    uow: UnitOfWork, principal: Principal, subscription_id: UUID
) -> SubscriptionRow:
    return await _owned(uow, principal, subscription_id)


async def remove_subscription(uow: UnitOfWork, principal: Principal, subscription_id: UUID) -> None:
    """Remove the webhook with its deliveries and their attempts."""
    await _owned(uow, principal, subscription_id)
    await SubscriptionRepository(uow).remove(subscription_id)


@dataclass(frozen=True)
class Rotated:
    secret: str
    previous_valid_until: datetime


async def rotate_secret(
    uow: UnitOfWork, principal: Principal, subscription_id: UUID, now: datetime
) -> Rotated:
    """A new signing secret; the ones in use keep signing for `ROTATION_GRACE`."""
    owned = await _owned(uow, principal, subscription_id)
    secret = new_secret()
    await SubscriptionRepository(uow).rotate(owned.id, secret, now, ROTATION_GRACE)
    return Rotated(secret, now + ROTATION_GRACE)


async def replay_subscription(
    uow: UnitOfWork, principal: Principal, subscription_id: UUID, now: datetime
) -> tuple[SubscriptionRow, int]:
    """Resume a webhook and requeue its held and given-up deliveries; returns it and how many."""
    owned = await _owned(uow, principal, subscription_id)
    return owned, await SubscriptionRepository(uow).replay(owned, now)


async def deliveries_of(
    uow: UnitOfWork, principal: Principal, subscription_id: UUID, limit: int
) -> list[tuple[DeliveryRow, list[AttemptRow]]]:
    await _owned(uow, principal, subscription_id)
    return await SubscriptionRepository(uow).deliveries(subscription_id, limit)


# --- webhook deliveries -----------------------------------------------------------------------


async def claim_deliveries(
    uow: UnitOfWork, now: datetime, lease: timedelta, limit: int
) -> list[UUID]:
    """Lease due deliveries to this sender; another copy skips them until the lease ends."""
    return await DeliveryRepository(uow).claim_due(now, lease, limit)


async def outgoing(uow: UnitOfWork, delivery_id: UUID, now: datetime) -> Outgoing | None:
    """What an attempt at a still pending delivery needs; None if there is nothing to send."""
    found = await DeliveryRepository(uow).outgoing(delivery_id, now)
    return found if found is not None and found.delivery.status == PENDING else None


async def record_attempt(
    uow: UnitOfWork,
    delivery_id: UUID,
    outcome: Outcome,
    rules: RetryRules,
    rng: random.Random,
    now: datetime,
) -> None:
    """Record an attempt and what follows: delivered, retried later, given up, or the
    subscription paused (its owner and the operators are told)."""
    deliveries = DeliveryRepository(uow)
    locked = await deliveries.locked(delivery_id)
    if locked is None:
        return  # the subscription was removed meanwhile
    delivery, subscription = locked
    await deliveries.add_attempt(delivery_id, outcome, now)
    delivery.attempts += 1
    delivery.lease_until = None
    if outcome.ok:
        delivery.status, delivery.delivered_at, delivery.last_error = DELIVERED, now, None
        subscription.consecutive_failures = 0
        return
    delivery.last_error = outcome.error
    subscription.consecutive_failures += 1
    if subscription.status == PAUSED:
        delivery.status = PAUSED
    elif subscription.consecutive_failures >= rules.pause_after_failures:
        await SubscriptionRepository(uow).pause(subscription, now)
        delivery.status = PAUSED
        notices = paused_notices(
            subscription.id,
            subscription.audience,
            subscription.url,
            subscription.consecutive_failures,
            outcome,
        )
        await FeedRepository(uow).add(notices, uuid4(), now)
    elif delivery.attempts >= rules.max_attempts:
        delivery.status = FAILED
    else:
        delivery.next_attempt_at = now + rules.delay(delivery.attempts, rng)
