"""HTTP routes of the notifications service."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import BaseModel

from services.notifications.store import NotificationRepository
from shared.runtime import SessionDep

router = APIRouter(prefix="/v1/feed", tags=["feed"])


class NotificationView(BaseModel):
    id: int
    event_id: UUID
    event_type: str
    subject: str
    summary: str
    occurred_at: datetime


@router.get("", response_model=list[NotificationView])
async def feed(session: SessionDep, limit: int = Query(50, ge=1, le=500)) -> list[NotificationView]:
    rows = await NotificationRepository(session).latest(limit)
    return [NotificationView.model_validate(row, from_attributes=True) for row in rows]
