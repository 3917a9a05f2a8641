"""HTTP helpers shared by every service: RFC 9457 problem details, request ids, health probes."""

from __future__ import annotations

import asyncio
import logging
import uuid
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping
from contextvars import ContextVar
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.db import is_database_away, is_transient_conflict, is_unstorable_text
from shared.errors import DomainError

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
PROBLEM_TYPE_PREFIX = "urn:clearinghouse:problem:"
REQUEST_ID_HEADER = "X-Request-ID"
INPUT_PARTS = ("body.", "query.", "path.", "header.")
HTTP_KINDS = {400: "bad-request", 404: "not-found", 405: "method-not-allowed"}

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)

ReadinessCheck = Callable[[], Awaitable[None]]


class Problem(Exception):
    """An error the caller can act on, answered as `application/problem+json`.

    `kind` becomes the problem `type` (`urn:clearinghouse:problem:<kind>`); extra keyword arguments
    become extension members, such as the `field` or `rule` that was broken.
    """

    def __init__(
        self,
        status: int,
        title: str,
        detail: str | None = None,
        *,
        kind: str,
        headers: Mapping[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail or title)
        self.headers = headers
        self.status = status
        self.title = title
        self.detail = detail
        self.kind = kind
        self.extensions = extensions


def problem_responses(descriptions: Mapping[int, str]) -> dict[int | str, dict[str, Any]]:
    """The `responses` of a route's OpenAPI entry: problem details for each status."""
    return {
        status: {"description": text, "content": {PROBLEM_JSON: {}}}
        for status, text in descriptions.items()
    }


PROBLEMS = problem_responses(
    {
        401: "No valid API key",
        403: "The caller may not do this",
        404: "Nothing of that id visible to the caller",
        409: "What it would change does not allow this now",
        412: "It changed since the caller read it (If-Match)",
        422: "Invalid input; the problem names the field or the rule",
    }
)
"""The problems any `/v1` route may answer, for its OpenAPI entry."""


def problem_response(
    status: int,
    title: str,
    detail: str | None = None,
    *,
    kind: str | None = None,
    instance: str | None = None,
    headers: Mapping[str, str] | None = None,
    **extensions: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"{PROBLEM_TYPE_PREFIX}{kind}" if kind else "about:blank",
        "title": title,
        "status": status,
    }
    if detail:
        body["detail"] = detail
    if instance:
        body["instance"] = instance
    body.update(extensions)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _field_path(location: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in location)


async def _on_problem(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, Problem)
    return problem_response(
        error.status,
        error.title,
        error.detail,
        kind=error.kind,
        instance=request.url.path,
        headers=error.headers,
        **error.extensions,
    )


async def _on_domain_error(request: Request, error: Exception) -> JSONResponse:
    """A domain's `field` names a member of what the caller sent: the body, unless it says."""
    assert isinstance(error, DomainError)
    members = error.members
    if "field" in members and not members["field"].startswith(INPUT_PARTS):
        members["field"] = f"body.{members['field']}"
    return problem_response(
        error.status, error.title, str(error), kind=error.kind, instance=request.url.path, **members
    )


async def _on_validation(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    errors = [
        {"field": _field_path(e.get("loc", ())), "message": e.get("msg", ""), "type": e.get("type")}
        for e in error.errors()
    ]
    fields = ", ".join(e["field"] for e in errors)
    return problem_response(
        422,
        "Invalid request",
        f"Invalid: {fields}",
        kind="validation",
        instance=request.url.path,
        errors=errors,
    )


async def _on_http_error(request: Request, error: Exception) -> JSONResponse:
    """Errors of the framework itself (no such route, method not allowed, unreadable body) get a
    problem type of their own too; their headers (such as `Allow` on a 405) are kept."""
    assert isinstance(error, HTTPException)
    headers = dict(error.headers or {})
    if error.status_code == 405:
        headers["Allow"] = _allowed_methods(request) or headers.get("Allow", "")
    return problem_response(
        error.status_code,
        str(error.detail),
        kind=HTTP_KINDS.get(error.status_code, f"http-{error.status_code}"),
        instance=request.url.path,
        headers=headers,
    )


def _allowed_methods(request: Request) -> str | None:
    """Every method the documented routes of this path take (the router names only the first
    route's, and one path often has a GET route and a POST route)."""
    app: FastAPI = request.app
    for template, operations in app.openapi()["paths"].items():
        if compile_path(template)[0].fullmatch(request.url.path):
            return ", ".join(sorted(method.upper() for method in operations))
    return None


async def _on_database_error(request: Request, error: Exception) -> JSONResponse:
    """The database errors a caller can act on: text PostgreSQL cannot hold (a NUL character in
    a query parameter or a body's string) is invalid input, and a server restarting means
    nothing was done and the same call will succeed. Any other goes on to be retried or logged."""
    if is_unstorable_text(error):
        return problem_response(
            422,
            "Invalid request",
            "Text may not contain NUL characters (\\u0000).",
            kind="validation",
            instance=request.url.path,
        )
    if is_database_away(error):
        log.warning("database unavailable on %s %s: %s", request.method, request.url.path, error)
        return problem_response(
            503,
            "Service unavailable",
            "The database is restarting; nothing was changed. Try again shortly.",
            kind="unavailable",
            instance=request.url.path,
            headers={"Retry-After": "1"},
        )
    raise error


async def _on_unexpected(request: Request, error: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return problem_response(
        500, "Internal error", "The error was logged.", kind="internal", instance=request.url.path
    )


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(Problem, _on_problem)
    app.add_exception_handler(DomainError, _on_domain_error)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(HTTPException, _on_http_error)
    app.add_exception_handler(DBAPIError, _on_database_error)
    app.add_exception_handler(Exception, _on_unexpected)


class HttpMiddleware(ABC):
    """An ASGI middleware that acts on HTTP calls alone: anything else (the lifespan, a web
    socket) passes through untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self.handle(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    @abstractmethod
    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """One HTTP call, passed on to `self.app`."""


class RetryConflictsMiddleware(HttpMiddleware):
    """Runs a call again when its transaction lost a deadlock or serialization race, up to
    `attempts` times, instead of answering 500: the loser's unit of work rolled back whole, so
    a second run is as if the first never happened. Only before the answer has started.

    It holds the body to run the call again, so it holds no body beyond `max_body_bytes`: a
    larger one is answered 413 as soon as its length (declared or read so far) says so. A client
    that waits for `100 Continue` is answered before it sends the body; any other has the rest
    of its body read and dropped (up to `DRAIN_FACTOR` times the limit), so that it is still
    reading when the answer comes, not cut off while sending."""

    DRAIN_FACTOR = 4

    def __init__(self, app: ASGIApp, attempts: int = 5, max_body_bytes: int | None = None) -> None:
        super().__init__(app)
        self.attempts = attempts
        self.max_body_bytes = max_body_bytes

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = await _read_body(receive, self.max_body_bytes, _declared_length(scope))
        if body is None:
            assert self.max_body_bytes is not None
            headers = dict(scope["headers"])
            if headers.get(b"expect", b"").lower() != b"100-continue":
                await _drain(receive, self.max_body_bytes * self.DRAIN_FACTOR)
            too_large = problem_response(
                413,
                "Content too large",
                f"A request body may have at most {self.max_body_bytes} bytes.",
                kind="too-large",
                instance=scope["path"],
                limit="bytes",
                maximum=self.max_body_bytes,
                headers={"Connection": "close"},
            )
            await too_large(scope, receive, send)
            return
        for attempt in range(1, self.attempts + 1):
            started = False

            async def send_tracking(message: Message) -> None:
                nonlocal started
                started = True
                await send(message)

            try:
                await self.app(scope, _replay(body, receive), send_tracking)
                return
            except Exception as error:
                if started or attempt == self.attempts or not is_transient_conflict(error):
                    raise
                log.info("%s %s lost a lock race; running it again", scope["method"], scope["path"])
                await asyncio.sleep(0.01 * attempt)


async def _drain(receive: Receive, at_most: int) -> None:
    """Read and drop the rest of a body, up to `at_most` bytes."""
    size = 0
    while size <= at_most:
        message = await receive()
        size += len(message.get("body", b""))
        if message["type"] != "http.request" or not message.get("more_body", False):
            return


def _declared_length(scope: Scope) -> int | None:
    value = dict(scope["headers"]).get(b"content-length")
    return int(value) if value and value.isdigit() else None


async def _read_body(
    receive: Receive, max_bytes: int | None = None, declared: int | None = None
) -> bytes | None:
    """The whole body; None, as soon as it is known to exceed `max_bytes`."""
    if max_bytes is not None and declared is not None and declared > max_bytes:
        return None
    chunks, size = [], 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if max_bytes is not None and size > max_bytes:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """The buffered body once, then the client's own messages (such as its disconnect)."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


class RequestIdMiddleware(HttpMiddleware):
    """Takes the caller's `X-Request-ID` (or makes one), exposes it to logs, and echoes it."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        incoming = dict(scope["headers"]).get(REQUEST_ID_HEADER.lower().encode())
        request_id = incoming.decode()[:200] if incoming else uuid.uuid4().hex
        token = request_id_var.set(request_id)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", []).append(
                    (REQUEST_ID_HEADER.lower().encode(), request_id.encode())
                )
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id_var.reset(token)


def health_router(checks: Mapping[str, ReadinessCheck], timeout: float = 2.0) -> APIRouter:
    """`/healthz`: the process answers. `/readyz`: every dependency answers within `timeout`."""
    router = APIRouter(tags=["health"])

    @router.get("/healthz", summary="The process is alive")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz", summary="The database and the broker are reachable")
    async def readyz() -> JSONResponse:
        results = await asyncio.gather(*(_check(c, seconds=timeout) for c in checks.values()))
        report = dict(zip(checks, results, strict=True))
        ready = all(result == "ok" for result in report.values())
        return JSONResponse(
            {"status": "ready" if ready else "unready", "checks": report},
            status_code=200 if ready else 503,
        )

    return router


async def _check(check: ReadinessCheck, *, seconds: float) -> str:
    try:
        async with asyncio.timeout(seconds):
            await check()
    except Exception as error:
        return f"failed: {type(error).__name__}: {error}"[:300]
    return "ok"
