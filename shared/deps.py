"""The FastAPI dependencies every service's routes use, as `Annotated` aliases.

Each is built from the running service's resources (made in the app's lifespan, never at import
time). All are async: FastAPI runs a plain `def` dependency in a worker thread.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Header, Request

from shared.auth import PrincipalDep
from shared.http import Problem
from shared.idempotency import HEADER, MAX_KEY_LENGTH, Idempotency, fingerprint
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
        uow.session,
        principal.key_id,
        key,
        await fingerprint(request),
    )


IdempotencyDep = Annotated[Idempotency, Depends(idempotency)]
