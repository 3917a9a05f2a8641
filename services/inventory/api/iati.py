"""HTTP routes for IATI 2.03: the ledger as an activity file, and a donor's file imported.

The body of an import is the XML file itself (`curl --data-binary @activities.xml -H
'Content-Type: application/xml'`), within the service's body limit (`INVENTORY_MAX_BODY_BYTES`,
else 413).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel

from services.inventory.app import iati
from services.inventory.domain.iati import Publisher, Row
from services.inventory.settings import InventorySettings
from shared import clock
from shared.auth import PrincipalDep
from shared.deps import Answer, CallDep, ResourcesDep, UnitOfWorkDep
from shared.http import PROBLEMS
from shared.runtime import Resources, service_settings

router = APIRouter(prefix="/v1", tags=["iati"], responses=PROBLEMS)
XML = "application/xml"


def publisher(resources: Resources) -> Publisher:
    settings = service_settings(resources, InventorySettings)
    return Publisher(
        settings.iati_reporting_org_ref,
        settings.iati_reporting_org_name,
        settings.iati_reporting_org_type,
        settings.iati_organisation_refs,
    )


class RowOut(BaseModel):
    activity: str
    ref: str | None
    line: int
    outcome: str
    entry_id: UUID | None = None
    rule: str | None = None
    reason: str | None = None

    @classmethod
    def of(cls, row: Row) -> RowOut:
        return cls(**{**row.__dict__, "outcome": row.outcome.value})


class ImportReport(BaseModel):
    """What became of each transaction of the file, in the file's order."""

    dry_run: bool
    recorded: int
    skipped: int
    refused: int
    rows: list[RowOut]


@router.get(
    "/iati/activities",
    response_class=Response,
    responses={200: {"content": {XML: {}}, "description": "An IATI 2.03 activity file"}},
    summary="The ledger's money for each request, as IATI 2.03 activities",
)
async def export_activities(
    uow: UnitOfWorkDep,
    principal: PrincipalDep,
    resources: ResourcesDep,
    donor: str | None = None,
    convention: str | None = None,
    state: str | None = None,
) -> Response:
    """One activity per request with money pledged, committed or disbursed for it. A donor gets
    its own sources' transactions only; everyone else, every source's (or `donor`'s)."""
    where = iati.ExportFilter(donor, convention, state)
    document = await iati.export_activities(
        uow, principal, where, publisher(resources), clock.now()
    )
    return Response(document, media_type=XML)


@router.post(
    "/iati/activities",
    response_model=ImportReport,
    summary="Record a donor's IATI activity file in the ledger: all of it, or nothing",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {XML: {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
async def import_activities(
    request: Request, call: CallDep, resources: ResourcesDep, dry_run: bool = False
) -> Any:
    """Each transaction of type 12, 2 or 3 becomes a pledge, commitment or disbursement of the
    source its provider names, for the request its activity names. With `dry_run`, the report
    says what would happen and nothing is stored."""
    data = await request.body()

    async def record() -> Answer:
        rows = await iati.import_activities(
            call.uow, call.principal, data, publisher(resources), clock.now(), dry_run=dry_run
        )
        counts = iati.rows_of(rows)
        return Answer(ImportReport(dry_run=dry_run, rows=[RowOut.of(r) for r in rows], **counts))

    return await call.once(200, record)
