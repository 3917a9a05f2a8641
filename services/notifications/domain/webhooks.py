"""The rules of webhook deliveries: Standard Webhooks signatures, backoff, outcomes. No I/O.

Each delivery has one id, sent as `webhook-id` on every attempt, so a receiver that got an attempt
whose answer was lost can tell the retry is a repeat. `webhook-timestamp` is the attempt's time and
`webhook-signature` the HMAC-SHA256 of `id.timestamp.body` under each valid secret of the
subscription (the new one and, for a while after a rotation, the old one), computed by the
`standardwebhooks` library.

A failed attempt (no answer within the timeout, a refused connection, or any status but 2xx) is
retried after an exponential backoff with full jitter. A subscription whose attempts fail
`webhook_pause_after_failures` times in a row is paused: its waiting deliveries are held, its owner
and the operators are told, and the owner replays them once the receiver is fixed. A delivery that
fails `webhook_max_attempts` times is given up (and can be replayed too).
"""

from __future__ import annotations

import base64
import random
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from standardwebhooks.webhooks import Webhook

from services.notifications.domain.model import (
    OPERATOR,
    SUBSCRIPTION_PAUSED,
    Draft,
    Notice,
    Severity,
)

PENDING, DELIVERED, PAUSED, FAILED = "pending", "delivered", "paused", "failed"
ACTIVE = "active"
SECRET_PREFIX = "whsec_"
ROTATION_GRACE = timedelta(hours=24)


def new_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def webhook_id(delivery_id: UUID) -> str:
    return f"msg_{delivery_id.hex}"


def signed_headers(message_id: str, body: str, keys: list[str], at: datetime) -> dict[str, str]:
    signatures = " ".join(Webhook(key).sign(message_id, at, body) for key in keys)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signatures,
        "content-type": "application/json",
    }


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str | None
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    @property
    def kind(self) -> str:
        """The metric's outcome: delivered, rejected (an answer but not 2xx), or unreachable."""
        if self.ok:
            return "delivered"
        return "unreachable" if self.status_code is None else "rejected"


def backoff(attempt: int, base: float, cap: float, rng: random.Random) -> float:
    """Exponential backoff with full jitter: anywhere up to base·2^(attempt-1), at most `cap`."""
    return rng.uniform(0, min(cap, base * 2 ** (attempt - 1)))


@dataclass(frozen=True)
class RetryRules:
    """When a failing delivery is retried, given up, or its subscription paused."""

    max_attempts: int
    pause_after_failures: int
    backoff_seconds: float
    backoff_max_seconds: float

    def delay(self, attempt: int, rng: random.Random) -> timedelta:
        return timedelta(
            seconds=backoff(attempt, self.backoff_seconds, self.backoff_max_seconds, rng)
        )


def paused_notices(
    subscription_id: UUID, audience: str, url: str, failures: int, outcome: Outcome
) -> list[Notice]:
    """A paused subscription is told to its owner's audience and to the operators."""
    summary = (
        f"Webhook to {url} paused after {failures} failed "
        f"attempts in a row (last: {outcome.error}); replay it once the receiver is fixed"
    )
    return [
        Draft(SUBSCRIPTION_PAUSED, summary, str(subscription_id)).to(audience, Severity.WARNING)
        for audience in sorted({audience, OPERATOR})
    ]
