"""The portal's pages of requests: lists, the request form, each request, the review queue.

Each page runs the API's read paths (`visible`, `narrow`, `visible_request`) and use cases
(`commands`) with the signed-in principal, so it shows and changes what that principal's key
may through the API. Every change is a POST form carrying the key of the form drawn
(`attempt`): a form sent twice changes things once, and a refused one changes nothing and is
drawn again with what was typed and the refusal beside the field it concerns.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from pydantic import Field

from services.requests.adapters.repository import RequestRepository
from services.requests.api.need_form import need_body, need_fields, options, placed
from services.requests.api.schemas import NeedIn, NewRequest, ReasonIn, RequestOut, ReturnIn
from services.requests.app import commands
from services.requests.app.commands import Change, ReasonedChange, visible_request
from services.requests.domain.model import AssistanceRequest, Status
from services.requests.domain.policy import (
    CHANGES,
    RequestFilter,
    changes_open_to,
    narrow,
    visible,
)
from services.requests.settings import RequestsSettings
from shared import clock
from shared.deps import Answer, Call, PageCallDep, ResourcesDep, UnitOfWorkDep, attempt
from shared.errors import NotFound, Stale
from shared.geography import countries
from shared.languages import Names, NamesDep
from shared.portal.forms import FORM_KEY, REFUSED, Form, FormDep, Refusal, new_form_key
from shared.portal.pages import Pages, next_page
from shared.portal.routes import asset
from shared.portal.session import only
from shared.principal import Principal, Role
from shared.runtime import service_settings
from shared.schemas import ConventionCode, StateCode, Strict
from shared.unit_of_work import UnitOfWork
from shared.versioning import etag

PAGE_SIZE = 25
QUEUE = "/portal/queue"
READERS = (Role.NATIONAL, Role.REGIONAL, Role.SECRETARIAT, Role.OPERATOR)
REVIEWERS = (Role.REGIONAL, Role.SECRETARIAT, Role.OPERATOR)

router = APIRouter(prefix="/portal", include_in_schema=False)
HERE = Path(__file__).parent.parent  # the service's templates/ and static/
STATIC = {"requests.css": "requests.css"}
pages = Pages(HERE / "templates")
ReaderDep = Annotated[Principal, only(*READERS)]
ReviewerDep = Annotated[Principal, only(*REVIEWERS)]
FocalPointDep = Annotated[Principal, only(Role.NATIONAL)]

PLAIN: dict[str, Change] = {
    "submit": AssistanceRequest.submit,
    "publish": AssistanceRequest.publish,
}
REASONED: dict[str, ReasonedChange] = {
    "withdraw": AssistanceRequest.withdraw,
    "endorse": AssistanceRequest.endorse,
}

UNDER_WAY = frozenset(
    {Status.SUBMITTED, Status.ENDORSED, Status.PUBLISHED, Status.PARTLY_MATCHED, Status.MATCHED}
)
VIEWS: dict[str, tuple[str, frozenset[Status] | None]] = {
    "all": ("All", None),
    "open": ("Open for matching", frozenset({Status.PUBLISHED, Status.PARTLY_MATCHED})),
    "unmatched": ("Unmatched", frozenset({Status.PUBLISHED})),
    "returned": ("Returned for amendment", frozenset({Status.RETURNED})),
    "at-risk": ("At risk", UNDER_WAY),
}
"""The views of a list: open for matching (published, not yet fully matched or funded);
unmatched (published, nothing proposed covers any of it); returned to its state with the
centre's reason; at risk (under way, not yet funded, deadline within `at_risk_days`)."""


class Paging(Strict):
    """Which page of a list its query asks for: so many rows after the cursor."""

    cursor: str | None = None
    limit: int = Field(PAGE_SIZE, ge=1, le=200)


