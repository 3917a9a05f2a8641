"""The portal's own routes, served by every service: sign in and out, the home page, assets."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from shared.auth import Authenticator
from shared.http import Problem
from shared.portal.forms import FormDep
from shared.portal.pages import HERE, PORTAL, SECURITY_HEADERS
from shared.portal.session import (
    NotForYou,
    PagePrincipalDep,
    SignInRequired,
    forget_key,
    keep_key,
    page_after_sign_in,
    sign_in_url,
)

STATIC = {
    "htmx.min.js": "htmx-2.0.11.min.js",
    "htmx-sse.min.js": "htmx-ext-sse-2.2.4.min.js",
    "portal.css": "portal.css",
}

router = APIRouter(prefix="/portal", include_in_schema=False)


@router.get("/sign-in")
async def sign_in_form(request: Request, next: str | None = None) -> HTMLResponse:
    return PORTAL.render(
        request, "portal/sign_in.html", principal=None, error=None, after=page_after_sign_in(next)
    )


@router.post("/sign-in")
async def sign_in(request: Request, form: FormDep) -> Response:
    """Check the key and keep it in the cookie; signing in again changes nothing else."""
    key, after = form.get("key"), page_after_sign_in(form.given("next"))
    authenticator: Authenticator = request.app.state.resources.authenticator
    if (await authenticator.principal(key) if key else None) is None:
        error = "That key is not valid, or it was revoked."
        return PORTAL.render(
            request, "portal/sign_in.html", principal=None, status=401, error=error, after=after
        )
    response = RedirectResponse(after, status_code=303)
    keep_key(response, request, key)
    return response


@router.post("/sign-out")
async def sign_out() -> Response:
    response = RedirectResponse("/portal/sign-in", status_code=303)
    forget_key(response)
    return response


@router.get("")
async def home(request: Request, principal: PagePrincipalDep) -> HTMLResponse:
    """The places the signed-in principal may open."""
    return PORTAL.render(request, "portal/home.html", principal=principal)


@router.get("/static/{name}")
async def static(name: str) -> FileResponse:
    return asset(HERE / "static", STATIC, name)


def asset(folder: Path, files: Mapping[str, str], name: str) -> FileResponse:
    """One of the files a page loads, by the name pages use for it (`files` maps it to the
    file in `folder`); any other name is not found."""
    if name not in files:
        raise Problem(404, "Not found", f"No asset {name}.", kind="not-found")
    return FileResponse(
        folder / files[name],
        headers={"Cache-Control": "public, max-age=86400", **SECURITY_HEADERS},
    )


def install_portal(app: FastAPI) -> None:
    """The portal's routes, and pages answering a missing sign-in or a refused role."""

    async def to_sign_in(request: Request, error: Exception) -> Response:
        assert isinstance(error, SignInRequired)
        return RedirectResponse(sign_in_url(error.after), status_code=303)

    async def refused(request: Request, error: Exception) -> Response:
        assert isinstance(error, NotForYou)
        return PORTAL.render(request, "portal/refused.html", principal=error.principal, status=403)

    app.add_exception_handler(SignInRequired, to_sign_in)
    app.add_exception_handler(NotForYou, refused)
    app.include_router(router)
