"""The portal's notifications page: each principal's own notifications, filtered, paged by the
feed's cursor and kept live over the feed's stream.

It reads the feed through the API's read path (`FeedQuery.resolve`, `FeedReader`) with the
principal's own scope (`policy.own_scope`), never a wider one: a focal point sees its state's
notifications, a centre its own, which tell of its states, a donor its own.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import TypeAdapter
from sse_starlette import EventSourceResponse

from services.notifications.adapters.repository import (
    FeedFilter,
    FeedReader,
    decode_cursor,
    encode_cursor,
)
from services.notifications.api.dashboard import html_page, one_line, pages
from services.notifications.api.routes import FeedQuery, event_stream, invalid, starting_point
from services.notifications.domain.model import KINDS, Severity
from services.notifications.domain.policy import Scope, own_scope
from shared.deps import ResourcesDep, UnitOfWorkDep
from shared.languages import NamesDep
from shared.portal.forms import REFUSED, Refusal
from shared.portal.pages import OFFICES, next_page
from shared.portal.session import PagePrincipalDep
from shared.principal import Principal
from shared.runtime import Resources

PAGE_SIZE = 25

router = APIRouter(prefix="/portal/notifications", include_in_schema=False)
Given = Annotated[str, Query(max_length=80)]


@dataclass
class Filters:
    """The page's filters as typed, checked as the API checks its own (`_own_feed`)."""

    severity: Given = ""
    type: Given = ""
    state: Given = ""

    def given(self) -> dict[str, str]:
        return {name: value for name, value in vars(self).items() if value}


FiltersDep = Annotated[Filters, Depends()]


def _own_feed(
    given: dict[str, str], principal: Principal, resources: Resources
) -> tuple[Scope, FeedFilter]:
    """The API's filters, checked as the API checks them, within the principal's own scope."""
    query = TypeAdapter(FeedQuery).validate_python(given)
    _, where = query.resolve(principal, resources)
    return own_scope(principal, resources.network), where


def _refusal(error: Exception) -> Refusal:
    """The refusal with each message beside the filter it concerns (`query.type` is `type`)."""
    refusal = Refusal.of(error)
    fields = {name.removeprefix("query."): text for name, text in refusal.fields.items()}
    return replace(refusal, fields=fields)


@router.get("")
async def notifications(
    request: Request,
    uow: UnitOfWorkDep,
    resources: ResourcesDep,
    names: NamesDep,
    principal: PagePrincipalDep,
    filters: FiltersDep,
    cursor: Given = "",
) -> HTMLResponse:
    given = filters.given()
    context: dict[str, Any] = {
        "filters": given,
        "severities": [(s.value, f"{s.value} and above") for s in Severity],
        "types": [(kind, kind) for kind in sorted(KINDS)],
        "plain": principal.role not in OFFICES,  # journeys are the dashboard's, for offices
    }
    try:
        scope, where = _own_feed(given, principal, resources)
        before = _cursor(cursor)
    except REFUSED as error:
        refusal = _refusal(error)
        return html_page(
            request,
            "notifications.html",
            status=refusal.status,
            names=names,
            principal=principal,
            refusal=refusal,
            notifications=[],
            **context,
        )
    reader = FeedReader(uow.session)
    newest = await _newest_seen(reader, scope)
    rows = await reader.newest(scope, where, PAGE_SIZE + 1, before)
    more, rows = len(rows) > PAGE_SIZE, rows[:PAGE_SIZE]
    keep = {**given, "lang": names.lang}
    next_url = next_page(keep, encode_cursor(rows[-1].id or 0) if more else None) or ""
    stream_url = "" if cursor else f"/portal/notifications/stream?{urlencode(keep)}&after={newest}"
    return html_page(
        request,
        "notifications.html",
        names=names,
        principal=principal,
        refusal=None,
        notifications=rows,
        next_url=next_url,
        stream_url=stream_url,
        **context,
    )


async def _newest_seen(reader: FeedReader, scope: Scope) -> int:
    """Where the page's stream starts: after the newest notification in the principal's scope
    (a stream may only start after one of its own), or from the start when it has none."""
    newest = await reader.newest(scope, FeedFilter(), 1, None)
    return (newest[0].id or 0) if newest else 0


def _cursor(cursor: str) -> int | None:
    try:
        return decode_cursor(cursor) if cursor else None
    except ValueError as error:
        raise invalid("query.cursor", "a link to a next page this page made") from error


@router.get("/stream")
async def stream(
    request: Request,
    resources: ResourcesDep,
    names: NamesDep,
    principal: PagePrincipalDep,
    filters: FiltersDep,
    after: Annotated[int | None, Query(ge=0)] = None,
) -> EventSourceResponse:
    """The page's notifications as they come, each as the page draws it."""
    scope, where = _own_feed(filters.given(), principal, resources)
    start = await starting_point(resources, scope, request.headers.get("last-event-id"), after)
    item = pages.templates.get_template("notification.html")
    plain = principal.role not in OFFICES
    return event_stream(
        resources,
        scope,
        where,
        start,
        lambda row: one_line(item.render(n=row, names=names, plain=plain)),
    )
