"""An outside system reads its region's topic with kcat and the centre's credentials file, and
what it reads are CloudEvents (structured mode) that the CloudEvents SDK parses."""

from __future__ import annotations

import asyncio
import json
import stat
from pathlib import Path
from typing import Any

from cloudevents.core.bindings import kafka as ce_kafka
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent

from deploy.local import regional_access
from deploy.local.kcat import kcat
from deploy.local.regional_access import Credentials
from shared.topics import Stream
from tests.integration.regional.conftest import CENTRE
from tests.integration.requests.conftest import LAO, SOUTH_EAST_ASIA
from tests.integration.requests.flows import act, create
from tests.service_api import Api


async def kcat_json(configuration: Path, topic: str, expected: int) -> list[dict[str, Any]]:
    """`kcat -C -J`: every record of the topic from the beginning, as kcat's JSON lines."""
    tool = kcat()
    records: list[dict[str, Any]] = []
    async with asyncio.timeout(60):
        while len(records) < expected:  # the relay may not have published all of them yet
            process = await asyncio.create_subprocess_exec(
                tool.path,
                *("-F", str(configuration), "-C", "-t", topic, "-o", "beginning", "-e", "-J"),
                env=tool.env(),
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            out, err = await process.communicate()
            assert process.returncode == 0, err.decode()
            records = [json.loads(line) for line in out.decode().splitlines() if line]
    return records


def cloudevent(record: dict[str, Any]) -> CloudEvent:
    headers = record["headers"] or []  # kcat lists them as [name, value, name, value, ...]
    message = ce_kafka.KafkaMessage(
        headers={
            name: value.encode() for name, value in zip(headers[::2], headers[1::2], strict=True)
        },
        key=record["key"].encode(),
        value=record["payload"].encode(),
    )
    return ce_kafka.from_structured(message, JSONFormat(), CloudEvent)


async def test_kcat_reads_the_regions_events_as_cloudevents(
    live_api: Api, credentials: Credentials, tmp_path: Path
) -> None:
    configuration = tmp_path / f"{CENTRE}.properties"
    regional_access.write_private(configuration, credentials.client_properties())
    request = await create(live_api, LAO)
    await act(live_api, request["id"], "submit", LAO)
    await act(live_api, request["id"], "endorse", SOUTH_EAST_ASIA)
    topic = live_api.resources.topics.regional(CENTRE, Stream.REQUESTS)

    records = await kcat_json(configuration, topic, 2)

    assert stat.S_IMODE(configuration.stat().st_mode) == 0o600
    events = [cloudevent(record) for record in sorted(records, key=lambda r: r["offset"])]
    assert [e.get_type() for e in events] == [
        "org.clearinghouse.request.submitted.v1",
        "org.clearinghouse.request.endorsed.v1",
    ]
    assert {e.get_extension("partitionkey") for e in events} == {request["id"]}
    assert {r["key"] for r in records} == {request["id"]}
    assert all(
        r["headers"][:2] == ["content-type", "application/cloudevents+json"] for r in records
    ), records[0]["headers"]
    data = events[1].get_data()
    assert data is not None
    assert (data["request"]["request_id"], data["request"]["status"]) == (request["id"], "endorsed")
    assert {e.get_source() for e in events} == {events[0].get_source()}
