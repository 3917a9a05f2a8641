"""Domain events of a request told to the other services: the one translation to shared.events.

Routing by tier: every change is announced on the national topic and, when a centre reviews the
request, on that centre's topic; it reaches the global topic once the request is endorsed (or at
once, when no centre reviews the request), where matching and the secretariat pick it up.
"""

from __future__ import annotations

from dataclasses import asdict

from sqlalchemy.ext.asyncio import AsyncSession

from services.requests.domain import ON_GLOBAL_TIER, AssistanceRequest, Changed
from shared.events import Envelope
from shared.events import requests as contract
from shared.outbox import Outbox
from shared.topics import Stream, Topics

SOURCE = "/clearinghouse/requests"

EVENT_OF_ACTION: dict[str, type[contract.RequestEvent]] = {
    "submit": contract.RequestSubmitted,
    "endorse": contract.RequestEndorsed,
    "return": contract.RequestReturned,
    "publish": contract.RequestPublished,
    "coverage": contract.RequestMatchStatusChanged,
    "fund": contract.RequestFunded,
    "complete": contract.RequestCompleted,
    "withdraw": contract.RequestWithdrawn,
    "expire": contract.RequestExpired,
}


def details(request: AssistanceRequest) -> contract.RequestDetails:
    need = request.need
    return contract.RequestDetails(
        request_id=request.id,
        state=request.state,
        regional_centre=request.regional_centre,
        status=request.status.value,
        version=request.version,
        convention=need.convention,
        areas=list(need.areas),
        assistance_types=list(need.assistance_types),
        title=need.title,
        description=need.description,
        evidence=[contract.EvidenceItem(**asdict(e)) for e in need.evidence],
        amount=contract.Amount(value=need.amount.value, currency=need.amount.currency)
        if need.amount
        else None,
        deadline=need.deadline,
        deadline_reason=need.deadline_reason,
        urgency=need.urgency.value,
        contact=contract.ContactPoint(**asdict(need.contact)),
        created_at=request.created_at,
    )


def topics_for(request: AssistanceRequest, event: Changed, topics: Topics) -> list[str]:
    names = [topics.national(Stream.REQUESTS)]
    if request.regional_centre:
        names.append(topics.regional(request.regional_centre, Stream.REQUESTS))
    was_global = event.transition.from_status in ON_GLOBAL_TIER
    if (
        request.regional_centre is None
        or was_global
        or event.transition.to_status in ON_GLOBAL_TIER
    ):
        names.append(topics.global_(Stream.REQUESTS))
    return names


async def publish(
    session: AsyncSession, outbox: Outbox, topics: Topics, request: AssistanceRequest
) -> None:
    """Put the request's new domain events in the outbox, each on the topics of its tier."""
    snapshot = details(request)
    for event in request.events:
        event_type = EVENT_OF_ACTION.get(event.transition.action)
        if event_type is None:
            continue  # creating and amending a draft concern the state alone
        t = event.transition
        payload = event_type(
            request=snapshot,
            from_status=t.from_status.value if t.from_status else None,
            actor=t.actor,
            reason=t.reason,
        )
        envelope = Envelope(payload=payload, key=str(request.id), source=SOURCE, time=t.at)
        await outbox.add(session, envelope, *topics_for(request, event, topics))
    request.events.clear()
