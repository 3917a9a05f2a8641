"""Portal pages over HTTP: signing in with a principal's key, as a browser's form would."""

from __future__ import annotations

import html
import re
from typing import Any

from shared.principal import Principal
from tests.service_api import Api

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


async def sign_in(api: Api, principal: Principal) -> None:
    """Sign the client in as `principal`: the portal's cookie now holds its key."""
    key = api.headers_for(principal)["Authorization"].removeprefix("Bearer ")
    answer = await api.client.post("/portal/sign-in", content=f"key={key}", headers=FORM)
    assert answer.status_code == 303, answer.text


async def page_as(api: Api, principal: Principal, path: str, **params: str) -> Any:
    """The page at `path`, as `principal` sees it."""
    await sign_in(api, principal)
    return await api.client.get(path, params=params)


async def next_page(api: Api, path: str, page: Any) -> Any:
    """The page a list's "Next page" link leads to (it must have one)."""
    link = re.search(r'href="\?([^"]+)" rel="next"', page.text)
    assert link, "no next page"
    return await api.client.get(f"{path}?{html.unescape(link.group(1))}")
