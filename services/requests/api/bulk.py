"""Bulk submission: the template of a file of requests, its upload, and the upload's progress.

`POST /v1/requests/bulk` takes the file itself as the body (`text/csv` or XLSX), as `curl
--data-binary` and a browser's `fetch(url, {body: file})` send it. Every row is validated as the
body of a single `POST /v1/requests` and created by the same rules; all rows are stored, with
their events, in the call's one unit of work, or none. While it runs, its progress is written in
short transactions of its own, for `GET /v1/requests/bulk/{key}` by the same Idempotency-Key.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from urllib.parse import quote
from uuid import UUID

from anyio import to_thread
from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from services.requests.adapters.uploads import UploadProgress
from services.requests.api import sheets
from services.requests.app import bulk
from services.requests.settings import RequestsSettings
from shared.auth import PrincipalDep
from shared.deps import Answer, Call, CallDep, ResourcesDep, UnitOfWorkDep
from shared.http import PROBLEMS, Problem, problem_responses
from shared.idempotency import HEADER
from shared.runtime import Resources, service_settings
from shared.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

router = APIRouter(prefix="/v1/requests", tags=["bulk submission"], responses=PROBLEMS)

FILE_BODY = {
    "requestBody": {
        "required": True,
        "description": "The file itself: a CSV (UTF-8) or XLSX file built on the template.",
        "content": {
            sheets.CSV: {"schema": {"type": "string"}},
            sheets.XLSX: {"schema": {"type": "string", "format": "binary"}},
        },
    }
}
UPLOAD_PROBLEMS = problem_responses(
    {
        413: "The file has more rows or bytes than an upload may carry; the problem names "
        "the limit",
        415: "Not a CSV or XLSX file",
    }
)


class CreatedRow(BaseModel):
    row: int = Field(description="The row of the file, as a spreadsheet numbers it (header: 1).")
    id: UUID


class BulkOut(BaseModel):
    rows: int = Field(description="How many requests were created: one per non-empty row.")
    created: list[CreatedRow]


class ProgressOut(BaseModel):
    key: str
    status: Literal["validating", "storing", "stored"]
    rows_total: int | None = Field(description="The file's rows, once it is read.")
    rows_validated: int
    rows_stored: int
    errors: int = Field(
        description="Problems found, when refused (the upload's answer lists them)."
    )
    created_at: datetime
    updated_at: datetime


def _settings(resources: Resources) -> RequestsSettings:
    return service_settings(resources, RequestsSettings)


@router.get(
    "/template",
    summary="The template of a file of requests, to fill in and upload (CSV or XLSX)",
    responses={
        200: {
            "description": "The header row of the columns a row carries (XLSX: and a sheet "
            "saying what each holds).",
            "content": {sheets.CSV: {}, sheets.XLSX: {}},
        }
    },
    response_class=Response,
)
async def template(
    principal: PrincipalDep, format: Annotated[Literal["csv", "xlsx"], Query()] = "csv"
) -> Response:
    content = sheets.csv_template() if format == "csv" else sheets.xlsx_template()
    return Response(
        content,
        media_type=sheets.MEDIA_TYPES[format],
        headers={"Content-Disposition": f'attachment; filename="requests-template.{format}"'},
    )


class _Progress:
    """Writes an upload's progress in short units of work of its own, beside the upload's."""

    def __init__(self, resources: Resources, caller: str, key: str) -> None:
        self.resources, self.caller, self.key = resources, caller, key

    async def start(self) -> None:
        async with self.resources.unit_of_work() as uow:
            await UploadProgress(uow).start(self.caller, self.key)

    async def update(self, **values: Any) -> None:
        async with self.resources.unit_of_work() as uow:
            await UploadProgress(uow).update(self.caller, self.key, **values)

    async def forget(self) -> None:
        async with self.resources.unit_of_work() as uow:
            await UploadProgress(uow).forget(self.caller, self.key)

    async def __call__(self, phase: str, done: int) -> None:
        await self.update(status=phase, rows_stored=done)


def _media_type(request: Request) -> str:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in sheets.MEDIA_TYPES.values():
        raise Problem(
            415,
            "Unsupported media type",
            f"Send the file as {sheets.CSV} or {sheets.XLSX}, not {media_type or 'nothing'}.",
            kind="unsupported-media-type",
            field="header.Content-Type",
        )
    return media_type


def _too_large(detail: str, limit: str, value: int) -> Problem:
    return Problem(413, "Content too large", detail, kind="too-large", limit=limit, maximum=value)


@router.post(
    "/bulk",
    status_code=201,
    response_model=BulkOut,
    responses=UPLOAD_PROBLEMS,
    openapi_extra=FILE_BODY,
    summary="Create draft requests from every row of a CSV or XLSX file: all or none "
    "(Idempotency-Key required)",
)
async def upload(request: Request, call: CallDep, resources: ResourcesDep) -> Any:
    """A 422 (or a 403, for rows of a state the caller may not create for) lists every problem
    by row and column, and stores nothing. `GET /v1/requests/bulk/{key}` shows how far the
    upload with that Idempotency-Key has got while it runs."""
    key = call.idempotency.key
    if key is None:
        raise Problem(
            422,
            "Idempotency key required",
            f"A bulk upload needs an {HEADER}: a retry with it stores nothing twice, and its "
            "progress is read by it.",
            kind="validation",
            field=f"header.{HEADER}",
        )
    settings = _settings(resources)
    media_type = _media_type(request)
    content = await request.body()
    if len(content) > settings.bulk_max_bytes:
        raise _too_large(
            f"A file may have at most {settings.bulk_max_bytes} bytes.",
            "bytes",
            settings.bulk_max_bytes,
        )
    progress = _Progress(resources, call.principal.key_id, key)

    async def store() -> Answer:
        await progress.start()
        try:
            created = await _create(call, content, media_type, settings, progress)
        except Exception:  # the unit of work rolls back: nothing is stored, not even this
            try:
                await progress.forget()
            except Exception:  # the database may be what failed; the answer says it
                log.warning("the progress of upload %r could not be removed", key, exc_info=True)
            raise
        body = BulkOut(
            rows=len(created), created=[CreatedRow(row=row, id=id_) for row, id_ in created]
        )
        return Answer(body, {"Location": f"/v1/requests/bulk/{quote(key, safe='')}"})

    return await call.once(201, store)


async def _create(
    call: Call, content: bytes, media_type: str, settings: RequestsSettings, progress: _Progress
) -> list[tuple[int, UUID]]:
    """Read and validate in worker threads (the event loop serves other calls meanwhile), then
    create every row or none."""
    try:
        rows = await to_thread.run_sync(
            sheets.read_rows, content, media_type, settings.bulk_max_rows
        )
    except sheets.TooLarge as error:
        raise _too_large(str(error), error.limit, settings.bulk_max_rows) from None
    except sheets.Unreadable as error:
        raise bulk.refusal(error.errors, settings.bulk_max_errors) from None
    await progress.update(rows_total=len(rows))
    drafts: list[bulk.DraftRow] = []
    errors: list[bulk.RowError] = []
    for start in range(0, len(rows), bulk.BATCH):
        valid, invalid = await to_thread.run_sync(
            sheets.validate_rows, rows[start : start + bulk.BATCH]
        )
        drafts += valid
        errors += invalid
        done = min(start + bulk.BATCH, len(rows))
        await progress.update(status="validating", rows_validated=done, errors=len(errors))
    if not rows:
        errors.append(
            bulk.RowError(None, None, "no-rows", "The file has no rows below its header.")
        )
    requests = await bulk.create_requests(
        call.uow,
        call.principal,
        drafts,
        datetime.now(UTC),
        progress,
        earlier_errors=errors,
        max_errors=settings.bulk_max_errors,
    )
    return [(row.number, r.id) for row, r in zip(drafts, requests, strict=True)]


@router.get(
    "/bulk/{key:path}",
    summary="How far the caller's bulk upload with this Idempotency-Key has got",
)
async def progress(
    key: Annotated[str, Path(min_length=1, max_length=200)],
    request: Request,
    uow: UnitOfWorkDep,
    principal: PrincipalDep,
) -> ProgressOut:
    """Only the API key that uploaded sees its upload: `validating`, `storing`, then `stored`
    once the upload's unit of work has committed. A refused upload leaves nothing behind, not
    even its progress: 404 (its answer says why)."""
    row = await UploadProgress(uow).get(principal.key_id, key)
    if row is None:
        raise Problem(404, "Not found", "No upload of yours with this key.", kind="not-found")
    status = row.status
    if status == "storing" and await _answered(request, uow, principal.key_id, key):
        status = "stored"
    return ProgressOut(
        key=key,
        status=status,
        rows_total=row.rows_total,
        rows_validated=row.rows_validated,
        rows_stored=(row.rows_total or 0) if status == "stored" else row.rows_stored,
        errors=row.errors,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


async def _answered(request: Request, uow: UnitOfWork, caller: str, key: str) -> bool:
    """Whether the upload's unit of work committed: its answer is kept with its idempotency
    key in that same transaction."""
    table = request.app.state.definition.tables.idempotency
    answer = await uow.session.scalar(
        select(table.c.status_code).where(table.c.caller == caller, table.c.key == key)
    )
    return answer is not None
