"""The operators' dashboard: server-rendered HTML, kept live by htmx over the same feed stream.

The page shows the live feed, counts of requests by region and by thematic area, the standing
alerts, and links to each request's journey. Everything it loads is served from here (htmx and
its SSE extension are vendored under `static/`), so it works on machines with no internet.

Operators and the secretariat sign in with their API key. The key is kept in an HttpOnly,
SameSite=Strict cookie scoped to /dashboard: scripts cannot read it and other sites cannot send
it, which also protects the two forms (sign in, sign out) from cross-site posts.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qs, urlencode
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sse_starlette import EventSourceResponse

from services.notifications.adapters.repository import (
    AlertRepository,
    EventRepository,
    FeedFilter,
    FeedReader,
    ViewRepository,
)
from services.notifications.adapters.tables import NotificationRow
from services.notifications.api.routes import (
    FeedQuery,
    FeedQueryDep,
    event_stream,
    starting_point,
)
from services.notifications.domain.model import OPERATOR, overview
from services.notifications.domain.policy import scope_of
from services.notifications.settings import NotificationsSettings
from shared.auth import Authenticator
from shared.deps import ResourcesDep, UnitOfWorkDep
from shared.http import Problem
from shared.languages import Names, NamesDep
from shared.principal import Principal, Role
from shared.runtime import Resources, service_settings
from shared.unit_of_work import UnitOfWork

HERE = Path(__file__).parent.parent  # the service's templates/ and static/
COOKIE = "ch_dashboard"
COOKIE_SECONDS = 8 * 3600
SIGNED_IN_ROLES = frozenset({Role.OPERATOR, Role.SECRETARIAT})
STATIC = {
    "htmx.min.js": "htmx-2.0.11.min.js",
    "htmx-sse.min.js": "htmx-ext-sse-2.2.4.min.js",
    "dashboard.css": "dashboard.css",
    "report.css": "report.css",
}
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}

router = APIRouter(prefix="/dashboard", include_in_schema=False)
templates = Jinja2Templates(directory=HERE / "templates")


async def _signed_in(request: Request) -> Principal | None:
    key = request.cookies.get(COOKIE)
    if not key:
        return None
    authenticator: Authenticator = request.app.state.resources.authenticator
    principal = await authenticator.principal(key)
    return principal if principal is not None and principal.role in SIGNED_IN_ROLES else None


async def operator(request: Request) -> Principal:
    """The signed-in operator; fragments and streams answer 401 without one."""
    principal = await _signed_in(request)
    if principal is None:
        raise Problem(
            401, "Not signed in", "Sign in at /dashboard/sign-in.", kind="unauthenticated"
        )
    return principal


OperatorDep = Annotated[Principal, Depends(operator)]


def html_page(
    request: Request,
    template: str,
    status: int = 200,
    names: Names | None = None,
    **context: Any,
) -> HTMLResponse:
    """A page naming states in the language of `names` (`lang`, else Accept-Language)."""
    names = names or Names()
    response = templates.TemplateResponse(
        request, template, {**context, "names": names}, status_code=status
    )
    response.headers.update({**SECURITY_HEADERS, **names.headers()})
    return response


@router.get("/sign-in")
async def sign_in_form(request: Request) -> HTMLResponse:
    return html_page(request, "sign_in.html", error=None)


@router.post("/sign-in")
async def sign_in(request: Request) -> Response:
    """Check the key and keep it in the cookie (signing in again changes nothing else)."""
    form = parse_qs((await request.body()).decode(errors="replace"))
    key = (form.get("key") or [""])[0].strip()
    authenticator: Authenticator = request.app.state.resources.authenticator
    principal = await authenticator.principal(key) if key else None
    if principal is None or principal.role not in SIGNED_IN_ROLES:
        error = "That key is not an operator's or the secretariat's key, or it was revoked."
        return html_page(request, "sign_in.html", status=401, error=error)
    response = RedirectResponse("/dashboard", status_code=303)
    response.set_cookie(
        COOKIE,
        key,
        max_age=COOKIE_SECONDS,
        path="/dashboard",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/sign-out")
async def sign_out() -> Response:
    response = RedirectResponse("/dashboard/sign-in", status_code=303)
    response.delete_cookie(COOKIE, path="/dashboard", httponly=True, samesite="strict")
    return response


@router.get("")
async def dashboard(
    request: Request,
    query: FeedQueryDep,
    uow: UnitOfWorkDep,
    resources: ResourcesDep,
    names: NamesDep,
) -> Response:
    principal = await _signed_in(request)
    if principal is None:
        return RedirectResponse("/dashboard/sign-in", status_code=303)
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
        "overview": overview(views, datetime.now(UTC).date(), settings.alert_deadline_days),
        "alerts": await AlertRepository(uow).standing(),
        "deadline_days": settings.alert_deadline_days,
    }


@router.get("/panels")
async def panels(
    request: Request, uow: UnitOfWorkDep, resources: ResourcesDep, names: NamesDep, _: OperatorDep
) -> HTMLResponse:
    """The counts and the alerts, refreshed by the page whenever the feed moves."""
    return html_page(request, "panels.html", names=names, **await _panels(uow, resources))


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
    item = templates.get_template("notification.html")
    return event_stream(
        resources, scope, where, start, lambda row: _one_line(item.render(n=row, names=names))
    )


def _one_line(html: str) -> str:
    """SSE data lines cannot hold newlines as such; HTML does not need them."""
    return " ".join(html.split())


@router.get("/requests/{request_id}")
async def journey(
    request: Request, request_id: UUID, uow: UnitOfWorkDep, names: NamesDep, _: OperatorDep
) -> HTMLResponse:
    facts = await ViewRepository(uow).request_facts(request_id)
    steps = await EventRepository(uow).journey(request_id)
    if facts is None:
        return html_page(
            request, "journey.html", status=404, names=names, facts=None, steps=[], notes=[]
        )
    notes = await FeedReader(uow.session).newest(
        scope_of(Principal.operator(), uow.network),
        FeedFilter(audience=OPERATOR, request_id=request_id),
        200,
        None,
    )
    return html_page(
        request, "journey.html", names=names, facts=facts, steps=steps, notes=_by_event(notes)
    )


def _by_event(notes: list[NotificationRow]) -> dict[UUID, str]:
    return {n.event_id: n.summary for n in notes}


@router.get("/static/{name}")
async def static(name: str) -> FileResponse:
    if name not in STATIC:
        raise Problem(404, "Not found", f"No asset {name}.", kind="not-found")
    return FileResponse(
        HERE / "static" / STATIC[name],
        headers={"Cache-Control": "public, max-age=86400", **SECURITY_HEADERS},
    )
