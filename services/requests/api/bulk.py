"""Bulk submission of requests: the template of a file of requests, its upload, and the
upload's progress (`shared.bulk`), each row validated as the body of a single `POST
/v1/requests` and created by the same rules.
"""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter

from services.requests.adapters.tables import UPLOADS
from services.requests.api import sheets
from services.requests.app.bulk import DraftRow, create_requests
from shared import clock
from shared.bulk import BulkUpload, Upload, add_bulk_routes
from shared.http import PROBLEMS

router = APIRouter(prefix="/v1/requests", tags=["bulk submission"], responses=PROBLEMS)


async def _create(upload: Upload[DraftRow]) -> list[UUID]:
    return [request.id for request in await create_requests(upload, clock.now())]


add_bulk_routes(
    router,
    BulkUpload(sheets.LAYOUT, sheets.validate_row, lambda row: row.number, _create, UPLOADS),
    "draft requests",
)
