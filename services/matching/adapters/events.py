"""Domain events of matches told to the other services: the one translation to shared.events.

Every match event and coverage snapshot goes on the global matches topic (where the inventory and
the requests service read them) and, when a regional centre reviews the request, on that centre's
matches topic, so the centre can follow up on its region's coalitions. The key is the request id:
the events of one request's coalition stay in order.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from services.matching.domain.model import Changed, Coverage, CoverageReport, Match
from shared.events import EventPayload
from shared.events import matching as contract
from shared.geography import RegionalNetwork
from shared.topics import Stream, Topics
from shared.unit_of_work import Message
from shared.values import attributes


def contract_match(match: Match) -> contract.Match:
    return contract.Match(**attributes(match, contract.Match.model_fields, match_id=match.id))


def _payload(match: Match, event: Changed) -> EventPayload | None:
    m = contract_match(match)
    match event.action:
        case "propose":
            return contract.MatchProposed(match=m, score=match.score, explanation=match.explanation)
        case "withdraw" | "expire":
            return contract.MatchWithdrawn(match=m, reason=event.reason or event.action)
        case "accept":
            return contract.MatchAccepted(match=m, accepted_by=event.actor)
        case "decline":
            return contract.MatchDeclined(match=m, declined_by=event.actor, reason=event.reason)
    return None  # the inventory's answers are told through the coverage snapshot


def topics_for(regional_centre: str | None, topics: Topics) -> list[str]:
    names = [topics.global_(Stream.MATCHES)]
    if regional_centre:
        names.append(topics.regional(regional_centre, Stream.MATCHES))
    return names


class MatchEvents:
    """The matching service's event mapping (see `shared.unit_of_work`): matches' changes and
    coverage snapshots."""

    def __init__(self, topics: Topics, network: RegionalNetwork) -> None:
        self.topics = topics

    def messages(
        self, aggregate: Match | CoverageReport, events: Sequence[Changed | Coverage]
    ) -> Iterator[Message]:
        if isinstance(aggregate, CoverageReport):
            yield from (self._coverage(aggregate, c) for c in events if isinstance(c, Coverage))
            return
        topics = topics_for(aggregate.regional_centre, self.topics)
        for event in events:
            payload = _payload(aggregate, event) if isinstance(event, Changed) else None
            if payload is not None:
                yield Message(payload, str(aggregate.request_id), topics)

    def _coverage(self, report: CoverageReport, coverage: Coverage) -> Message:
        in_kind = [contract.Quantity(unit=u, quantity=q) for u, q in coverage.in_kind]
        payload = contract.RequestCoverageChanged(
            **attributes(coverage, contract.RequestCoverageChanged.model_fields, in_kind=in_kind)
        )
        topics = topics_for(report.regional_centre, self.topics)
        return Message(payload, str(coverage.request_id), topics)
