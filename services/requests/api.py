"""HTTP routes of the requests service: parse, call the domain, map errors to problem details."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict, Field

from services.requests import events
from services.requests.domain import AssistanceRequest
from services.requests.store import RequestRepository
from shared.geography import countries
from shared.http import Problem
from shared.runtime import ResourcesDep, SessionDep

router = APIRouter(prefix="/v1/requests", tags=["requests"])


class NewRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    state: str = Field(pattern=r"^[A-Z]{3}$", description="ISO 3166-1 alpha-3")
    title: str = Field(min_length=3, max_length=300)


class RequestView(BaseModel):
    id: UUID
    state: str
    title: str
    status: str
    regional_centre: str | None

    @classmethod
    def of(cls, request: AssistanceRequest) -> RequestView:
        return cls(
            id=request.id,
            state=request.state,
            title=request.title,
            status=request.status.value,
            regional_centre=request.regional_centre,
        )


@router.post("", status_code=status.HTTP_201_CREATED, response_model=RequestView)
async def submit_request(
    body: NewRequest, session: SessionDep, resources: ResourcesDep
) -> RequestView:
    if body.state not in countries():
        raise Problem(
            422,
            "Unknown state",
            f"{body.state} is not a known state.",
            kind="unknown-state",
            field="body.state",
        )
    centre = resources.network.centre_of(body.state)
    request = AssistanceRequest(
        state=body.state, title=body.title, regional_centre=centre.id if centre else None
    )
    request.submit()
    RequestRepository(session).add(request)
    await events.publish(session, resources.outbox, resources.topics, request)
    return RequestView.of(request)


@router.get("/{request_id}", response_model=RequestView)
async def get_request(request_id: UUID, session: SessionDep) -> RequestView:
    request = await RequestRepository(session).get(request_id)
    if request is None:
        raise Problem(404, "Request not found", f"No request {request_id}.", kind="not-found")
    return RequestView.of(request)
