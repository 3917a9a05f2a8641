"""Headless Chromium for the dashboard's browser test: Debian's package, installed when missing.

The test drives it with Playwright for Python pointed at this executable, so Playwright never
downloads a browser of its own (these machines reach package registries only).
"""

from __future__ import annotations

import functools
import shutil
from pathlib import Path

from deploy.local import ServerError, apt_install

NAMES = ("chromium", "chromium-browser")


def _found() -> Path | None:
    for name in NAMES:
        path = shutil.which(name)
        if path:
            return Path(path)
    return None


@functools.cache
def chromium_executable() -> Path:
    """The system's Chromium, installed with apt first when missing."""
    found = _found()
    if found is None:
        # Fonts are only a recommendation of the package: without them the screenshot is boxes.
        apt_install("chromium", "fonts-liberation", why="Chromium is not installed")
        found = _found()
    if found is None:
        raise ServerError("apt installed chromium but no chromium executable is on PATH")
    return found
