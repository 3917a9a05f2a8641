"""Domain events of matches told to the other services: the one translation to shared.events.

Every match event and coverage snapshot goes on the global matches topic (where the inventory and
the requests service read them) and, when a regional centre reviews the request, on that centre's
matches topic, so the centre can follow up on its region's coalitions. The key is the request id:
the events of one request's coalition stay in order.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.matching.domain import Changed, Coverage, Match
from shared.events import Envelope, EventPayload
from shared.events import matching as contract
from shared.outbox import Outbox
from shared.topics import Stream, Topics

SOURCE = "/clearinghouse/matching"


def contract_match(match: Match) -> contract.Match:
    fields = {
        name: getattr(match, name) for name in contract.Match.model_fields if name != "match_id"
    }
    return contract.Match(match_id=match.id, **fields)


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


async def publish(session: AsyncSession, outbox: Outbox, topics: Topics, match: Match) -> None:
    """Put the match's new domain events in the outbox."""
    for event in match.events:
        payload = _payload(match, event)
        if payload is not None:
            envelope = Envelope(payload=payload, key=str(match.request_id), source=SOURCE)
            await outbox.add(session, envelope, *topics_for(match.regional_centre, topics))
    match.events.clear()


async def publish_coverage(
    session: AsyncSession,
    outbox: Outbox,
    topics: Topics,
    coverage: Coverage,
    regional_centre: str | None,
) -> None:
    payload = contract.RequestCoverageChanged(
        request_id=coverage.request_id,
        sequence=coverage.sequence,
        matched_amount=coverage.matched_amount,
        currency=coverage.currency,
        fully_matched=coverage.fully_matched,
    )
    envelope = Envelope(payload=payload, key=str(coverage.request_id), source=SOURCE)
    await outbox.add(session, envelope, *topics_for(regional_centre, topics))
