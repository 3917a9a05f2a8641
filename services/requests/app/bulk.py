"""Bulk creation: many drafts from the rows of one file, all or none, in one unit of work.

Each row goes through the single creation's own rules (`commands.new_draft`: who may create for
which state, the draft's lifecycle); every row is checked and every refusal collected
(`shared.bulk.Upload.checked`), so that the caller learns all that is wrong at once, and nothing
is stored unless no row is refused. The drafts are then stored in batches within the same unit
of work, which publishes their events when the caller's boundary commits it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.requests.adapters.repository import RequestRepository
from services.requests.app.commands import new_draft
from services.requests.domain.model import AssistanceRequest, Need
from shared.bulk import Upload


@dataclass(frozen=True)
class DraftRow:
    """A row that passed the create schema: the state it is for and what it asks."""

    number: int
    state: str
    need: Need


async def create_requests(upload: Upload[DraftRow], now: datetime) -> list[AssistanceRequest]:
    """Drafts of every row, or none: raises the refusal listing the problems found before (the
    schema's) and every row the creation rules refuse."""
    uow, principal = upload.call.uow, upload.call.principal

    async def draft(row: DraftRow) -> AssistanceRequest:
        return new_draft(uow.network, principal, row.state, row.need, now)

    drafts = await upload.checked(draft)
    await upload.in_batches(drafts, RequestRepository(uow).add_all)
    return drafts
