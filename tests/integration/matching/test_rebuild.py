"""The read model is built from events alone: repeats and late events count once, and a rebuild
from the topics gives exactly the live tables."""

from __future__ import annotations

from typing import Any

from services.matching.adapters.repository import ReadModel
from services.matching.app.rebuild import rebuild
from shared.events.inventory import SourceStatus
from shared.events.requests import RequestMatchStatusChanged, RequestWithdrawn
from shared.topics import Stream
from tests.integration.matching.conftest import (
    changed,
    eventually,
    matching_settings,
    publish,
    published,
)
from tests.matching_factories import request_details, source, window
from tests.service_api import Api
from tests.system import Environment


async def read_model(api: Api) -> dict[str, list[dict[str, Any]]]:
    async with api.resources.sessions() as session:
        return await ReadModel(session).dump()


async def test_repeated_and_late_events_count_once_and_a_rebuild_equals_the_live_tables(
    live_api: Api, environment: Environment
) -> None:
    resources = live_api.resources
    requests_topic = resources.topics.global_(Stream.REQUESTS)
    sources_topic = resources.topics.global_(Stream.SOURCES)
    lao = request_details(version=4)
    partly = lao.model_copy(update={"version": 5, "status": "partly_matched"})
    khm = request_details(state="KHM", version=4)
    gone = khm.model_copy(update={"version": 5, "status": "withdrawn"})
    fund = source(window("500000.00"))
    spent = fund.model_copy(update={"version": 2, "windows": [window("1000.00")]})
    paused = fund.model_copy(update={"version": 3, "status": SourceStatus.PAUSED})

    for payload, topic, key in [
        (published(lao), requests_topic, lao.request_id),
        (
            RequestMatchStatusChanged(request=partly, from_status="published", actor="matching"),
            requests_topic,
            lao.request_id,
        ),
        (published(lao), requests_topic, lao.request_id),  # a late repeat of an older version
        (published(khm), requests_topic, khm.request_id),
        (
            RequestWithdrawn(request=gone, from_status="published", actor="national:KHM"),
            requests_topic,
            khm.request_id,
        ),
        (changed(fund), sources_topic, fund.source_id),
        (changed(paused, "paused"), sources_topic, fund.source_id),
        (changed(spent, "ledger"), sources_topic, fund.source_id),  # older than the pause
        (changed(spent, "ledger"), sources_topic, fund.source_id),
    ]:
        await publish(resources, topic, payload, str(key))

    live = await eventually(
        lambda: read_model(live_api),
        lambda tables: (
            [r["version"] for r in tables["request_view"]] != []
            and sorted(r["version"] for r in tables["request_view"]) == [5, 5]
            and [r["version"] for r in tables["source_view"]] == [3]
        ),
    )
    applied = await rebuild(matching_settings(environment))
    rebuilt = await read_model(live_api)

    assert applied == 9
    assert rebuilt == live
    statuses = {r["request_id"]: r["status"] for r in live["request_view"]}
    assert statuses == {lao.request_id: "partly_matched", khm.request_id: "withdrawn"}
    assert live["source_view"][0]["status"] == "paused"
