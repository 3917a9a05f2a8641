"""Bulk creation: many drafts from the rows of one file, all or none, in one unit of work.

Each row goes through the single creation's own rules (`commands.new_draft`: who may create for
which state, the draft's lifecycle); the first pass checks every row and collects every refusal,
so that the caller learns all that is wrong at once, and nothing is stored unless no row is
refused. The drafts are then stored in batches within the same unit of work, which publishes
their events when the caller's boundary commits it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.requests.adapters.repository import RequestRepository
from services.requests.app.commands import new_draft
from services.requests.domain.model import AssistanceRequest, Need
from shared.errors import DomainError, Forbidden, Invalid
from shared.principal import Principal
from shared.unit_of_work import UnitOfWork

BATCH = 500
"""Rows stored per flush, and how often the progress is told."""

Progress = Callable[[str, int], Awaitable[None]]
"""Told the phase ('validating', 'storing') and how many rows are done in it."""


@dataclass(frozen=True)
class RowError:
    """One problem of a file: the row (1 is the header) and the column it is in, if known."""

    row: int | None
    column: str | None
    rule: str
    message: str

    def as_json(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "rule": self.rule, "message": self.message}


@dataclass(frozen=True)
class DraftRow:
    """A row that passed the create schema: the state it is for and what it asks."""

    number: int
    state: str
    need: Need


class RowsInvalid(Invalid):
    """Rows of the file break the rules: `errors` lists each by row and column."""

    kind = "bulk-invalid"
    title = "Invalid rows"


class RowsForbidden(Forbidden):
    """Rows the caller may not create (another state's): `errors` lists each."""

    kind = "bulk-forbidden"


def refusal(errors: Sequence[RowError], max_errors: int) -> DomainError:
    """What a file with `errors` is answered: 403 when any row is the caller's to not create,
    422 otherwise; at most `max_errors` listed, and how many there are."""
    forbidden = any(e.rule == "forbidden" for e in errors)
    kind = RowsForbidden if forbidden else RowsInvalid
    rows = sorted({e.row for e in errors if e.row is not None})
    where = f"{len(rows)} row(s)" if rows else "the file"
    return kind(
        f"{len(errors)} problem(s) in {where}; nothing was stored.",
        errors=[e.as_json() for e in errors[:max_errors]],
        errors_total=len(errors),
    )


async def create_requests(
    uow: UnitOfWork,
    principal: Principal,
    rows: Sequence[DraftRow],
    now: datetime,
    progress: Progress,
    *,
    earlier_errors: Sequence[RowError] = (),
    max_errors: int = 1000,
) -> list[AssistanceRequest]:
    """Drafts of every row, or none: raises the refusal listing `earlier_errors` (the schema's)
    and every row the creation rules refuse."""
    errors = list(earlier_errors)
    drafts: list[AssistanceRequest] = []
    for row in rows:
        try:
            drafts.append(new_draft(uow.network, principal, row.state, row.need, now))
        except DomainError as error:
            rule = "forbidden" if isinstance(error, Forbidden) else error.rule or error.kind
            errors.append(RowError(row.number, error.field, rule, str(error)))
    if errors:
        raise refusal(sorted(errors, key=lambda e: e.row or 0), max_errors)
    repository = RequestRepository(uow)
    for start in range(0, len(drafts), BATCH):
        await repository.add_all(drafts[start : start + BATCH])
        await progress("storing", min(start + BATCH, len(drafts)))
    return drafts
