"""Events the inventory service listens to, each with its handler."""

from __future__ import annotations

from shared.runtime import Resources, Subscription


def subscriptions(resources: Resources) -> list[Subscription]:
    return []
