"""A submitted request its regional centre has not reviewed within the set days is escalated to
the secretariat: once, as an event on the secretariat's tier and a line of its history, after
which the secretariat may review it. A published request nothing is proposed for within its
convention's days is brought to donors, once. The clock is the sweep's argument, not a sleep."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from pydantic import ValidationError

from services.requests.app.workers import EscalationSweep, FirstProposalEscalationSweep
from services.requests.settings import RequestsSettings
from shared.events import Envelope
from shared.events.matching import MatchProposed
from shared.principal import Principal
from shared.runtime import service_settings
from shared.topics import Stream
from tests.database import fetch
from tests.factories import match
from tests.integration.requests.conftest import LAO, PER, SECRETARIAT, SOUTH_EAST_ASIA
from tests.integration.requests.flows import act, create, published
from tests.integration.requests.test_progress import _history, _publish_globally
from tests.polling import eventually
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


FIRST_PROPOSAL_DAYS = 30  # REQUESTS_FIRST_PROPOSAL_ESCALATION_DAYS' default


def _proposed(request_id: str) -> Envelope[Any]:
    payload = MatchProposed(match=match(UUID(request_id)), score=0.8, explanation={})
    return Envelope(payload=payload, key=request_id, source="/clearinghouse/matching")


async def _proposal_noted(environment: Environment, request_id: str) -> None:
    async def noted() -> bool:
        [row] = await fetch(
            environment.database_url,
            "SELECT first_proposed_at FROM requests.requests WHERE id = $1",
            UUID(request_id),
        )
        return row[0] is not None

    await eventually(noted)


async def test_a_published_request_nothing_is_proposed_for_is_brought_to_donors_once(
    live_api: Api, environment: Environment
) -> None:
    api = live_api
    waiting = (await published(api))["id"]
    proposed = (await published(api))["id"]
    await _publish_globally(api, Stream.MATCHES, _proposed(proposed), _proposed(proposed))
    await _proposal_noted(environment, proposed)
    sweep = FirstProposalEscalationSweep(api.resources)
    now = datetime.now(UTC)

    early = await sweep.sweep(now + timedelta(days=FIRST_PROPOSAL_DAYS - 1))
    due = await sweep.sweep(now + timedelta(days=FIRST_PROPOSAL_DAYS, hours=1))
    again = await sweep.sweep(now + timedelta(days=FIRST_PROPOSAL_DAYS + 5))

    assert (early, due, again) == (0, 1, 0)
    assert (await _history(api, waiting))[-2:] == [
        ("publish", "published"),
        ("escalate-to-donors", "published"),
    ]
    assert (await _history(api, proposed))[-1] == ("publish", "published")
    rows = await fetch(
        environment.database_url,
        "SELECT topic, convert_from(value, 'UTF8') AS event FROM requests.outbox "
        "WHERE event_type LIKE '%request.escalated-to-donors%' ORDER BY topic",
    )
    assert [r["topic"].split(".", 1)[1] for r in rows] == [
        "global.requests",
        "national.requests",
        "regional.south-eastern-asia.requests",
    ]
    assert "nothing proposed within 30 days" in rows[0]["event"]


async def test_a_convention_may_wait_its_own_number_of_days(api: Api) -> None:
    ccm = (await published(api))["id"]
    apmbc = (await published(api, convention="APMBC", areas=["mine-clearance"]))["id"]
    settings = service_settings(api.resources, RequestsSettings).model_copy(
        update={"first_proposal_escalation_days_by_convention": {"APMBC": 10}}
    )
    sweep = FirstProposalEscalationSweep(api.resources)
    sweep.waiting = settings.waiting_for_first_proposal

    after_ten_days = await sweep.sweep(datetime.now(UTC) + timedelta(days=11))

    assert after_ten_days == 1
    assert (await _history(api, apmbc))[-1] == ("escalate-to-donors", "published")
    assert (await _history(api, ccm))[-1] == ("publish", "published")


async def test_the_settings_refuse_a_convention_that_would_never_wait() -> None:
    with pytest.raises(ValidationError, match="first_proposal_escalation_days_by_convention"):
        RequestsSettings(first_proposal_escalation_days_by_convention={"CCM": 0})