class Filters(Paging):
    """What a list of requests is narrowed to, as its page's query gives it."""

    view: Literal["all", "open", "unmatched", "returned", "at-risk"] = "all"
    status: Status | None = None
    convention: ConventionCode | None = None
    area: str | None = None
    state: StateCode | None = None
    deadline_before: date | None = None

    def asked(self, today: date, at_risk_days: int) -> RequestFilter:
        statuses = VIEWS[self.view][1]
        if self.status is not None:
            statuses = frozenset({self.status}) & (statuses or frozenset({self.status}))
        deadlines = [self.deadline_before] if self.deadline_before else []
        if self.view == "at-risk":
            deadlines.append(today + timedelta(days=at_risk_days + 1))
        return RequestFilter(
            states=frozenset({self.state}) if self.state else None,
            convention=self.convention,
            area=self.area,
            statuses=None if statuses is None else frozenset(s.value for s in statuses),
            deadline_before=min(deadlines, default=None),
        )


@dataclass(frozen=True)
class Refused:
    """A change the page was asked for and refused: drawn again with what was sent."""

    request_id: UUID
    change: str
    refusal: Refusal
    form: Form


def _forms(refused: Refused | None) -> dict[str, Any]:
    """What a page's change forms need: the refusal beside the form refused, what was typed in
    it, and each form's key (the refused form's own again, so that sending it corrected
    changes things once)."""

    def refusal_of(request_id: UUID, change: str) -> Refusal | None:
        if refused and (request_id, change) == (refused.request_id, refused.change):
            return refused.refusal
        return None

    def key_of(request_id: UUID, change: str) -> str:
        if refused and refusal_of(request_id, change):
            return refused.form.get(FORM_KEY)
        return new_form_key()

    def typed(request_id: UUID, change: str, name: str) -> str:
        return refused.form.get(name) if refused and refusal_of(request_id, change) else ""

    return {"refusal_for": refusal_of, "key_for": key_of, "typed": typed}


@router.get("/requests")
async def requests_list(
    request: Request,
    uow: UnitOfWorkDep,
    resources: ResourcesDep,
    names: NamesDep,
    principal: ReaderDep,
) -> HTMLResponse:
    """The requests the principal may see, narrowed by the query's filters, newest first."""
    given = _given(request, Filters)
    at_risk_days = service_settings(resources, RequestsSettings).at_risk_days
    found: list[AssistanceRequest] = []
    next_cursor, refusal = None, None
    try:
        filters = Filters.model_validate(given)
        asked = filters.asked(clock.now().date(), at_risk_days)
        if (where := narrow(visible(principal), asked)) is not None:
            found, next_cursor = await RequestRepository(uow).page(
                where, filters.limit, filters.cursor
            )
    except REFUSED as error:
        refusal = Refusal.of(error)
    kept = _without_cursor(given)
    if "lang" in request.query_params:
        kept["lang"] = names.lang
    return pages.render(
        request,
        "requests.html",
        principal=principal,
        names=names,
        status=refusal.status if refusal else 200,
        requests=found,
        view_label=VIEWS.get(given.get("view", "all"), VIEWS["all"])[0],
        filters=kept,
        refusal=refusal,
        views=[
            (code, label, urlencode({**kept, "view": code})) for code, (label, _) in VIEWS.items()
        ],
        view=given.get("view", "all"),
        next_url=next_page(kept, next_cursor),
        states=_states_of(principal, uow, names),
        statuses=[(s.value, s.value.replace("_", " ")) for s in Status],
        options=options(),
        at_risk_days=at_risk_days,
    )


def _given(request: Request, query: type[Paging]) -> dict[str, str]:
    """The fields of `query` the page's query gives (blank ones are not given)."""
    return {k: v for k, v in request.query_params.items() if v and k in query.model_fields}


def _without_cursor(given: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in given.items() if k != "cursor"}


def _states_of(principal: Principal, uow: UnitOfWork, names: Names) -> list[tuple[str, str]]:
    """The states a principal's list may be narrowed to, by name; none for a focal point."""
    if principal.role is Role.NATIONAL:
        return []
    centre = uow.network.centres.get(principal.centre or "")
    codes = centre.states if centre else countries()
    return sorted(((c, names.state(c) or c) for c in codes), key=lambda pair: pair[1])


