"""Reports on requests, as JSON or, with `?format=csv`, as CSV for spreadsheets.

Each report covers what the caller may see (a state its own requests, a centre its region).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from services.requests.adapters.repository import RequestRepository
from services.requests.domain.model import AssistanceRequest, Status
from services.requests.domain.policy import RequestFilter, visible
from shared import clock
from shared.auth import PrincipalDep
from shared.deps import UnitOfWorkDep
from shared.languages import NamesDep
from shared.reports import RESPONSES, Format, answer
from shared.unit_of_work import UnitOfWork

router = APIRouter(prefix="/v1/reports", tags=["reports"], responses=RESPONSES)

REQUESTING = frozenset(
    s.value for s in Status if s not in {Status.DRAFT, Status.WITHDRAWN, Status.EXPIRED}
)
UNMATCHED = frozenset(
    s.value for s in (Status.SUBMITTED, Status.RETURNED, Status.ENDORSED, Status.PUBLISHED)
)


@dataclass(frozen=True)
class VisibleRequests:
    """The requests a report may read: those the caller may see."""

    uow: UnitOfWork
    scope: RequestFilter

    async def among(
        self, statuses: frozenset[str] | None = None, **narrowed: Any
    ) -> list[AssistanceRequest]:
        """Those of `statuses` (any when None), narrowed further by `narrowed`."""
        where = self.scope
        if statuses is not None:
            where = replace(where, statuses=statuses & (where.statuses or statuses))
        return await RequestRepository(self.uow).all_matching(replace(where, **narrowed))


async def _visible_requests(uow: UnitOfWorkDep, principal: PrincipalDep) -> VisibleRequests:
    return VisibleRequests(uow, visible(principal))


VisibleDep = Annotated[VisibleRequests, Depends(_visible_requests)]


class Count(BaseModel):
    dimension: str
    key: str
    key_name: str = Field(description="What the key is called, in the language asked for.")
    count: int


class StatesForObligation(BaseModel):
    convention: str
    convention_name: str
    area: str
    area_name: str
    states: list[str]
    state_names: list[str]


class DeadlineAtRisk(BaseModel):
    request_id: str
    state: str
    state_name: str
    regional_centre: str | None
    convention: str
    convention_name: str
    title: str
    status: str
    deadline: str
    days_left: int


@router.get(
    "/summary",
    response_model=list[Count],
    summary="Counts by convention, area, assistance type, status, region and state",
)
async def summary(visible_requests: VisibleDep, names: NamesDep, format: Format = "json") -> Any:
    requests = await visible_requests.among()
    counters: dict[str, Counter[str]] = {
        d: Counter() for d in ("convention", "area", "assistance_type", "status", "region", "state")
    }
    for r in requests:
        counters["convention"][r.need.convention] += 1
        counters["area"].update(f"{r.need.convention}/{a}" for a in r.need.areas)
        counters["assistance_type"].update(r.need.assistance_types)
        counters["status"][r.status.value] += 1
        counters["region"][r.regional_centre or "(global tier)"] += 1
        counters["state"][r.state] += 1
    centres = visible_requests.uow.network.centres
    rows = [
        Count(dimension=d, key=k, key_name=names.of_key(d, k, centres), count=n)
        for d, counter in counters.items()
        for k, n in sorted(counter.items())
    ]
    return answer(rows, Count, format, names)


@router.get(
    "/states-by-obligation",
    response_model=list[StatesForObligation],
    summary="Which states request assistance for each obligation",
)
async def states_by_obligation(
    visible_requests: VisibleDep,
    names: NamesDep,
    convention: str | None = None,
    format: Format = "json",
) -> Any:
    requests = await visible_requests.among(REQUESTING, convention=convention)
    states: dict[tuple[str, str], set[str]] = {}
    for r in requests:
        for area in r.need.areas:
            states.setdefault((r.need.convention, area), set()).add(r.state)
    rows = [
        StatesForObligation(
            convention=c,
            convention_name=names.convention(c),
            area=a,
            area_name=names.area(c, a),
            states=sorted(s),
            state_names=names.states(sorted(s)),
        )
        for (c, a), s in sorted(states.items())
    ]
    return answer(rows, StatesForObligation, format, names)


@router.get(
    "/deadlines",
    response_model=list[DeadlineAtRisk],
    summary="Requests past or near their deadline with no match yet",
)
async def deadlines(
    visible_requests: VisibleDep,
    names: NamesDep,
    within_days: Annotated[int, Query(ge=0, le=3650)] = 90,
    format: Format = "json",
) -> Any:
    today = clock.now().date()
    deadline_before = today + timedelta(days=within_days + 1)
    requests = await visible_requests.among(UNMATCHED, deadline_before=deadline_before)
    rows = [
        DeadlineAtRisk(
            request_id=str(r.id),
            state=r.state,
            state_name=names.state(r.state) or r.state,
            regional_centre=r.regional_centre,
            convention=r.need.convention,
            convention_name=names.convention(r.need.convention),
            title=r.need.title,
            status=r.status.value,
            deadline=r.need.deadline.isoformat(),
            days_left=(r.need.deadline - today).days,
        )
        for r in sorted(requests, key=lambda r: r.need.deadline)
    ]
    return answer(rows, DeadlineAtRisk, format, names)
