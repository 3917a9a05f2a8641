"""Waiting for something another process or consumer does, with a deadline."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def eventually(
    check: Callable[[], Awaitable[T | None] | T | None], *, seconds: float = 30
) -> T:
    """The first answer of `check()` that is neither None nor False, asking until `seconds` pass.

    `check` may be a plain function or a coroutine function; TimeoutError if nothing comes.
    """

    async def ask() -> T | None:
        answer = check()
        return await answer if inspect.isawaitable(answer) else answer

    async with asyncio.timeout(seconds):
        while (answer := await ask()) is None or answer is False:  # noqa: ASYNC110
            await asyncio.sleep(0.2)
    return answer