@router.get("/requests/new")
async def new_request_form(
    request: Request, names: NamesDep, principal: FocalPointDep
) -> HTMLResponse:
    return _new_form(request, principal, names, Form({"urgency": ["medium"]}), None)


def _new_form(
    request: Request,
    principal: Principal,
    names: Names,
    values: Form,
    refusal: Refusal | None,
    key: str | None = None,
) -> HTMLResponse:
    return pages.render(
        request,
        "new_request.html",
        principal=principal,
        names=names,
        status=refusal.status if refusal else 200,
        values=values,
        refusal=refusal,
        key=key or new_form_key(),
        options=options(),
    )


@router.post("/requests/new")
async def create_request(
    request: Request, form: FormDep, call: PageCallDep, names: NamesDep, principal: FocalPointDep
) -> Response:
    """A draft for the focal point's state, by the API's rules (`NewRequest`)."""
    body, moved = need_body(form)

    async def create() -> Answer:
        new = NewRequest.model_validate({**body, "state": principal.state})
        draft = await commands.create_request(
            call.uow, call.principal, new.state, new.to_need(), clock.now()
        )
        return Answer(RequestOut.of(draft))

    outcome = await attempt(call, create)
    if isinstance(outcome, Refusal):
        return _new_form(
            request, principal, names, form, placed(outcome, moved), form.get(FORM_KEY)
        )
    return RedirectResponse(f"/portal/requests/{outcome['id']}", status_code=303)


@router.get("/requests/{request_id}")
async def request_page(
    request: Request, request_id: str, uow: UnitOfWorkDep, names: NamesDep, principal: ReaderDep
) -> HTMLResponse:
    """The request, its history and the changes the principal may make to it now."""
    try:
        known = UUID(request_id)
    except ValueError:
        return _not_found(request, principal, names)
    return await _request_page(request, uow, principal, names, known)


def _not_found(request: Request, principal: Principal, names: Names) -> HTMLResponse:
    """What an unknown request and one the principal may not see both answer."""
    return pages.render(request, "not_found.html", principal=principal, names=names, status=404)


async def _request_page(
    request: Request,
    uow: UnitOfWork,
    principal: Principal,
    names: Names,
    request_id: UUID,
    refused: Refused | None = None,
) -> HTMLResponse:
    repository = RequestRepository(uow)
    try:
        found = await visible_request(repository, principal, request_id)
    except NotFound:
        return _not_found(request, principal, names)
    history = await repository.history(request_id)
    returned = next((t for t in reversed(history) if t.action == "return"), None)
    amending = refused is not None and refused.change == "amend"
    centre = uow.network.centres.get(found.regional_centre or "")
    changes = changes_open_to(principal, found)
    return pages.render(
        request,
        "request.html",
        principal=principal,
        names=names,
        status=refused.refusal.status if refused else 200,
        r=found,
        centre=centre.name if centre else None,
        history=history,
        returned=returned if found.status is Status.RETURNED else None,
        stale=refused is not None and refused.refusal.title == Stale.title,
        changes=changes,
        unplaced=refused.refusal if refused and refused.change not in changes else None,
        **_forms(refused),
        values=refused.form if refused and amending else need_fields(found),
        options=options(),
    )


@router.post("/requests/{request_id}/amend")
async def amend_request(
    request: Request,
    request_id: UUID,
    form: FormDep,
    call: PageCallDep,
    names: NamesDep,
    principal: ReaderDep,
) -> Response:
    """What the request asks, replaced (as `PUT`) if it is still at the version the form drew."""
    body, moved = need_body(form)

    async def amend() -> Answer:
        need = NeedIn.model_validate(body).to_need()
        amended = await commands.amend_request(
            call.uow, call.principal, request_id, need, _version(form), clock.now()
        )
        return Answer(RequestOut.of(amended))

    return await _changed(request, call, names, request_id, "amend", form, amend, moved)


