"""Waiting for something another process or consumer does, with a deadline."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable


async def eventually(check: Callable[[], Awaitable[bool] | bool], seconds: float = 30) -> None:
    """Return once `check()` is true; TimeoutError if it is not within `seconds`."""

    async def holds() -> bool:
        result = check()
        return await result if inspect.isawaitable(result) else result

    async with asyncio.timeout(seconds):
        while not await holds():  # noqa: ASYNC110 (the condition is in another process)
            await asyncio.sleep(0.2)
