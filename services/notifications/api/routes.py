"""HTTP routes of the feed: pages, the live stream, alerts, a request's journey, the overview."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Query, Request
from sse_starlette import EventSourceResponse, ServerSentEvent

from services.notifications.adapters.repository import (
    AlertRepository,
    EventRepository,
    FeedFilter,
    FeedReader,
    ViewRepository,
    decode_cursor,
    encode_cursor,
)
from services.notifications.adapters.tables import NotificationRow
from services.notifications.api.schemas import (
    NOTIFICATION_TYPES,
    AlertOut,
    FeedPage,
    JourneyStep,
    NotificationLine,
    NotificationOut,
)
from services.notifications.app.workers import follow
from services.notifications.domain.model import KINDS, RequestNotFound, Severity, overview
from services.notifications.domain.policy import Scope, scope_of
from services.notifications.settings import NotificationsSettings
from shared import clock
from shared.auth import PrincipalDep
from shared.deps import ResourcesDep, UnitOfWorkDep
from shared.errors import Forbidden
from shared.http import PROBLEMS, Problem
from shared.languages import NamesDep
from shared.principal import Principal
from shared.reports import CSV_PAGE, Format, csv_page
from shared.runtime import Resources, service_settings

router = APIRouter(prefix="/v1", tags=["feed"], responses=PROBLEMS)
RETRY_MILLISECONDS = 2000


def invalid(field: str, detail: str) -> Problem:
    return Problem(422, "Invalid request", detail, kind="validation", field=field)


@dataclass
class FeedQuery:
    """The feed's filters, shared by its pages and its stream; each given one must hold."""

    audience: Annotated[
        str | None, Query(max_length=80, description="e.g. national:LAO, regional:<id>, operator")
    ] = None
    region: Annotated[str | None, Query(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")] = None
    state: Annotated[str | None, Query(pattern=r"^[A-Z]{3}$")] = None
    type: Annotated[
        str | None,
        Query(
            max_length=60,
            description="e.g. request.submitted",
            json_schema_extra=NOTIFICATION_TYPES,
        ),
    ] = None
    severity: Annotated[Severity, Query(description="This severity or higher")] = Severity.INFO
    since: Annotated[datetime | None, Query(description="Occurred at or after")] = None

    def resolve(self, principal: Principal, resources: Resources) -> tuple[Scope, FeedFilter]:
        """The caller's scope and the filter; 422 for an unknown type, 403 outside the scope."""
        if self.type is not None and self.type not in KINDS:
            raise invalid("query.type", f"unknown type {self.type!r}")
        if self.since is not None and self.since.tzinfo is None:
            raise invalid("query.since", "give a time zone, e.g. 2026-11-23T09:00:00Z")
        scope = scope_of(principal, resources.network)
        if self.audience is not None and not scope.allows(self.audience):
            raise Forbidden(f"{principal.label} may not read the feed of {self.audience}.")
        return scope, FeedFilter(
            self.audience, self.region, self.state, self.type, self.severity, self.since
        )


FeedQueryDep = Annotated[FeedQuery, Depends()]


@router.get("/feed", response_model=FeedPage, responses=CSV_PAGE, summary="The feed, newest first")
async def feed_page(
    request: Request,
    query: FeedQueryDep,
    uow: UnitOfWorkDep,
    resources: ResourcesDep,
    principal: PrincipalDep,
    names: NamesDep,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    format: Format = "json",
) -> Any:
    """With `format=csv`, the same page as a spreadsheet (the next page's link in `Link`)."""
    scope, where = query.resolve(principal, resources)
    try:
        before = decode_cursor(cursor) if cursor else None
    except ValueError as error:
        raise invalid("query.cursor", str(error)) from error
    rows = await FeedReader(uow.session).newest(scope, where, limit + 1, before)
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor(rows[-1].id or 0) if more else None
    page = FeedPage(items=[NotificationOut.of(r, names) for r in rows], next_cursor=next_cursor)
    if format == "csv":
        lines = [NotificationLine.of(item) for item in page.items]
        return csv_page(request, lines, NotificationLine, names, next_cursor)
    return page


async def starting_point(
    resources: Resources, scope: Scope, last_event_id: str | None, after: int | None
) -> int:
    """Where a stream starts: after the client's Last-Event-ID, else `after`, else now."""
    field, value = (
        ("header.Last-Event-ID", last_event_id) if last_event_id else ("query.after", after)
    )
    async with resources.sessions() as session:
        repository = FeedReader(session)
        if value is None:
            return await repository.last_id()
        if not str(value).isdigit():
            raise invalid(field, "a notification id this feed sent")
        if int(value) != 0 and not await repository.visible(scope, int(value)):
            raise Problem(
                404,
                "Unknown event id",
                f"No notification {value} in your feed.",
                kind="not-found",
                field=field,
            )
        return int(value)


def event_stream(
    resources: Resources,
    scope: Scope,
    where: FeedFilter,
    start: int,
    render: Callable[[NotificationRow], str],
) -> EventSourceResponse:
    settings = service_settings(resources, NotificationsSettings)

    async def events() -> AsyncIterator[ServerSentEvent]:
        yield ServerSentEvent(retry=RETRY_MILLISECONDS)  # also tells the client it is live
        rows = follow(resources, scope, where, start, settings.stream_poll_seconds)
        async for row in rows:
            yield ServerSentEvent(data=render(row), id=str(row.id), event="notification")

    return EventSourceResponse(events(), ping=15)


@router.get(
    "/stream",
    responses={200: {"content": {"text/event-stream": {}}}},
    summary="The feed live, as server-sent events, resumable with Last-Event-ID",
)
async def stream(
    query: FeedQueryDep,
    resources: ResourcesDep,
    principal: PrincipalDep,
    names: NamesDep,
    last_event_id: Annotated[str | None, Header(max_length=20)] = None,
    after: Annotated[int | None, Query(ge=0, description="Start after this id")] = None,
) -> EventSourceResponse:
    """Each event is one notification (`event: notification`, `id:` its id, `data:` its JSON).
    Without Last-Event-ID or `after`, the stream starts with what is committed from now on."""
    scope, where = query.resolve(principal, resources)
    start = await starting_point(resources, scope, last_event_id, after)
    return event_stream(
        resources,
        scope,
        where,
        start,
        lambda row: NotificationOut.of(row, names).model_dump_json(),
    )


@router.get("/alerts", summary="Standing alerts")
async def alerts(uow: UnitOfWorkDep, principal: PrincipalDep) -> list[AlertOut]:
    scope = scope_of(principal, uow.network)
    return [AlertOut.of(row) for row in await AlertRepository(uow).standing(scope.states)]


@router.get(
    "/requests/{request_id}/journey",
    summary="Every event about a request, from every service, in order",
)
async def journey(
    request_id: UUID, uow: UnitOfWorkDep, principal: PrincipalDep
) -> list[JourneyStep]:
    facts = await ViewRepository(uow).request_facts(request_id)
    if facts is None or not scope_of(principal, uow.network).allows_state(facts.state):
        raise RequestNotFound(f"No request {request_id}.")
    return [JourneyStep.of(row) for row in await EventRepository(uow).journey(request_id)]


@router.get("/overview", summary="Requests counted by region and area")
async def counts(
    uow: UnitOfWorkDep, resources: ResourcesDep, principal: PrincipalDep
) -> dict[str, Any]:
    """Open (not yet funded), unmatched, at risk (deadline near, not funded) and funded."""
    settings = service_settings(resources, NotificationsSettings)
    scope = scope_of(principal, uow.network)
    views = await ViewRepository(uow).requests(scope.states)
    result = overview(views, clock.now().date(), settings.alert_deadline_days)
    return asdict(result)
