"""Reading a server-sent event stream as a client would."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import httpx


async def read_events(
    client: httpx.AsyncClient,
    count: int,
    *,
    headers: dict[str, str],
    opened: asyncio.Event | None = None,
    path: str = "/v1/stream",
    decode: Callable[[str], Any] = json.loads,
    **params: Any,
) -> list[tuple[int, Any]]:
    """Open the stream (the API's, or a page's at `path`, whose data `decode` reads), take
    `count` notification events (id and data), then hang up.

    `opened` is set when the server's first message (its `retry:` advice) arrives: from then on
    the stream's starting point is fixed, and whatever is committed later will come."""
    received: list[tuple[int, Any]] = []
    fields: dict[str, str] = {}
    async with client.stream("GET", path, headers=headers, params=params) as response:
        assert response.status_code == 200, await response.aread()
        async for line in response.aiter_lines():
            if line:
                name, _, value = line.partition(":")
                fields[name] = value.removeprefix(" ")
                continue
            if opened is not None and "retry" in fields:
                opened.set()
            if fields.get("event") == "notification":
                received.append((int(fields["id"]), decode(fields["data"])))
            fields = {}
            if len(received) == count:
                break
    return received