@router.post("/requests/{request_id}/{change}")
async def change_request(
    request: Request,
    request_id: UUID,
    change: Literal["submit", "withdraw", "endorse", "return", "publish"],
    form: FormDep,
    call: PageCallDep,
    names: NamesDep,
    principal: ReaderDep,
) -> Response:
    """One lifecycle change, by the API's rules, against the version the form drew."""
    action = CHANGES[change][0]

    async def apply() -> Answer:
        changed = await commands.change_request(
            call.uow,
            call.principal,
            request_id,
            action,
            _lifecycle(change, form),
            _version(form),
            clock.now(),
        )
        return Answer(RequestOut.of(changed))

    return await _changed(request, call, names, request_id, change, form, apply)


def _lifecycle(change: str, form: Form) -> Change:
    """The request's method for `change`, with the reason the form gives, checked as the API
    checks it (`ReturnIn`: a return says why; `ReasonIn`)."""
    if change == "return":
        reason = ReturnIn.model_validate({"reason": form.get("reason")}).reason
        return lambda r, who, now: r.return_for_amendment(who, now, reason)
    if change in REASONED:
        given = ReasonIn.model_validate({"reason": form.given("reason")}).reason
        method = REASONED[change]
        return lambda r, who, now: method(r, who, now, given)
    return PLAIN[change]


def _version(form: Form) -> str | None:
    """The If-Match of the version the form was drawn with."""
    version = form.given("version")
    return etag(int(version)) if version and version.isdigit() else version


async def _changed(
    request: Request,
    call: Call,
    names: Names,
    request_id: UUID,
    change: str,
    form: Form,
    write: Callable[[], Awaitable[Answer]],
    moved: dict[str, str] | None = None,
) -> Response:
    """After a change: back to the page it was made from; if refused, that page again with
    the refusal beside the form."""
    outcome = await attempt(call, write)
    back = form.get("back")
    if not isinstance(outcome, Refusal):
        return RedirectResponse(
            QUEUE if back == QUEUE else f"/portal/requests/{request_id}", status_code=303
        )
    refused = Refused(request_id, change, placed(outcome, moved or {}), form)
    if back == QUEUE:
        return await _queue_page(request, call.uow, call.principal, names, {}, refused)
    return await _request_page(request, call.uow, call.principal, names, request_id, refused)


@router.get("/queue")
async def queue(
    request: Request,
    uow: UnitOfWorkDep,
    names: NamesDep,
    principal: ReviewerDep,
) -> HTMLResponse:
    """Submitted requests waiting on review, the longest waiting first: a centre's from its
    states, the secretariat's and operators' from every state."""
    return await _queue_page(request, uow, principal, names, _given(request, Paging))


async def _queue_page(
    request: Request,
    uow: UnitOfWork,
    principal: Principal,
    names: Names,
    given: dict[str, str],
    refused: Refused | None = None,
) -> HTMLResponse:
    submitted = RequestFilter(statuses=frozenset({Status.SUBMITTED.value}))
    where = narrow(visible(principal), submitted)
    waiting: list[tuple[AssistanceRequest, datetime]] = []
    next_cursor, refusal = None, refused.refusal if refused else None
    try:
        paging = Paging.model_validate(given)
        if where is not None:
            waiting, next_cursor = await RequestRepository(uow).longest_waiting(
                where, paging.limit, paging.cursor
            )
    except REFUSED as error:
        refusal = Refusal.of(error)
    return pages.render(
        request,
        "queue.html",
        principal=principal,
        names=names,
        status=refusal.status if refusal else 200,
        waiting=[(r, at, _reviews(principal, r)) for r, at in waiting],
        refusal=refusal,
        **_forms(refused),
        next_url=next_page(given, next_cursor),
    )


def _reviews(principal: Principal, request: AssistanceRequest) -> list[str]:
    return [c for c in changes_open_to(principal, request) if c in ("endorse", "return")]


@router.get("/requests/static/{name}")
async def static(name: str) -> FileResponse:
    return asset(HERE / "static", STATIC, name)
