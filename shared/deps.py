"""The FastAPI dependencies every service's routes use, as `Annotated` aliases.

Each is built from the running service's resources (made in the app's lifespan, never at import
time). All are async: FastAPI runs a plain `def` dependency in a worker thread.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Header, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from shared.auth import PrincipalDep
from shared.http import Problem
from shared.idempotency import HEADER, MAX_KEY_LENGTH, Idempotency, fingerprint
from shared.portal.forms import FORM_KEY, REFUSED, FormDep, Refusal
from shared.portal.session import PagePrincipalDep
from shared.principal import Principal
from shared.runtime import Resources, ServiceDefinition, get_app_resources
from shared.unit_of_work import UnitOfWork


async def get_resources(request: Request) -> Resources:
    return get_app_resources(request.app)


ResourcesDep = Annotated[Resources, Depends(get_resources)]


async def unit_of_work(resources: ResourcesDep) -> AsyncIterator[UnitOfWork]:
    """One unit of work per HTTP call, committed (with its events) before the response is sent."""
    async with resources.unit_of_work() as uow:
        yield uow


UnitOfWorkDep = Annotated[UnitOfWork, Depends(unit_of_work, scope="function")]


async def idempotency(
    request: Request,
    uow: UnitOfWorkDep,
    principal: PrincipalDep,
    key: Annotated[
        str | None,
        Header(
            alias=HEADER,
            description=(
                "Any unique string of up to 200 characters: a retry with the same key gets the "
                "first call's answer and changes nothing."
            ),
            # Checked below, answering a problem that names the header.
            json_schema_extra={"minLength": 1, "maxLength": MAX_KEY_LENGTH},
        ),
    ] = None,
) -> Idempotency:
    """Declared as a header of every write that takes it, so the OpenAPI document says so."""
    if key is not None and not 1 <= len(key) <= MAX_KEY_LENGTH:
        raise Problem(
            422,
            "Invalid idempotency key",
            f"{HEADER} must have 1 to {MAX_KEY_LENGTH} characters.",
            kind="validation",
            field=f"header.{HEADER}",
        )
    definition: ServiceDefinition = request.app.state.definition
    return Idempotency(
        definition.tables.idempotency,
        uow,
        principal.key_id,
        key,
        await fingerprint(request),
    )


IdempotencyDep = Annotated[Idempotency, Depends(idempotency)]


IfMatch = Annotated[str | None, Header(description="The ETag of the version you last read.")]


@dataclass(frozen=True)
class Answer:
    """What a write answers: its body, and the headers that go with it (ETag, Location)."""

    body: BaseModel
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Call:
    """A partner's write as its route receives it: the unit of work it runs in, who calls, and
    the idempotency of the call."""

    uow: UnitOfWork
    principal: Principal
    idempotency: Idempotency

    async def once(self, status_code: int, write: Callable[[], Awaitable[Answer]]) -> Response:
        """A retry gets the first call's answer and changes nothing; a new call runs `write`,
        and its answer is kept, in the same unit of work, for a retry."""
        if (replay := await self.idempotency.replay()) is not None:
            return replay
        answer = await write()
        body = self._remembered(status_code, answer)
        return JSONResponse(body, status_code, headers=dict(answer.headers))

    async def body_once(self, status_code: int, write: Callable[[], Awaitable[Answer]]) -> Any:
        """What `once` answers, as the JSON body alone: a page's form shows it or follows it."""
        if (earlier := await self.idempotency.earlier()) is not None:
            return earlier[1]
        return self._remembered(status_code, await write())

    def _remembered(self, status_code: int, answer: Answer) -> Any:
        body = answer.body.model_dump(mode="json")
        self.idempotency.remember(status_code, body)
        return body


async def call(uow: UnitOfWorkDep, principal: PrincipalDep, idempotency: IdempotencyDep) -> Call:
    return Call(uow, principal, idempotency)


CallDep = Annotated[Call, Depends(call)]


async def page_call(
    request: Request, uow: UnitOfWorkDep, principal: PagePrincipalDep, form: FormDep
) -> Call:
    """A portal form's write as a route's `Call`: idempotent by the key the form carries."""
    key = form.get(FORM_KEY)[:MAX_KEY_LENGTH] or None
    definition: ServiceDefinition = request.app.state.definition
    idempotency = Idempotency(
        definition.tables.idempotency, uow, principal.key_id, key, await fingerprint(request)
    )
    return Call(uow, principal, idempotency)


PageCallDep = Annotated[Call, Depends(page_call)]


async def attempt(call: Call, write: Callable[[], Awaitable[Answer]]) -> Any | Refusal:
    """A form's write: its answer (the first one, if the form was sent before), or why it was
    refused; a refused write leaves nothing behind, not even its claim on the form's key."""
    try:
        return await call.body_once(200, write)
    except REFUSED as error:
        await call.uow.abandon()
        return Refusal.of(error)
