"""Extension requests in the feed: each step told to the state, its centre, the secretariat, the
operators and the convention's analysis group, and read by each within its scope."""

from __future__ import annotations

from shared.events import requests as req
from shared.principal import Principal
from shared.topics import Stream
from tests.factories import envelope, extension_event
from tests.integration.notifications.conftest import (
    BALKANS,
    KHM,
    LAO,
    MNE,
    NORWAY,
    OPERATOR,
    SECRETARIAT,
    SOUTH_EAST_ASIA,
    deliver,
    feed,
    notifications,
)
from tests.system import Environment

NETHERLANDS = Principal.for_donor("netherlands")


async def test_a_question_warns_the_state_and_reaches_the_analysis_group(
    environment: Environment,
) -> None:
    event = extension_event(req.ExtensionQuestionAsked, actor="national:MNE", reason="Which?")
    principals = (LAO, KHM, MNE, SOUTH_EAST_ASIA, BALKANS, SECRETARIAT, OPERATOR, NORWAY)
    async with notifications(environment, (*principals, NETHERLANDS)) as service:
        await deliver(
            service,
            Stream.REQUESTS,
            envelope(event, str(event.extension.extension_id), "/clearinghouse/requests"),
        )
        everything = await feed(service, OPERATOR)
        lao = await feed(service, LAO)
        group = [await feed(service, p) for p in (MNE, NETHERLANDS)]
        outsiders = [await feed(service, p) for p in (KHM, NORWAY)]
        balkans = await feed(service, BALKANS)

    assert sorted((i["audience"], i["severity"]) for i in everything) == [
        ("donor:netherlands", "info"),
        ("national:LAO", "warning"),  # the state has to answer
        ("national:MNE", "info"),
        ("operator", "info"),
        ("regional:south-eastern-asia", "info"),
        ("secretariat", "info"),
    ]
    assert {i["type"] for i in everything} == {"extension.question-asked"}
    assert "Which?" in lao[0]["summary"]
    assert [[i["audience"] for i in items] for items in group] == [
        ["national:MNE"],
        ["donor:netherlands"],
    ]
    assert outsiders == [[], []]
    # A centre reads what its states' focal points are told: here, the group member's notice.
    assert [i["audience"] for i in balkans] == ["national:MNE"]
