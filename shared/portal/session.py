"""Who is signed in to the portal: any principal, by its API key, kept in a cookie.

The key is kept in an HttpOnly, SameSite=Strict cookie: scripts cannot read it and other sites
cannot send it, which protects every form of the portal from cross-site posts. Cookies belong to
a host whatever its port, so one sign-in serves the pages of all four services of a deployment.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import Response

from shared.auth import Authenticator
from shared.principal import Principal, Role

COOKIE = "ch_portal"
COOKIE_SECONDS = 8 * 3600
SIGN_IN = "/portal/sign-in"


class SignInRequired(Exception):
    """A page asked for by someone not signed in: answered by a redirect to the sign-in page."""

    def __init__(self, after: str) -> None:
        super().__init__(after)
        self.after = after


class NotForYou(Exception):
    """A page the signed-in principal may not see (another role's page): answered by a 403
    page, so it shows nothing of what it holds."""

    def __init__(self, principal: Principal) -> None:
        super().__init__(principal.label)
        self.principal = principal


async def signed_in(request: Request) -> Principal | None:
    """The principal whose key the cookie holds, if it is still valid."""
    key = request.cookies.get(COOKIE)
    if not key:
        return None
    authenticator: Authenticator = request.app.state.resources.authenticator
    return await authenticator.principal(key)


async def page_principal(request: Request) -> Principal:
    principal = await signed_in(request)
    if principal is None:
        query = f"?{request.url.query}" if request.url.query else ""
        raise SignInRequired(request.url.path + query)
    return principal


PagePrincipalDep = Annotated[Principal, Depends(page_principal)]


def only(*roles: Role) -> Any:
    """A dependency: the signed-in principal, refused unless it has one of `roles`."""

    async def of_role(principal: PagePrincipalDep) -> Principal:
        if principal.role not in roles:
            raise NotForYou(principal)
        return principal

    return Depends(of_role)


def sign_in_url(after: str) -> str:
    return f"{SIGN_IN}?next={quote(after, safe='/')}"


def page_after_sign_in(asked: str | None) -> str:
    """Where signing in leads: the page asked for, if it is one of this site's, else the home."""
    if asked and asked.startswith("/") and not asked.startswith("//") and "\\" not in asked:
        return asked
    return "/portal"


def keep_key(response: Response, request: Request, key: str) -> None:
    response.set_cookie(
        COOKIE,
        key,
        max_age=COOKIE_SECONDS,
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def forget_key(response: Response) -> None:
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
