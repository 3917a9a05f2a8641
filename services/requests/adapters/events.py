"""Domain events of a request told to the other services: the one translation to shared.events,
which the unit of work asks for when it commits.

Routing by tier: every change is announced on the national topic and, when a centre reviews the
request, on that centre's topic; it reaches the global topic once the request is endorsed (or at
once, when no centre reviews the request), where matching and the secretariat pick it up.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import asdict

from services.requests.domain.model import ON_GLOBAL_TIER, AssistanceRequest, Changed
from shared.events import requests as contract
from shared.geography import RegionalNetwork
from shared.topics import Stream, Topics
from shared.unit_of_work import Message

EVENT_OF_ACTION: dict[str, type[contract.RequestEvent]] = {
    "submit": contract.RequestSubmitted,
    "escalate": contract.RequestEscalated,
    "escalate-to-donors": contract.RequestEscalatedToDonors,
    "endorse": contract.RequestEndorsed,
    "return": contract.RequestReturned,
    "publish": contract.RequestPublished,
    "coverage": contract.RequestMatchStatusChanged,
    "fund": contract.RequestFunded,
    "complete": contract.RequestCompleted,
    "withdraw": contract.RequestWithdrawn,
    "expire": contract.RequestExpired,
    "extend-deadline": contract.RequestDeadlineExtended,
}


def details(request: AssistanceRequest) -> contract.RequestDetails:
    need = request.need
    return contract.RequestDetails(
        **request.plain_fields(),
        request_id=request.id,
        evidence=[contract.EvidenceItem(**asdict(e)) for e in need.evidence],
        amount=contract.Amount(value=need.amount.value, currency=need.amount.currency)
        if need.amount
        else None,
        in_kind=[contract.InKindNeed(**asdict(n)) for n in need.in_kind],
        contact=contract.ContactPoint(**asdict(need.contact)),
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
        or event.transition.action == "escalate"  # for the secretariat, in the centre's place
    ):
        names.append(topics.global_(Stream.REQUESTS))
    return names


class RequestEvents:
    """The requests service's event mapping (see `shared.unit_of_work`)."""

    def __init__(self, topics: Topics, network: RegionalNetwork) -> None:
        self.topics = topics

    def messages(self, request: AssistanceRequest, events: Sequence[Changed]) -> Iterator[Message]:
        """Each status change as its event, on the topics of its tier."""
        snapshot = details(request)
        for event in events:
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
            yield Message(payload, str(request.id), topics_for(request, event, self.topics), t.at)
