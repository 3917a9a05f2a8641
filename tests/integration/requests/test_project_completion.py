"""The requests service completes a funded request when the inventory says its last project
completed (`project.completed` with `request_complete`), and only then."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import UUID, uuid4

from shared.events import Envelope
from shared.events.inventory import ProjectCompleted
from shared.topics import Stream
from tests.integration.requests.flows import published
from tests.integration.requests.test_progress import (
    _handled,
    _history,
    _publish_globally,
    _reserved,
    _status,
    _status_becomes,
)
from tests.service_api import Api
from tests.system import Environment


def _completed(request_id: str, *, request_complete: bool) -> Envelope[Any]:
    payload = ProjectCompleted(
        project_id=uuid4(),
        request_id=UUID(request_id),
        state="LAO",
        regional_centre="south-eastern-asia",
        convention="CCM",
        title="Clearance in two provinces",
        implementing_partner="norway",
        funders=["norway"],
        completed_by="national:LAO",
        request_complete=request_complete,
    )
    return Envelope(payload=payload, key=request_id, source="/clearinghouse/inventory")


async def test_the_last_project_completed_completes_the_funded_request(
    live_api: Api, environment: Environment
) -> None:
    request = await published(live_api)
    rid = request["id"]
    await _publish_globally(live_api, Stream.FUNDS, _reserved(rid, "1500000.00"))
    await _status_becomes(live_api, rid, "funded")

    await _publish_globally(live_api, Stream.FUNDS, _completed(rid, request_complete=False))
    await _handled(environment, 2)
    assert await _status(live_api, rid) == "funded"  # another project is still under way

    last = _completed(rid, request_complete=True)
    await _publish_globally(live_api, Stream.FUNDS, last, last)  # redelivered: completes once
    await _status_becomes(live_api, rid, "completed")
    history = await _history(live_api, rid)
    assert history[-1] == ("complete", "completed")
    assert [h for h in history if h[0] == "complete"] == [("complete", "completed")]


async def test_a_request_not_funded_is_not_completed_by_its_projects(
    live_api: Api, environment: Environment
) -> None:
    request = await published(live_api, deadline=(date.today() + timedelta(days=90)).isoformat())
    rid = request["id"]
    await _publish_globally(live_api, Stream.FUNDS, _completed(rid, request_complete=True))
    await _handled(environment, 1)
    assert await _status(live_api, rid) == "published"
