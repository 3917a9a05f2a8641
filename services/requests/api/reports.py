"""Reports on requests, as JSON or, with `?format=csv`, as CSV for spreadsheets.

Each report covers what the caller may see (a state its own requests, a centre its region).
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from services.requests.adapters.repository import RequestRepository
from services.requests.domain.model import Status
from services.requests.domain.policy import RequestFilter, visible
from shared.auth import PrincipalDep
from shared.deps import UnitOfWorkDep
from shared.geography import countries
from shared.reports import Format, answer

router = APIRouter(prefix="/v1/reports", tags=["reports"])

REQUESTING = frozenset(
    s.value for s in Status if s not in {Status.DRAFT, Status.WITHDRAWN, Status.EXPIRED}
)
UNMATCHED = frozenset(
    s.value for s in (Status.SUBMITTED, Status.RETURNED, Status.ENDORSED, Status.PUBLISHED)
)


class Count(BaseModel):
    dimension: str
    key: str
    count: int


class StatesForObligation(BaseModel):
    convention: str
    area: str
    states: list[str]
    state_names: list[str]


class DeadlineAtRisk(BaseModel):
    request_id: str
    state: str
    regional_centre: str | None
    convention: str
    title: str
    status: str
    deadline: str
    days_left: int


@router.get(
    "/summary",
    response_model=list[Count],
    summary="Counts by convention, area, assistance type, status, region and state",
)
async def summary(uow: UnitOfWorkDep, principal: PrincipalDep, format: Format = "json") -> Any:
    requests = await RequestRepository(uow).all_matching(visible(principal))
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
    rows = [
        Count(dimension=d, key=k, count=n)
        for d, counter in counters.items()
        for k, n in sorted(counter.items())
    ]
    return answer(rows, Count, format)


@router.get(
    "/states-by-obligation",
    response_model=list[StatesForObligation],
    summary="Which states request assistance for each obligation",
)
async def states_by_obligation(
    uow: UnitOfWorkDep,
    principal: PrincipalDep,
    convention: str | None = None,
    format: Format = "json",
) -> Any:
    scope = visible(principal)
    where = RequestFilter(
        states=scope.states,
        regional_centre=scope.regional_centre,
        convention=convention,
        statuses=REQUESTING & (scope.statuses or REQUESTING),
    )
    requests = await RequestRepository(uow).all_matching(where)
    states: dict[tuple[str, str], set[str]] = {}
    for r in requests:
        for area in r.need.areas:
            states.setdefault((r.need.convention, area), set()).add(r.state)
    known = countries()
    rows = [
        StatesForObligation(
            convention=c, area=a, states=sorted(s), state_names=[known[x].name for x in sorted(s)]
        )
        for (c, a), s in sorted(states.items())
    ]
    return answer(rows, StatesForObligation, format)


@router.get(
    "/deadlines",
    response_model=list[DeadlineAtRisk],
    summary="Requests past or near their deadline with no match yet",
)
async def deadlines(
    uow: UnitOfWorkDep,
    principal: PrincipalDep,
    within_days: Annotated[int, Query(ge=0, le=3650)] = 90,
    format: Format = "json",
) -> Any:
    today = datetime.now(UTC).date()
    scope = visible(principal)
    where = RequestFilter(
        states=scope.states,
        regional_centre=scope.regional_centre,
        statuses=UNMATCHED & (scope.statuses or UNMATCHED),
        deadline_before=today + timedelta(days=within_days + 1),
    )
    requests = await RequestRepository(uow).all_matching(where)
    rows = [
        DeadlineAtRisk(
            request_id=str(r.id),
            state=r.state,
            regional_centre=r.regional_centre,
            convention=r.need.convention,
            title=r.need.title,
            status=r.status.value,
            deadline=r.need.deadline.isoformat(),
            days_left=(r.need.deadline - today).days,
        )
        for r in sorted(requests, key=lambda r: r.need.deadline)
    ]
    return answer(rows, DeadlineAtRisk, format)
