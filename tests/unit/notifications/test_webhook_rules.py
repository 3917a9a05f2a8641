"""Signing, backoff and address rules of webhooks, checked against the standardwebhooks library."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime
from uuid import uuid4

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from services.notifications.adapters import webhook_client
from services.notifications.adapters.webhook_client import refused_address
from services.notifications.domain.webhooks import backoff, new_secret, signed_headers, webhook_id


def test_every_valid_secret_signs_and_the_library_verifies_each() -> None:
    old, new = new_secret(), new_secret()
    body = '{"type":"request.submitted"}'
    headers = signed_headers(webhook_id(uuid4()), body, [new, old], datetime.now(UTC))
    assert Webhook(old).verify(body, headers) == {"type": "request.submitted"}
    assert Webhook(new).verify(body, headers) == {"type": "request.submitted"}
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(new).verify(body + " ", headers)


def test_backoff_grows_exponentially_within_its_cap_with_jitter() -> None:
    rng = random.Random(7)
    delays = [[backoff(attempt, 1.0, 20.0, rng) for _ in range(200)] for attempt in (1, 3, 8)]
    assert all(0 <= d <= 1 for d in delays[0])
    assert all(0 <= d <= 4 for d in delays[1])
    assert all(0 <= d <= 20 for d in delays[2])
    assert max(delays[2]) > 10  # grew to the cap
    assert len(set(delays[1])) > 100  # jittered, so retries of many deliveries spread out


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://example.org/", "only http and https"),
        ("http:///path", "no host"),
        ("http://127.0.0.1/hook", "loopback or private"),
        ("http://[::1]/hook", "loopback or private"),
        ("https://192.168.1.10/hook", "loopback or private"),
        ("https://169.254.169.254/", "loopback or private"),
    ],
)
async def test_refused_urls(url: str, reason: str) -> None:
    refused = await refused_address(url, allow_private=False)
    assert refused is not None
    assert reason in refused


async def test_public_and_unresolvable_hosts_are_accepted_and_loopback_when_allowed() -> None:
    assert await refused_address("https://8.8.8.8/hook", allow_private=False) is None
    assert await refused_address("https://hooks.centre.invalid/x", allow_private=False) is None
    assert await refused_address("http://127.0.0.1:8000/hook", allow_private=True) is None


async def test_a_registration_does_not_wait_on_a_resolver_that_never_answers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Where no DNS answers, the URL is taken as a host that does not resolve yet (each delivery
    checks it again before it connects)."""

    async def never(*args: object, **kwargs: object) -> list[object]:
        await asyncio.Event().wait()
        return []

    loop = asyncio.get_running_loop()
    monkeypatch.setattr(loop, "getaddrinfo", never)
    monkeypatch.setattr(webhook_client, "RESOLVE_SECONDS", 0.05)

    async with asyncio.timeout(10):
        refused = await refused_address("https://centre.example.org/hooks", allow_private=False)

    assert refused is None
