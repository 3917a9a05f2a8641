"""The inventory's copy of the requests, kept from their events: the newest version wins, so a
redelivered or late event changes nothing."""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.inventory.adapters.tables import RequestRow
from services.inventory.domain.iati import KnownRequest
from shared.events.requests import RequestDetails
from shared.values import attributes, field_names


class RequestProjection:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def record(self, request: RequestDetails) -> None:
        """Keep the request unless a version at least as new is kept already."""
        values = {
            "request_id": request.request_id,
            "version": request.version,
            "state": request.state,
            "regional_centre": request.regional_centre,
            "status": request.status,
            "convention": request.convention,
            "areas": list(request.areas),
            "title": request.title,
            "description": request.description,
            "amount": request.amount.value if request.amount else None,
            "currency": request.amount.currency if request.amount else None,
            "in_kind": [need.model_dump(mode="json") for need in request.in_kind],
            "deadline": request.deadline,
            "created_at": request.created_at,
        }
        statement = insert(RequestRow).values(**values)
        newer = {name: statement.excluded[name] for name in values if name != "request_id"}
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=["request_id"],
                set_=newer,
                where=col(RequestRow.version) < statement.excluded.version,
            )
        )

    async def known(
        self,
        ids: Iterable[UUID] | None = None,
        *,
        convention: str | None = None,
        state: str | None = None,
    ) -> dict[UUID, KnownRequest]:
        """The requests kept, by id: those of `ids` (all when None), of a convention or a state."""
        r = RequestRow
        query = select(r)
        if ids is not None:
            query = query.where(col(r.request_id).in_(list(ids)))
        for column, value in ((r.convention, convention), (r.state, state)):
            if value is not None:
                query = query.where(col(column) == value)
        rows = (await self.session.scalars(query)).all()
        return {row.request_id: _known(row) for row in rows}


def _known(row: RequestRow) -> KnownRequest:
    values = attributes(row, field_names(KnownRequest))
    return KnownRequest(**{**values, "areas": tuple(row.areas)})
