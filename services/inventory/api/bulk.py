"""Bulk submission of sources: the template of a file of sources, its upload, and the upload's
progress (`shared.bulk`). Every row is registered as the body of a single `POST /v1/sources`
would be, by the same rules (who may register for which party among them), all or none.
"""

from __future__ import annotations

from functools import partial
from uuid import UUID

from fastapi import APIRouter

from services.inventory.adapters.tables import UPLOADS
from services.inventory.api import sheets
from services.inventory.api.routes import new_source
from services.inventory.api.sheets import SourceRow
from services.inventory.app import commands
from services.inventory.domain.model import Source
from shared.bulk import BulkUpload, Upload, add_bulk_routes
from shared.http import PROBLEMS

router = APIRouter(prefix="/v1/sources", tags=["bulk submission"], responses=PROBLEMS)


async def _create(upload: Upload[SourceRow]) -> list[UUID]:
    uow, principal = upload.call.uow, upload.call.principal

    async def register(row: SourceRow) -> Source:
        return await new_source(row.body, uow, principal)

    sources = await upload.checked(register, SourceRow.column_of)
    await upload.in_batches(sources, partial(commands.store_sources, uow))
    return [source.id for source in sources]


add_bulk_routes(
    router,
    BulkUpload(sheets.LAYOUT, sheets.validate_row, lambda row: row.number, _create, UPLOADS),
    "sources",
)
