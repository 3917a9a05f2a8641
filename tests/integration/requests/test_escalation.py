"""A submitted request its regional centre has not reviewed within the set days is escalated to
the secretariat: once, as an event on the secretariat's tier and a line of its history, after
which the secretariat may review it. The clock is the sweep's argument, not a sleep."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.requests.app.workers import EscalationSweep
from shared.principal import Principal
from tests.database import fetch
from tests.integration.requests.conftest import LAO, PER, SECRETARIAT, SOUTH_EAST_ASIA
from tests.integration.requests.flows import act, create
from tests.integration.requests.test_progress import _history
from tests.service_api import Api
from tests.system import Environment

DAYS = 14  # REQUESTS_REVIEW_ESCALATION_DAYS' default


async def submitted(api: Api, who: Principal = LAO) -> str:
    request = await create(api, who)
    await act(api, request["id"], "submit", who)
    return str(request["id"])


async def topics_of_escalations(environment: Environment) -> list[str]:
    rows = await fetch(
        environment.database_url,
        "SELECT topic FROM requests.outbox WHERE event_type LIKE '%request.escalated%' "
        "ORDER BY topic",
    )
    return [r["topic"].split(".", 1)[1] for r in rows]


async def test_an_unreviewed_request_is_escalated_once_and_the_secretariat_may_review_it(
    api: Api, environment: Environment
) -> None:
    waiting = await submitted(api)
    reviewed = await submitted(api)
    await act(api, reviewed, "endorse", SOUTH_EAST_ASIA)
    no_centre = await submitted(api, PER)  # the secretariat has it from the start
    sweep = EscalationSweep(api.resources)
    now = datetime.now(UTC)

    early = await sweep.sweep(now + timedelta(days=DAYS - 1))
    due = await sweep.sweep(now + timedelta(days=DAYS, hours=1))
    again = await sweep.sweep(now + timedelta(days=DAYS + 5))
    endorsed = await act(api, waiting, "endorse", SECRETARIAT)

    assert (early, due, again) == (0, 1, 0)
    assert await _history(api, waiting) == [
        ("create", "draft"),
        ("submit", "submitted"),
        ("escalate", "submitted"),
        ("endorse", "endorsed"),
    ]
    assert endorsed["status"] == "endorsed"
    assert ("escalate", "submitted") not in await _history(api, reviewed)
    assert ("escalate", "submitted") not in await _history(api, no_centre)
    assert await topics_of_escalations(environment) == [
        "global.requests",
        "national.requests",
        "regional.south-eastern-asia.requests",
    ]


async def test_a_request_returned_and_submitted_again_waits_the_full_time_again(
    api: Api,
) -> None:
    request = await submitted(api)
    sweep = EscalationSweep(api.resources)
    now = datetime.now(UTC)
    escalated = await sweep.sweep(now + timedelta(days=DAYS + 1))
    await act(api, request, "return", SECRETARIAT, reason="add the survey results")
    await act(api, request, "submit", LAO)

    resubmitted = datetime.now(UTC)
    soon_after = await sweep.sweep(resubmitted + timedelta(days=DAYS - 1))
    later = await sweep.sweep(resubmitted + timedelta(days=DAYS + 1))

    assert (escalated, soon_after, later) == (1, 0, 1)
