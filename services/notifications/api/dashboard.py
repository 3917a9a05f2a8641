"""The operators' dashboard: server-rendered HTML, kept live by htmx over the same feed stream.

The page shows the live feed, counts of requests by region and by thematic area, the standing
alerts, and links to each request's journey. Everything it loads is served by the service
(htmx and its SSE extension are vendored in the portal kernel), so it works with no internet.

It is the portal's page for operators and the secretariat, who sign in there (`shared.portal`);
any other principal is shown that the page is not theirs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from sse_starlette import EventSourceResponse

from services.notifications.adapters.repository import (
    AlertRepository,
    EventRepository,
    FeedFilter,
    FeedReader,
    ViewRepository,
)
from services.notifications.adapters.tables import NotificationRow
from services.notifications.api.charts import figures
from services.notifications.api.routes import (
    FeedQuery,
    FeedQueryDep,
    event_stream,
    starting_point,
)
from services.notifications.app import reports
from services.notifications.domain.model import OPERATOR, overview
from services.notifications.domain.policy import scope_of
from services.notifications.settings import NotificationsSettings
from shared import clock
from shared.deps import ResourcesDep, UnitOfWorkDep
from shared.languages import Names, NamesDep
from shared.portal.pages import Pages
from shared.portal.routes import asset
from shared.portal.session import only
from shared.principal import Principal, Role
from shared.runtime import Resources, service_settings
from shared.unit_of_work import UnitOfWork

HERE = Path(__file__).parent.parent  # the service's templates/ and static/
SIGNED_IN_ROLES = frozenset({Role.OPERATOR, Role.SECRETARIAT})
STATIC = {
    "dashboard.css": "dashboard.css",
    "report.css": "report.css",
    "chart.min.js": "chart-4.6.1.umd.min.js",
    "charts.js": "charts.js",
}

router = APIRouter(prefix="/dashboard", include_in_schema=False)
pages = Pages(HERE / "templates")
OperatorDep = Annotated[Principal, only(*SIGNED_IN_ROLES)]


def html_page(
    request: Request,
    template: str,
    status: int = 200,
    names: Names | None = None,
    principal: Principal | None = None,
    **context: Any,
) -> HTMLResponse:
    """A page naming states in the language of `names` (`lang`, else Accept-Language)."""
    return pages.render(
        request, template, principal=principal, names=names, status=status, **context
    )


@router.get("")
async def dashboard(
    request: Request,
    query: FeedQueryDep,
    uow: UnitOfWorkDep,
    resources: ResourcesDep,
    names: NamesDep,
    principal: OperatorDep,
) -> Response:
    scope, where = _operators_feed(query, principal, resources)
    repository = FeedReader(uow.session)
    newest = await repository.last_id()
    rows = await repository.newest(scope, where, 50, newest + 1)
    stream_query = urlencode({**_given(query), "lang": names.lang, "after": newest})
    return html_page(
        request,
        "dashboard.html",
        names=names,
        principal=principal,
        notifications=rows,
        stream_url=f"/dashboard/stream?{stream_query}",
        filters=_given(query),
        **await _panels(uow, resources),
        **await _charts(uow, names, resources),
    )


def _given(query: FeedQuery) -> dict[str, str]:
    return {k: str(v) for k, v in vars(query).items() if v is not None and k != "audience"}


def _operators_feed(
    query: FeedQuery, principal: Principal, resources: Resources
) -> tuple[Any, FeedFilter]:
    """The dashboard shows the operators' line of each event: every event once."""
    query.audience = OPERATOR
    return query.resolve(principal, resources)


async def _panels(uow: UnitOfWork, resources: Resources) -> dict[str, Any]:
    settings = service_settings(resources, NotificationsSettings)
    views = await ViewRepository(uow).requests()
    return {
        "overview": overview(views, clock.now().date(), settings.alert_deadline_days),
        "alerts": await AlertRepository(uow).standing(),
        "deadline_days": settings.alert_deadline_days,
    }


@router.get("/panels")
async def panels(
    request: Request, uow: UnitOfWorkDep, resources: ResourcesDep, names: NamesDep, _: OperatorDep
) -> HTMLResponse:
    """The counts and the alerts, refreshed by the page whenever the feed moves."""
    return html_page(request, "panels.html", names=names, **await _panels(uow, resources))


async def _charts(uow: UnitOfWork, names: Names, resources: Resources) -> dict[str, Any]:
    found = await reports.dashboard_charts(uow, clock.now())
    return {"figures": figures(found, names, resources.network)}


@router.get("/charts")
async def charts(
    request: Request, uow: UnitOfWorkDep, resources: ResourcesDep, names: NamesDep, _: OperatorDep
) -> HTMLResponse:
    """The charts, drawn again by the page whenever the feed moves."""
    return html_page(request, "charts.html", names=names, **await _charts(uow, names, resources))


@router.get("/stream")
async def stream(
    request: Request,
    query: FeedQueryDep,
    resources: ResourcesDep,
    principal: OperatorDep,
    names: NamesDep,
    after: int = 0,
) -> EventSourceResponse:
    scope, where = _operators_feed(query, principal, resources)
    start = await starting_point(
        resources,
        scope_of(principal, resources.network),
        request.headers.get("last-event-id"),
        after,
    )
    item = pages.templates.get_template("notification.html")
    return event_stream(
        resources, scope, where, start, lambda row: one_line(item.render(n=row, names=names))
    )


def one_line(html: str) -> str:
    """SSE data lines cannot hold newlines as such; HTML does not need them."""
    return " ".join(html.split())


@router.get("/requests/{request_id}")
async def journey(
    request: Request,
    request_id: UUID,
    uow: UnitOfWorkDep,
    names: NamesDep,
    principal: OperatorDep,
) -> HTMLResponse:
    facts = await ViewRepository(uow).request_facts(request_id)
    steps = await EventRepository(uow).journey(request_id)
    if facts is None:
        return html_page(
            request,
            "journey.html",
            status=404,
            names=names,
            principal=principal,
            facts=None,
            steps=[],
            notes=[],
        )
    notes = await FeedReader(uow.session).newest(
        scope_of(Principal.operator(), uow.network),
        FeedFilter(audience=OPERATOR, request_id=request_id),
        200,
        None,
    )
    return html_page(
        request,
        "journey.html",
        names=names,
        principal=principal,
        facts=facts,
        steps=steps,
        notes=_by_event(notes),
    )


def _by_event(notes: list[NotificationRow]) -> dict[UUID, str]:
    return {n.event_id: n.summary for n in notes}


@router.get("/static/{name}")
async def static(name: str) -> FileResponse:
    return asset(HERE / "static", STATIC, name)
