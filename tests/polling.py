"""Waiting for something another process or consumer does, with a deadline."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable


async def eventually(check: Callable[[], Awaitable[bool]], seconds: float = 30) -> None:
    """Return once `check()` is true; TimeoutError if it is not within `seconds`."""
    async with asyncio.timeout(seconds):
        while not await check():  # noqa: ASYNC110 (the condition is in another process)
            await asyncio.sleep(0.2)
