"""Domain events of extension requests told to the other services, and the service's one event
mapping that tells each aggregate's events through its own translation.

Routing by tier: every change of an extension request is announced on the national topic, on the
topic of the state's regional centre when it has one, and on the global topic at once, where the
secretariat and the convention's analysis group follow it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from services.requests.adapters.events import RequestEvents
from services.requests.domain.extensions import ExtensionChanged, ExtensionRequest
from shared.events import requests as contract
from shared.geography import RegionalNetwork
from shared.topics import Stream, Topics
from shared.unit_of_work import Message

EVENT_OF_ACTION: dict[str, type[contract.ExtensionEvent]] = {
    "submit": contract.ExtensionSubmitted,
    "ask": contract.ExtensionQuestionAsked,
    "answer": contract.ExtensionAnswered,
    "analyse": contract.ExtensionAnalysed,
    "decide": contract.ExtensionDecided,
}


def extension_details(extension: ExtensionRequest) -> contract.ExtensionDetails:
    cost = extension.plan.cost
    return contract.ExtensionDetails(
        **extension.plain_fields(),
        extension_id=extension.id,
        granted_deadline=extension.granted_deadline,
        cost=contract.Amount(value=cost.value, currency=cost.currency),
        analysis_group=sorted(extension.analysis_group),
    )


class ExtensionEvents:
    def __init__(self, topics: Topics) -> None:
        self.topics = topics

    def topics_for(self, extension: ExtensionRequest) -> list[str]:
        names = [self.topics.national(Stream.REQUESTS)]
        if extension.regional_centre:
            names.append(self.topics.regional(extension.regional_centre, Stream.REQUESTS))
        return [*names, self.topics.global_(Stream.REQUESTS)]

    def messages(
        self, extension: ExtensionRequest, events: Sequence[ExtensionChanged]
    ) -> Iterator[Message]:
        snapshot = extension_details(extension)
        for event in events:
            t = event.transition
            payload = EVENT_OF_ACTION[t.action](
                extension=snapshot,
                request_id=extension.assistance_request_id,
                from_status=t.from_status.value if t.from_status else None,
                actor=t.actor,
                reason=t.reason,
            )
            yield Message(payload, str(extension.id), self.topics_for(extension), t.at)


class ServiceEvents:
    """The requests service's event mapping (see `shared.unit_of_work`): assistance requests'
    and extension requests' events, each through its own translation."""

    def __init__(self, topics: Topics, network: RegionalNetwork) -> None:
        self.requests = RequestEvents(topics, network)
        self.extensions = ExtensionEvents(topics)

    def messages(self, aggregate: Any, events: Sequence[Any]) -> Iterator[Message]:
        if isinstance(aggregate, ExtensionRequest):
            return self.extensions.messages(aggregate, events)
        return self.requests.messages(aggregate, events)
