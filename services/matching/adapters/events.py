"""Domain events of matches told to the other services: the one translation to shared.events.

Every match event and coverage snapshot goes on the global matches topic (where the inventory and
the requests service read them) and, when a regional centre reviews the request, on that centre's
matches topic, so the centre can follow up on its region's coalitions. The key is the request id:
the events of one request's coalition stay in order.

Country coalitions' events go on the same tiers: the global matches topic and the matches topic
of the coalition's state's regional centre, keyed by the coalition id, each carrying the
coalition as it is after the change.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from services.matching.domain import coalitions as domain
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


def contract_coalition(coalition: domain.Coalition) -> contract.Coalition:
    return contract.Coalition(
        **attributes(
            coalition,
            contract.Coalition.model_fields,
            coalition_id=coalition.id,
            status=coalition.status.value,
            members=[_member(m) for m in coalition.members],
        )
    )


def _member(member: domain.Member) -> contract.CoalitionMember:
    return contract.CoalitionMember(party=member.party, kind=member.kind.value)


def _coalition_payload(c: contract.Coalition, event: domain.Changed) -> EventPayload:
    match event.action:
        case "propose":
            return contract.CoalitionProposed(coalition=c, actor=event.actor)
        case "join":
            return contract.CoalitionMemberJoined(
                coalition=c, member=_member(event.detail), actor=event.actor
            )
        case "leave":
            return contract.CoalitionMemberLeft(
                coalition=c, member=_member(event.detail), actor=event.actor
            )
        case "lead":
            return contract.CoalitionLeadChanged(
                coalition=c, previous_lead=event.detail, actor=event.actor
            )
        case "dialogue":
            entry: domain.DialogueEntry = event.detail
            return contract.CoalitionDialogueRecorded(
                coalition=c,
                entry_id=entry.id,
                date=entry.date,
                kind=entry.kind.value,
                participants=list(entry.participants),
                agreed=entry.agreed,
                follow_ups=[
                    contract.FollowUp(action=f.action, owner=f.owner, due=f.due)
                    for f in entry.follow_ups
                ],
                actor=event.actor,
            )
    return contract.CoalitionClosed(coalition=c, reason=event.reason, actor=event.actor)


class MatchEvents:
    """The matching service's event mapping (see `shared.unit_of_work`): matches' changes and
    coverage snapshots."""

    def __init__(self, topics: Topics, network: RegionalNetwork) -> None:
        self.topics = topics

    def messages(
        self,
        aggregate: Match | CoverageReport | domain.Coalition,
        events: Sequence[Changed | Coverage | domain.Changed],
    ) -> Iterator[Message]:
        if isinstance(aggregate, domain.Coalition):
            yield from self._coalition(aggregate, events)
            return
        if isinstance(aggregate, CoverageReport):
            yield from (self._coverage(aggregate, c) for c in events if isinstance(c, Coverage))
            return
        topics = topics_for(aggregate.regional_centre, self.topics)
        for event in events:
            payload = _payload(aggregate, event) if isinstance(event, Changed) else None
            if payload is not None:
                yield Message(payload, str(aggregate.request_id), topics)

    def _coalition(
        self, coalition: domain.Coalition, events: Sequence[object]
    ) -> Iterator[Message]:
        """Each change told with the coalition as it is after all of this unit of work's."""
        topics = topics_for(coalition.regional_centre, self.topics)
        current = contract_coalition(coalition)
        for event in events:
            if isinstance(event, domain.Changed):
                yield Message(_coalition_payload(current, event), str(coalition.id), topics)

    def _coverage(self, report: CoverageReport, coverage: Coverage) -> Message:
        in_kind = [contract.Quantity(unit=u, quantity=q) for u, q in coverage.in_kind]
        payload = contract.RequestCoverageChanged(
            **attributes(coverage, contract.RequestCoverageChanged.model_fields, in_kind=in_kind)
        )
        topics = topics_for(report.regional_centre, self.topics)
        return Message(payload, str(coverage.request_id), topics)
