"""Pages in the portal's frame: the site's places, each principal's navigation, rendering.

The site map names each place by the service that serves it and its path there. Links go to the
service's base URL (`portal_urls`); with none given they stay on the host serving the page, as
behind one reverse proxy.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

from shared.languages import Names
from shared.principal import Principal, Role

HERE = Path(__file__).parent
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
EVERYONE = frozenset(Role)
OFFICES = frozenset({Role.SECRETARIAT, Role.OPERATOR})


@dataclass(frozen=True)
class Place:
    """A page of the portal: what the navigation calls it, who serves it, who may open it."""

    label: str
    service: str
    path: str
    roles: frozenset[Role]


SITE: tuple[Place, ...] = (
    Place("Requests", "requests", "/portal/requests", EVERYONE - {Role.DONOR}),
    Place("Review queue", "requests", "/portal/queue", frozenset({Role.REGIONAL, *OFFICES})),
    Place("Extension requests", "requests", "/portal/extensions", EVERYONE),
    Place("Proposals", "matching", "/portal/proposals", EVERYONE),
    Place("Coalitions", "matching", "/portal/coalitions", EVERYONE),
    Place("Sources", "inventory", "/portal/sources", EVERYONE),
    Place("Projects", "inventory", "/portal/projects", EVERYONE),
    Place("Notifications", "notifications", "/portal/notifications", EVERYONE),
    Place("Dashboard", "notifications", "/dashboard", OFFICES),
)


@dataclass(frozen=True)
class Link:
    label: str
    href: str
    current: bool


def navigation(principal: Principal, urls: Mapping[str, str], here: str) -> list[Link]:
    """The places `principal` may open, each linked on the service that serves it."""
    return [
        Link(p.label, urls.get(p.service, "").rstrip("/") + p.path, here.startswith(p.path))
        for p in SITE
        if principal.role in p.roles
    ]


def next_page(query: Mapping[str, str], cursor: str | None) -> str | None:
    """The link to the page after `cursor`: the same query, its cursor replaced; None when
    there is no next page."""
    if cursor is None:
        return None
    return f"?{urlencode({**{k: v for k, v in query.items() if k != 'cursor'}, 'cursor': cursor})}"


class Pages:
    """The templates of one service's pages, over the portal's frame (`portal/base.html`)."""

    def __init__(self, directory: Path | None = None) -> None:
        loaders = [FileSystemLoader(directory)] if directory else []
        environment = Environment(
            loader=ChoiceLoader([*loaders, FileSystemLoader(HERE / "templates")]),
            autoescape=select_autoescape(default=True),
        )
        self.templates = Jinja2Templates(env=environment)

    def render(
        self,
        request: Request,
        template: str,
        *,
        principal: Principal | None,
        names: Names | None = None,
        status: int = 200,
        **context: Any,
    ) -> HTMLResponse:
        """The page, naming states in the language of `names` (`lang`, else Accept-Language)."""
        names = names or Names()
        urls: Mapping[str, str] = request.app.state.resources.settings.portal_urls
        nav = navigation(principal, urls, request.url.path) if principal else []
        response = self.templates.TemplateResponse(
            request,
            template,
            {**context, "names": names, "principal": principal, "nav": nav},
            status_code=status,
        )
        response.headers.update({**SECURITY_HEADERS, **names.headers()})
        return response


PORTAL = Pages()
"""The portal's own pages: sign-in, home, refusals."""
