"""Optimistic concurrency: versions as ETags, checked against the caller's `If-Match`."""

from __future__ import annotations

from shared.errors import Stale, VersionRequired


def etag(version: int) -> str:
    return f'"{version}"'


def check_if_match(version: int, if_match: str | None, *, required: bool, what: str) -> None:
    """Refuse a write based on an older version of `what` (412), or one that names none (428)."""
    if if_match is None:
        if required:
            raise VersionRequired("Send the ETag you read as If-Match.")
        return
    if if_match.strip() not in (etag(version), f"W/{etag(version)}", "*"):
        raise Stale(f"The {what} is now at version {version}.", current_version=version)
