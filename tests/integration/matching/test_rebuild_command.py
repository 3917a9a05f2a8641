"""The operator's `rebuild matching` replaces the live read model with one equal to it, built from
the topics by a process of its own, and says how far it got."""

from __future__ import annotations

import asyncio
import os
import sys

from services.matching.adapters.repository import ReadModel
from shared.events.inventory import SourceStatus
from shared.events.requests import RequestWithdrawn
from shared.topics import Stream
from tests.integration.matching.conftest import changed, eventually, publish, published
from tests.integration.matching.test_rebuild import read_model
from tests.matching_factories import request_details, source, window
from tests.service_api import Api
from tests.system import ROOT, Environment


async def test_rebuild_command_rebuilds_the_read_model_equal_to_the_live_one(
    live_api: Api, environment: Environment
) -> None:
    resources = live_api.resources
    lao = request_details(version=4)
    khm = request_details(state="KHM", version=4)
    gone = khm.model_copy(update={"version": 5, "status": "withdrawn"})
    fund = source(window("250000.00"))
    paused = fund.model_copy(update={"version": 2, "status": SourceStatus.PAUSED})
    for payload, stream, key in [
        (published(lao), Stream.REQUESTS, lao.request_id),
        (published(khm), Stream.REQUESTS, khm.request_id),
        (
            RequestWithdrawn(request=gone, from_status="published", actor="national:KHM"),
            Stream.REQUESTS,
            khm.request_id,
        ),
        (changed(fund), Stream.SOURCES, fund.source_id),
        (changed(paused, "paused"), Stream.SOURCES, fund.source_id),
    ]:
        await publish(resources, resources.topics.global_(stream), payload, str(key))
    live = await eventually(
        lambda: read_model(live_api),
        lambda tables: (
            sorted(r["version"] for r in tables["request_view"]) == [4, 5]
            and [r["version"] for r in tables["source_view"]] == [2]
        ),
    )
    async with resources.sessions.begin() as session:  # what a rebuild must put right
        await ReadModel(session).clear()

    command = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "deploy.local", "rebuild", "matching"),
        cwd=ROOT,
        env={**os.environ, **environment.variables()},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await command.communicate()

    assert command.returncode == 0, err.decode()
    assert "rebuilding matching: read 5 of 5 records" in err.decode()
    assert out.decode().startswith("matching: read model rebuilt from 5 events in ")
    assert await read_model(live_api) == live


async def test_rebuild_refuses_a_service_without_a_read_model(environment: Environment) -> None:
    command = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "deploy.local", "rebuild", "inventory"),
        cwd=ROOT,
        env={**os.environ, **environment.variables()},
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await command.communicate()

    assert command.returncode == 2
    assert "one of matching" in err.decode()
