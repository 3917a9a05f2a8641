"""Bulk submission, the same in every service that takes files of rows: the template of the
file, its upload, and the upload's progress.

`POST <prefix>/bulk` takes the file itself as the body (`text/csv` or XLSX), as `curl
--data-binary` and a browser's `fetch(url, {body: file})` send it. Every row is validated as the
body of the service's single `POST` and created by the same rules; all rows are stored, with
their events, in the call's one unit of work, or none. While it runs, its progress is written in
short transactions of its own, in the service's `bulk_uploads` table, for `GET
<prefix>/bulk/{key}` by the same Idempotency-Key.

A service gives a `BulkUpload`: the layout of its file, how a row is validated (in a worker
thread), and how the valid rows are created (`create`, in the upload's unit of work; it runs the
single creation's rules on each row with `checked`, and stores them with `in_batches`).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Generic, Literal, TypeVar
from urllib.parse import quote
from uuid import UUID

from anyio import to_thread
from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    delete,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert

from shared import sheets
from shared.auth import PrincipalDep
from shared.deps import Answer, Call, CallDep, ResourcesDep, UnitOfWorkDep
from shared.errors import DomainError, Forbidden, Invalid
from shared.http import Problem, problem_responses
from shared.idempotency import HEADER
from shared.runtime import Resources, service_settings
from shared.settings import BulkSettings
from shared.sheets import Row, RowError
from shared.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

T = TypeVar("T")
Made = TypeVar("Made")

BATCH = 500
"""Rows validated, and stored, per step; how often the progress is told."""

Progress = Callable[[str, int], Awaitable[None]]
"""Told the phase ('validating', 'storing') and how many rows are done in it."""


# Refusals -----------------------------------------------------------------------------------


class RowsInvalid(Invalid):
    """Rows of the file break the rules: `errors` lists each by row and column."""

    kind = "bulk-invalid"
    title = "Invalid rows"


class RowsForbidden(Forbidden):
    """Rows the caller may not create (another's): `errors` lists each."""

    kind = "bulk-forbidden"


FORBIDDEN = "forbidden"
"""The rule of a row the caller may not create."""


def refusal(errors: Sequence[RowError], max_errors: int) -> DomainError:
    """What a file with `errors` is answered: 403 when any row is the caller's to not create,
    422 otherwise; at most `max_errors` listed, and how many there are."""
    forbidden = any(e.rule == FORBIDDEN for e in errors)
    kind = RowsForbidden if forbidden else RowsInvalid
    rows = sorted({e.row for e in errors if e.row is not None})
    where = f"{len(rows)} row(s)" if rows else "the file"
    return kind(
        f"{len(errors)} problem(s) in {where}; nothing was stored.",
        errors=[e.as_json() for e in errors[:max_errors]],
        errors_total=len(errors),
    )


@dataclass(frozen=True)
class Upload(Generic[T]):
    """What a service's `create` is given: the call, the rows that passed the schema (with
    their numbers), the problems found so far, and where to tell its progress."""

    call: Call
    rows: Sequence[T]
    numbers: Sequence[int]
    errors: Sequence[RowError]
    max_errors: int
    progress: Progress

    async def checked(
        self,
        make: Callable[[T], Awaitable[Made]],
        column_of: Callable[[T, str], str | None] | None = None,
    ) -> list[Made]:
        """`make` applied to every row, by the single creation's rules, or the refusal listing
        every problem: those found before and each row `make` refuses, in the column
        `column_of` finds for the field a rule names (by default the field itself)."""
        errors = list(self.errors)
        made: list[Made] = []
        for number, row in zip(self.numbers, self.rows, strict=True):
            try:
                made.append(await make(row))
            except DomainError as error:
                rule = FORBIDDEN if isinstance(error, Forbidden) else error.rule or error.kind
                column = error.field
                if column is not None and column_of is not None:
                    column = column_of(row, column)
                errors.append(RowError(number, column, rule, str(error)))
        if errors:
            raise refusal(sorted(errors, key=lambda e: e.row or 0), self.max_errors)
        return made

    async def in_batches(
        self, items: list[Made], store: Callable[[list[Made]], Awaitable[None]]
    ) -> None:
        """Store `items` `BATCH` at a time, telling the progress after each."""
        for start in range(0, len(items), BATCH):
            await store(items[start : start + BATCH])
            await self.progress("storing", min(start + BATCH, len(items)))


@dataclass(frozen=True)
class BulkUpload(Generic[T]):
    """What a service's bulk submission needs to know of its rows."""

    layout: sheets.Layout
    validate_row: Callable[[Row], T | list[RowError]]
    """A row as the body of the single `POST`: its schema, in a worker thread."""
    number_of: Callable[[T], int]
    create: Callable[[Upload[T]], Awaitable[list[UUID]]]
    """Create every row (`Upload.checked`, `Upload.in_batches`); the ids, in row order."""
    table: Table
    """The service's `bulk_uploads` table (`bulk_uploads_table`)."""


# Progress -----------------------------------------------------------------------------------


def bulk_uploads_table(metadata: MetaData) -> Table:
    """How far each bulk upload has got, by the caller's key and Idempotency-Key."""
    return Table(
        "bulk_uploads",
        metadata,
        Column("caller", String(32), nullable=False),
        Column("key", String(200), nullable=False),
        Column("status", String(20), nullable=False),
        Column("rows_total", Integer),
        Column("rows_validated", Integer, nullable=False),
        Column("rows_stored", Integer, nullable=False),
        Column("errors", Integer, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("updated_at", DateTime(timezone=True), nullable=False),
        PrimaryKeyConstraint("caller", "key"),
    )


class UploadProgress:
    """Reads and writes the progress of uploads, in the unit of work it is given."""

    def __init__(self, uow: UnitOfWork, table: Table) -> None:
        self.session, self.table = uow.session, table

    def _this(self, caller: str, key: str) -> Any:
        return (self.table.c.caller == caller) & (self.table.c.key == key)

    async def start(self, caller: str, key: str) -> None:
        """The upload's record from the start (anew, for a retry of a refused upload)."""
        now = datetime.now(UTC)
        fresh: dict[str, Any] = {
            "status": "validating",
            "rows_total": None,
            "rows_validated": 0,
            "rows_stored": 0,
            "errors": 0,
            "created_at": now,
            "updated_at": now,
        }
        await self.session.execute(
            insert(self.table)
            .values(caller=caller, key=key, **fresh)
            .on_conflict_do_update(index_elements=["caller", "key"], set_=fresh)
        )

    async def update(self, caller: str, key: str, **values: Any) -> None:
        await self.session.execute(
            update(self.table)
            .where(self._this(caller, key))
            .values(**values, updated_at=datetime.now(UTC))
        )

    async def forget(self, caller: str, key: str) -> None:
        await self.session.execute(delete(self.table).where(self._this(caller, key)))

    async def get(self, caller: str, key: str) -> Any:
        """The upload's row, or None."""
        return (
            await self.session.execute(select(self.table).where(self._this(caller, key)))
        ).first()


class _Progress:
    """Writes an upload's progress in short units of work of its own, beside the upload's."""

    def __init__(self, resources: Resources, table: Table, caller: str, key: str) -> None:
        self.resources, self.table, self.caller, self.key = resources, table, caller, key

    async def update(self, **values: Any) -> None:
        async with self.resources.unit_of_work() as uow:
            await UploadProgress(uow, self.table).update(self.caller, self.key, **values)

    async def start(self) -> None:
        async with self.resources.unit_of_work() as uow:
            await UploadProgress(uow, self.table).start(self.caller, self.key)

    async def forget(self) -> None:
        async with self.resources.unit_of_work() as uow:
            await UploadProgress(uow, self.table).forget(self.caller, self.key)

    async def __call__(self, phase: str, done: int) -> None:
        await self.update(status=phase, rows_stored=done)


# Routes -------------------------------------------------------------------------------------


class CreatedRow(BaseModel):
    row: int = Field(description="The row of the file, as a spreadsheet numbers it (header: 1).")
    id: UUID


class BulkOut(BaseModel):
    rows: int = Field(description="How many were created: one per non-empty row.")
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


def _key_of(call: Call) -> str:
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
    return key


async def _answered(request: Request, uow: UnitOfWork, caller: str, key: str) -> bool:
    """Whether the upload's unit of work committed: its answer is kept with its idempotency
    key in that same transaction."""
    table = request.app.state.definition.tables.idempotency
    answer = await uow.session.scalar(
        select(table.c.status_code).where(table.c.caller == caller, table.c.key == key)
    )
    return answer is not None


def add_bulk_routes(router: APIRouter, bulk: BulkUpload[Any], what: str) -> None:
    """`GET <prefix>/template`, `POST <prefix>/bulk` and `GET <prefix>/bulk/{key}` on the
    router, for rows of `what` (e.g. "draft requests")."""
    title = bulk.layout.title

    async def template(
        principal: PrincipalDep, format: Annotated[Literal["csv", "xlsx"], Query()] = "csv"
    ) -> Response:
        layout = bulk.layout
        content = sheets.csv_template(layout) if format == "csv" else sheets.xlsx_template(layout)
        return Response(
            content,
            media_type=sheets.MEDIA_TYPES[format],
            headers={"Content-Disposition": f'attachment; filename="{title}-template.{format}"'},
        )

    async def upload(request: Request, call: CallDep, resources: ResourcesDep) -> Any:
        key = _key_of(call)
        settings = service_settings(resources, BulkSettings)
        media_type = _media_type(request)
        content = await request.body()
        if len(content) > settings.bulk_max_bytes:
            raise _too_large(
                f"A file may have at most {settings.bulk_max_bytes} bytes.",
                "bytes",
                settings.bulk_max_bytes,
            )
        progress = _Progress(resources, bulk.table, call.principal.key_id, key)

        async def store() -> Answer:
            await progress.start()
            try:
                created = await _create(bulk, call, content, media_type, settings, progress)
            except Exception:  # the unit of work rolls back: nothing is stored, not even this
                try:
                    await progress.forget()
                except Exception:  # the database may be what failed; the answer says it
                    log.warning(
                        "the progress of upload %r could not be removed", key, exc_info=True
                    )
                raise
            body = BulkOut(
                rows=len(created), created=[CreatedRow(row=row, id=id_) for row, id_ in created]
            )
            return Answer(body, {"Location": f"{router.prefix}/bulk/{quote(key, safe='')}"})

        return await call.once(201, store)

    async def progress(
        key: Annotated[str, Path(min_length=1, max_length=200)],
        request: Request,
        uow: UnitOfWorkDep,
        principal: PrincipalDep,
    ) -> ProgressOut:
        """Only the API key that uploaded sees its upload: `validating`, `storing`, then
        `stored` once the upload's unit of work has committed. A refused upload leaves nothing
        behind, not even its progress: 404 (its answer says why)."""
        row = await UploadProgress(uow, bulk.table).get(principal.key_id, key)
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

    router.get(
        "/template",
        summary=f"The template of a file of {title}, to fill in and upload (CSV or XLSX)",
        responses={
            200: {
                "description": "The header row of the columns a row carries (XLSX: and a sheet "
                "saying what each holds).",
                "content": {sheets.CSV: {}, sheets.XLSX: {}},
            }
        },
        response_class=Response,
    )(template)
    router.post(
        "/bulk",
        status_code=201,
        response_model=BulkOut,
        responses=UPLOAD_PROBLEMS,
        openapi_extra=FILE_BODY,
        summary=f"Create {what} from every row of a CSV or XLSX file: all or none "
        "(Idempotency-Key required)",
        description="A 422 (or a 403, for rows the caller may not create) lists every problem "
        f"by row and column, and stores nothing. `GET {router.prefix}/bulk/{{key}}` shows how "
        "far the upload with that Idempotency-Key has got while it runs.",
    )(upload)
    router.get(
        "/bulk/{key:path}",
        summary="How far the caller's bulk upload with this Idempotency-Key has got",
    )(progress)


async def _create(
    bulk: BulkUpload[T],
    call: Call,
    content: bytes,
    media_type: str,
    settings: BulkSettings,
    progress: _Progress,
) -> list[tuple[int, UUID]]:
    """Read and validate in worker threads (the event loop serves other calls meanwhile), then
    create every row or none."""
    try:
        rows = await to_thread.run_sync(
            sheets.read_rows, content, media_type, settings.bulk_max_rows, bulk.layout
        )
    except sheets.TooLarge as error:
        raise _too_large(str(error), error.limit, settings.bulk_max_rows) from None
    except sheets.Unreadable as error:
        raise refusal(error.errors, settings.bulk_max_errors) from None
    await progress.update(rows_total=len(rows))

    def validate(batch: Sequence[Row]) -> tuple[list[T], list[RowError]]:
        return sheets.validate_rows(batch, bulk.validate_row)

    valid: list[T] = []
    errors: list[RowError] = []
    for start in range(0, len(rows), BATCH):
        passed, failed = await to_thread.run_sync(validate, rows[start : start + BATCH])
        valid += passed
        errors += failed
        done = min(start + BATCH, len(rows))
        await progress.update(status="validating", rows_validated=done, errors=len(errors))
    if not rows:
        errors.append(RowError(None, None, "no-rows", "The file has no rows below its header."))
    numbers = [bulk.number_of(row) for row in valid]
    upload = Upload(call, valid, numbers, errors, settings.bulk_max_errors, progress)
    ids = await bulk.create(upload)
    return list(zip(numbers, ids, strict=True))
