"""HTTP routes of webhook subscriptions: register, list, remove, rotate the secret, replay.

A subscription always belongs to the caller's own audience; another principal's subscription
answers 404, as if it did not exist (`app.commands`).
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Response, status

from services.notifications.api.schemas import (
    DeliveryOut,
    ReplayOut,
    SecretOut,
    SubscriptionCreated,
    SubscriptionIn,
    SubscriptionOut,
)
from services.notifications.app import commands
from services.notifications.settings import NotificationsSettings
from shared import clock
from shared.auth import PrincipalDep
from shared.deps import Answer, Call, CallDep, ResourcesDep, UnitOfWorkDep
from shared.http import PROBLEMS
from shared.runtime import service_settings

router = APIRouter(prefix="/v1/subscriptions", tags=["webhooks"], responses=PROBLEMS)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=SubscriptionCreated,
    summary="Register a webhook for the caller's own notifications",
)
async def create_subscription(body: SubscriptionIn, call: CallDep, resources: ResourcesDep) -> Any:
    settings = service_settings(resources, NotificationsSettings)
    return await call.once(201, lambda: _create(call, body, settings))


async def _create(call: Call, body: SubscriptionIn, settings: NotificationsSettings) -> Answer:
    subscription, secret = await commands.create_subscription(
        call.uow,
        call.principal,
        call.uow.network,
        url=body.url,
        audience=body.audience,
        kinds=body.types,
        regions=body.regions,
        min_severity=body.min_severity,
        description=body.description,
        allow_private=settings.webhook_allow_private_addresses,
        now=clock.now(),
    )
    created = SubscriptionCreated(**SubscriptionOut.of(subscription).model_dump(), secret=secret)
    return Answer(created, {"Location": f"/v1/subscriptions/{subscription.id}"})


@router.get("")
async def list_subscriptions(uow: UnitOfWorkDep, principal: PrincipalDep) -> list[SubscriptionOut]:
    return [SubscriptionOut.of(row) for row in await commands.subscriptions_of(uow, principal)]


@router.get("/{subscription_id}")
async def get_subscription(
    subscription_id: UUID, uow: UnitOfWorkDep, principal: PrincipalDep
) -> SubscriptionOut:
    return SubscriptionOut.of(await commands.subscription(uow, principal, subscription_id))


@router.delete("/{subscription_id}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_subscription(
    subscription_id: UUID, uow: UnitOfWorkDep, principal: PrincipalDep
) -> Response:
    """Remove the webhook with its deliveries and their attempts."""
    await commands.remove_subscription(uow, principal, subscription_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{subscription_id}/rotate-secret",
    response_model=SecretOut,
    summary="A new signing secret; the old one keeps signing for 24 hours",
)
async def rotate_secret(subscription_id: UUID, call: CallDep) -> Any:
    """Until the old secret expires every delivery carries two signatures, one per secret, so
    the receiver can switch to the new secret whenever it is ready."""

    async def rotate() -> Answer:
        now = clock.now()
        rotated = await commands.rotate_secret(call.uow, call.principal, subscription_id, now)
        return Answer(
            SecretOut(secret=rotated.secret, previous_valid_until=rotated.previous_valid_until)
        )

    return await call.once(200, rotate)


@router.post(
    "/{subscription_id}/replay",
    response_model=ReplayOut,
    summary="Resume a paused webhook and send its held and given-up deliveries again",
)
async def replay_subscription(subscription_id: UUID, call: CallDep) -> Any:
    """Each delivery keeps its webhook-id, so a receiver that already handled one ignores it."""

    async def replay() -> Answer:
        subscription, requeued = await commands.replay_subscription(
            call.uow, call.principal, subscription_id, clock.now()
        )
        return Answer(ReplayOut(subscription=SubscriptionOut.of(subscription), requeued=requeued))

    return await call.once(200, replay)


@router.get(
    "/{subscription_id}/deliveries",
    summary="Recent deliveries, newest first, with every attempt",
)
async def deliveries(
    subscription_id: UUID,
    uow: UnitOfWorkDep,
    principal: PrincipalDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[DeliveryOut]:
    found = await commands.deliveries_of(uow, principal, subscription_id, limit)
    return [DeliveryOut.of(d, a) for d, a in found]
