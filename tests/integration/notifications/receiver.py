"""A partner's webhook receiver on a free local port: verifies, fails when told, handles once."""

from __future__ import annotations

import contextlib
import json
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.service_api import serving
from tests.system import free_port


@dataclass
class Receiver:
    """Answers each webhook-id's first attempts with the `script` of statuses, then 204.

    A 500 after handling plays a lost answer: the work is done, the sender does not know it.
    Handled deliveries are kept by webhook-id, so a repeat is acknowledged and not handled again.
    """

    secrets: list[str] = field(default_factory=list)
    script: list[str] = field(default_factory=list)  # "fail", "handle-then-fail"
    attempts: Counter[str] = field(default_factory=Counter)
    verified: list[tuple[str, list[bool]]] = field(default_factory=list)
    handled: dict[str, dict[str, Any]] = field(default_factory=dict)
    url: str = ""

    async def hook(self, request: Request) -> Response:
        body = (await request.body()).decode()
        headers = dict(request.headers)
        message_id = headers["webhook-id"]
        self.verified.append((message_id, [_verifies(s, body, headers) for s in self.secrets]))
        self.attempts[message_id] += 1
        step = self.script[self.attempts[message_id] - 1 : self.attempts[message_id]]
        if step == ["fail"]:
            return Response(status_code=503)
        if message_id in self.handled:
            return Response(status_code=204)  # a repeat: acknowledged, not handled again
        self.handled[message_id] = json.loads(body)
        return Response(status_code=500 if step == ["handle-then-fail"] else 204)


def _verifies(secret: str, body: str, headers: dict[str, str]) -> bool:
    try:
        Webhook(secret).verify(body, headers)
    except WebhookVerificationError:
        return False
    return True


@contextlib.asynccontextmanager
async def receiving(receiver: Receiver) -> AsyncIterator[Receiver]:
    port = free_port()
    app = Starlette(routes=[Route("/hook", receiver.hook, methods=["POST"])])
    async with serving(app, port):
        receiver.url = f"http://127.0.0.1:{port}/hook"
        yield receiver
