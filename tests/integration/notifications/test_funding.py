"""A request's funding as the matching, inventory and requests services announce it on Kafka:
who hears of each step, how loudly, and that nobody else does."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import uuid4

from shared.events import EventPayload
from shared.events import inventory as inv
from shared.events import matching as mat
from shared.events import requests as req
from shared.topics import Stream
from tests.factories import envelope, match, request_event
from tests.integration.notifications.conftest import (
    BALKANS,
    KHM,
    LAO,
    MNE,
    NORWAY,
    OPERATOR,
    PER,
    SOUTH_EAST_ASIA,
    SWEDEN,
    deliver,
    feed,
)
from tests.matching_factories import source
from tests.service_api import Api

INFO, WARNING = "info", "warning"
LAO_SIDE = {"national:LAO": INFO, "regional:south-eastern-asia": INFO, "secretariat": INFO}


def _heard(items: list[dict[str, Any]]) -> dict[str, dict[str, str]]:
    """For each event type, who heard of it and how loudly."""
    found: dict[str, dict[str, str]] = defaultdict(dict)
    for item in items:
        found[item["type"]][item["audience"]] = item["severity"]
    return dict(found)


async def _announce(api: Api, stream: Stream, key: str, *payloads: EventPayload) -> None:
    await deliver(api, stream, *(envelope(p, key, f"/clearinghouse/{stream}") for p in payloads))


async def test_each_step_of_a_funding_reaches_its_audiences_and_nobody_else(service: Api) -> None:
    published = request_event(
        req.RequestPublished, status="published", from_status="endorsed", version=4
    )
    request_id = published.request.request_id
    norway, sweden = source(donor="norway"), source(donor="sweden", regional_focus=[])
    accepted = match(request_id, donor="norway").model_copy(update={"source_id": norway.source_id})
    refused = match(request_id, donor="sweden").model_copy(update={"source_id": sweden.source_id})
    funded = request_event(
        req.RequestFunded, status="funded", from_status="matched", version=6, request_id=request_id
    )
    key = str(request_id)

    await _announce(service, Stream.REQUESTS, key, published)
    for details in (norway, sweden):
        changed = inv.SourceChanged(source=details, change="registered", actor="secretariat")
        await _announce(service, Stream.SOURCES, str(details.source_id), changed)
    await _announce(
        service,
        Stream.MATCHES,
        key,
        mat.MatchProposed(match=accepted, score=0.9, explanation={}),
        mat.MatchAccepted(match=accepted, accepted_by="donor:norway"),
        mat.MatchAccepted(match=refused, accepted_by="donor:sweden"),
    )
    await _announce(
        service,
        Stream.FUNDS,
        key,
        inv.FundsReserved(
            reservation_id=uuid4(),
            match_id=accepted.match_id,
            request_id=request_id,
            source_id=norway.source_id,
            amount=accepted.amount,
            currency="USD",
        ),
        inv.FundsReservationFailed(
            match_id=refused.match_id,
            request_id=request_id,
            source_id=sweden.source_id,
            amount=refused.amount,
            currency="USD",
            reason=inv.ReservationFailure.CAPACITY_GONE,
            detail="the window is spent",
        ),
        inv.LedgerEntryRecorded(
            entry_id=uuid4(),
            source_id=norway.source_id,
            window_id=norway.windows[0].window_id,
            request_id=request_id,
            kind="disbursed",
            amount=accepted.amount,
            currency="USD",
            date=date(2026, 11, 23),
            actor="donor:norway",
        ),
    )
    coverage = mat.RequestCoverageChanged(
        request_id=request_id, sequence=2, matched_amount=Decimal("500000"), fully_matched=True
    )
    await _announce(service, Stream.MATCHES, key, coverage)
    await _announce(service, Stream.REQUESTS, key, funded)

    heard = _heard(await feed(service, OPERATOR))
    assert heard["match.proposed"] == {**LAO_SIDE, "operator": INFO, "donor:norway": WARNING}
    assert heard["match.accepted"] == {
        **LAO_SIDE,
        "operator": INFO,
        "donor:norway": INFO,
        "donor:sweden": INFO,
    }
    assert heard["funds.reserved"] == {**LAO_SIDE, "operator": INFO, "donor:norway": INFO}
    assert heard["funds.reservation-failed"] == {
        **LAO_SIDE,
        "secretariat": WARNING,  # a failed reservation needs someone to look
        "operator": WARNING,
        "donor:sweden": WARNING,
    }
    assert heard["funds.ledger-entry-recorded"] == {
        **LAO_SIDE,
        "operator": INFO,
        "donor:norway": INFO,
    }
    assert heard["match.coverage-changed"] == {"operator": INFO}  # told again as the request's
    assert heard["request.funded"] == {**LAO_SIDE, "operator": INFO}

    for outsider in (KHM, MNE, PER, BALKANS):
        assert await feed(service, outsider) == []
    assert _heard(await feed(service, NORWAY)).keys() == {
        "source.changed",
        "match.proposed",
        "match.accepted",
        "funds.reserved",
        "funds.ledger-entry-recorded",
    }
    assert {i["audience"] for i in await feed(service, NORWAY)} == {"donor:norway"}
    assert {(i["type"], i["audience"]) for i in await feed(service, SWEDEN)} == {
        ("source.changed", "donor:sweden"),
        ("match.accepted", "donor:sweden"),
        ("funds.reservation-failed", "donor:sweden"),
    }
    lao_types = {i["type"] for i in await feed(service, LAO)}
    assert "source.changed" not in lao_types
    assert "match.coverage-changed" not in lao_types
    regional = await feed(service, SOUTH_EAST_ASIA, type="funds.reserved")
    assert [i["summary"] for i in regional if i["audience"].startswith("regional:")] == [
        "500,000.00 USD reserved from Norway mine action fund for Lao People's Democratic "
        f"Republic: “{published.request.title}”"  # names and title from the read models
    ]
