"""HTTP routes of webhook subscriptions: register, list, remove, rotate the secret, replay.

A subscription always belongs to the caller's own audience (`access.audience_of`); another
principal's subscription answers 404, as if it did not exist.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from uuid import UUID, uuid4

from fastapi import APIRouter, Depends, Query, Response, status
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from services.notifications.access import audience_of
from services.notifications.api import PROBLEMS
from services.notifications.schemas import (
    DeliveryOut,
    ReplayOut,
    SecretOut,
    SubscriptionCreated,
    SubscriptionIn,
    SubscriptionOut,
)
from services.notifications.store import SubscriptionRow
from services.notifications.webhook_repository import ACTIVE, SubscriptionRepository
from services.notifications.webhooks import new_secret, refused_address
from shared.auth import PrincipalDep, forbidden
from shared.principal import Principal
from shared.http import Problem
from shared.idempotency import Idempotency, IdempotencyDep
from shared.runtime import ResourcesDep, SessionDep, service_settings
from services.notifications.settings import NotificationsSettings

router = APIRouter(prefix="/v1/subscriptions", tags=["webhooks"])
ROTATION_GRACE = timedelta(hours=24)


async def _owned(
    repository: SubscriptionRepository, principal: Principal, subscription_id: UUID
) -> SubscriptionRow:
    subscription = await repository.get(subscription_id, lock=True)
    if subscription is None or subscription.audience != audience_of(principal):
        raise Problem(
            404, "Subscription not found", f"No subscription {subscription_id}.", kind="not-found"
        )
    return subscription


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=SubscriptionCreated,
    responses=PROBLEMS,
    summary="Register a webhook for the caller's own notifications",
)
async def create_subscription(
    body: SubscriptionIn,
    response: Response,
    session: SessionDep,
    resources: ResourcesDep,
    principal: PrincipalDep,
    idempotency: IdempotencyDep,
) -> Any:
    if (replay := await idempotency.replay()) is not None:
        return replay
    if body.audience is not None and body.audience != audience_of(principal):
        raise forbidden(f"{principal.label} may subscribe to its own notifications only.")
    settings = service_settings(resources, NotificationsSettings)
    refused = await refused_address(body.url, settings.webhook_allow_private_addresses)
    if refused is not None:
        raise Problem(422, "URL not accepted", refused, kind="validation", field="body.url")
    unknown = sorted(set(body.regions) - set(resources.network.centres))
    if unknown:
        raise Problem(
            422,
            "Unknown region",
            f"No regional centre {', '.join(unknown)}.",
            kind="validation",
            field="body.regions",
        )
    now = datetime.now(UTC)
    secret = new_secret()
    subscription = SubscriptionRow(
        id=uuid4(),
        audience=audience_of(principal),
        owner_key_id=principal.key_id,
        url=body.url,
        description=body.description,
        kinds=body.types,
        regions=body.regions,
        min_severity=body.min_severity.value,
        status=ACTIVE,
        created_at=now,
    )
    await SubscriptionRepository(session).add(subscription, secret, now)
    response.headers["Location"] = f"/v1/subscriptions/{subscription.id}"
    created = SubscriptionCreated(**SubscriptionOut.of(subscription).model_dump(), secret=secret)
    return await idempotency.remember(201, created)


@router.get("", response_model=list[SubscriptionOut], responses=PROBLEMS)
async def list_subscriptions(session: SessionDep, principal: PrincipalDep) -> list[SubscriptionOut]:
    rows = await SubscriptionRepository(session).of_audience(audience_of(principal))
    return [SubscriptionOut.of(row) for row in rows]


@router.get("/{subscription_id}", response_model=SubscriptionOut, responses=PROBLEMS)
async def get_subscription(
    subscription_id: UUID, session: SessionDep, principal: PrincipalDep
) -> SubscriptionOut:
    return SubscriptionOut.of(
        await _owned(SubscriptionRepository(session), principal, subscription_id)
    )


@router.delete("/{subscription_id}", status_code=status.HTTP_204_NO_CONTENT, responses=PROBLEMS)
async def remove_subscription(
    subscription_id: UUID, session: SessionDep, principal: PrincipalDep
) -> Response:
    """Remove the webhook with its deliveries and their attempts."""
    repository = SubscriptionRepository(session)
    await _owned(repository, principal, subscription_id)
    await repository.remove(subscription_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


Change = Callable[[SubscriptionRepository, SubscriptionRow], Awaitable[BaseModel]]


@dataclass
class OwnedChange:
    """A POST that changes one of the caller's subscriptions, safe to retry."""

    session: AsyncSession
    principal: Principal
    idempotency: Idempotency

    async def apply(self, subscription_id: UUID, change: Change) -> Any:
        if (replay := await self.idempotency.replay()) is not None:
            return replay
        repository = SubscriptionRepository(self.session)
        subscription = await _owned(repository, self.principal, subscription_id)
        answer = await change(repository, subscription)
        return await self.idempotency.remember(200, answer)


async def owned_change(
    session: SessionDep, principal: PrincipalDep, idempotency: IdempotencyDep
) -> OwnedChange:
    """An async factory: a class as dependency would be built in a worker thread."""
    return OwnedChange(session, principal, idempotency)


OwnedChangeDep = Annotated[OwnedChange, Depends(owned_change)]


@router.post(
    "/{subscription_id}/rotate-secret",
    response_model=SecretOut,
    responses=PROBLEMS,
    summary="A new signing secret; the old one keeps signing for 24 hours",
)
async def rotate_secret(subscription_id: UUID, owned: OwnedChangeDep) -> Any:
    """Until the old secret expires every delivery carries two signatures, one per secret, so
    the receiver can switch to the new secret whenever it is ready."""

    async def rotate(
        repository: SubscriptionRepository, subscription: SubscriptionRow
    ) -> SecretOut:
        now, secret = datetime.now(UTC), new_secret()
        await repository.rotate(subscription.id, secret, now, ROTATION_GRACE)
        return SecretOut(secret=secret, previous_valid_until=now + ROTATION_GRACE)

    return await owned.apply(subscription_id, rotate)


@router.post(
    "/{subscription_id}/replay",
    response_model=ReplayOut,
    responses=PROBLEMS,
    summary="Resume a paused webhook and send its held and given-up deliveries again",
)
async def replay_subscription(subscription_id: UUID, owned: OwnedChangeDep) -> Any:
    """Each delivery keeps its webhook-id, so a receiver that already handled one ignores it."""

    async def replay(
        repository: SubscriptionRepository, subscription: SubscriptionRow
    ) -> ReplayOut:
        requeued = await repository.replay(subscription, datetime.now(UTC))
        return ReplayOut(subscription=SubscriptionOut.of(subscription), requeued=requeued)

    return await owned.apply(subscription_id, replay)


@router.get(
    "/{subscription_id}/deliveries",
    response_model=list[DeliveryOut],
    responses=PROBLEMS,
    summary="Recent deliveries, newest first, with every attempt",
)
async def deliveries(
    subscription_id: UUID,
    session: SessionDep,
    principal: PrincipalDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[DeliveryOut]:
    repository = SubscriptionRepository(session)
    await _owned(repository, principal, subscription_id)
    return [DeliveryOut.of(d, a) for d, a in await repository.deliveries(subscription_id, limit)]
