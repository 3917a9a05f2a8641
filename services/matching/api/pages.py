"""The portal's pages of matching: the proposals each office may see, with the answers of those
who answer for a source, the country coalitions and the coalitions around the requests (the
page of one country coalition is in `coalition_pages`).

Each page runs the API's read paths (`policy.scope`, `policy.can_see`, `coalition_of`) and use
case (`commands.answer_proposal`) with the signed-in principal, so it shows and changes what that
principal's key may through `/v1/proposals`. An answer is a POST form carrying the key of the form
drawn (`attempt`): sent twice, it answers once; refused, it changes nothing and the list is drawn
again with the refusal beside the form.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import parse_qsl, urlencode
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from services.matching.adapters.repository import MatchRepository, ReadModel
from services.matching.api.routes import Write, answering, coalition_of, declining
from services.matching.api.schemas import CoalitionOut, DeclineIn
from services.matching.app import coalitions as coalition_commands
from services.matching.domain import policy
from services.matching.domain.coalitions import Coalition
from services.matching.domain.model import Match, MatchStatus
from shared.deps import Answer, Call, PageCallDep, UnitOfWorkDep, attempt
from shared.errors import Invalid
from shared.languages import Names, NamesDep
from shared.portal.forms import FORM_KEY, REFUSED, Form, FormDep, Refusal, new_form_key
from shared.portal.pages import Pages, next_page
from shared.portal.routes import asset
from shared.portal.session import PagePrincipalDep
from shared.principal import Principal, Role
from shared.schemas import StateCode, Strict
from shared.unit_of_work import UnitOfWork

PAGE_SIZE = 25
PROPOSALS = "/portal/proposals"
HERE = Path(__file__).parent.parent  # the service's templates/ and static/
STATIC = {"matching.css": "matching.css"}

router = APIRouter(prefix="/portal", include_in_schema=False)
pages = Pages(HERE / "templates")


class ProposalFilters(Strict):
    """What the list of proposals is narrowed to, as its page's query gives it."""

    status: MatchStatus | None = None
    request: UUID | None = None
    source: UUID | None = None
    cursor: str | None = None


class CoalitionFilters(Strict):
    state: StateCode | None = None
    cursor: str | None = None


@dataclass(frozen=True)
class Refused:
    """An answer refused: drawn again beside its proposal's form, with the key it was sent with."""

    match_id: UUID
    answer: str
    refusal: Refusal
    form: Form


def _given(query: Mapping[str, str], fields: Container[str]) -> dict[str, str]:
    """The query's fields a filter knows, blank ones left out."""
    return {k: v for k, v in query.items() if v and k in fields}


def _kept(given: dict[str, str], names: Names, request: Request) -> dict[str, str]:
    """The filters the page's links keep: all but the cursor, and the language if asked."""
    kept = {k: v for k, v in given.items() if k != "cursor"}
    if "lang" in request.query_params:
        kept["lang"] = names.lang
    return kept


def _narrowing(kept: dict[str, str]) -> Callable[..., str]:
    """The query of a link to a list narrowed to `filters`, in the language the page is in."""
    language = {"lang": kept["lang"]} if "lang" in kept else {}
    return lambda **filters: urlencode({**language, **filters})


@router.get("/proposals")
async def proposals(
    request: Request, uow: UnitOfWorkDep, names: NamesDep, principal: PagePrincipalDep
) -> HTMLResponse:
    """The proposals the principal may see, newest first, narrowed by the query's filters."""
    return await _proposals_page(request, uow, principal, names, dict(request.query_params))


async def _proposals_page(
    request: Request,
    uow: UnitOfWork,
    principal: Principal,
    names: Names,
    query: dict[str, str],
    refused: Refused | None = None,
) -> HTMLResponse:
    given = _given(query, ProposalFilters.model_fields)
    found: list[Match] = []
    next_cursor, refusal = None, None
    try:
        filters = ProposalFilters.model_validate(given)
        where = {"request_id": filters.request, "source_id": filters.source}
        found, next_cursor = await MatchRepository(uow).page(
            status=filters.status,
            limit=PAGE_SIZE,
            after=filters.cursor,
            any_of=policy.scope(principal),
            **{k: v for k, v in where.items() if v is not None},
        )
    except REFUSED as error:
        refusal = Refusal.of(error)
    shown = [m for m in found if policy.can_see(principal, m)]
    read_model = ReadModel(uow.session)
    asked_request, asked_source = _asked(given, "request"), _asked(given, "source")
    requests = await read_model.requests({m.request_id for m in shown} | set(asked_request))
    sources = await read_model.sources({m.source_id for m in shown} | set(asked_source))
    answers = {m.id: _answers(principal, m) for m in shown}
    if refused and not answers.get(refused.match_id):
        refusal, refused = refusal or refused.refusal, None  # no form to show it beside
    kept = _kept(given, names, request)
    shown_refusal = refusal or (refused.refusal if refused else None)
    return pages.render(
        request,
        "proposals.html",
        principal=principal,
        names=names,
        status=shown_refusal.status if shown_refusal else 200,
        proposals=shown,
        requests=requests,
        sources=sources,
        narrowed_to={
            "request": [requests[i].title for i in asked_request if i in requests],
            "source": [sources[i].name for i in asked_source if i in sources],
        },
        answers=answers,
        filters=kept,
        back=urlencode({**kept, **({"cursor": given["cursor"]} if "cursor" in given else {})}),
        refusal=refusal,
        refused=refused,
        key_for=lambda match_id, answer: _key_for(refused, match_id, answer),
        statuses=[(s.value, s.value) for s in MatchStatus],
        narrowed=_narrowing(kept),
        next_url=next_page(kept, next_cursor),
    )


def _asked(given: dict[str, str], name: str) -> list[UUID]:
    """The id a filter names, if it is one: its name is shown above the list."""
    try:
        return [UUID(given[name])] if name in given else []
    except ValueError:
        return []


def _answers(principal: Principal, match: Match) -> bool:
    """The principal answers this proposal now: it answers for the source, and it is open."""
    return match.status is MatchStatus.PROPOSED and policy.may_answer(principal, match)


def _key_for(refused: Refused | None, match_id: UUID, answer: str) -> str:
    """The key of an answer's form: the refused form's own again, so that sending it corrected
    answers once; else a new one."""
    if refused and (refused.match_id, refused.answer) == (match_id, answer):
        return refused.form.get(FORM_KEY)
    return new_form_key()


@router.post("/proposals/{match_id}/{answer}")
async def answer_proposal(
    request: Request,
    match_id: UUID,
    answer: Literal["accept", "decline"],
    form: FormDep,
    call: PageCallDep,
    names: NamesDep,
) -> Response:
    """Accept or decline, as the API's routes do; a decline here must say why."""

    async def decide() -> Answer:
        decision = Match.accept if answer == "accept" else declining(_reason(form))
        return await answering(call, match_id, decision)()

    return await _answered(request, call, names, match_id, answer, form, decide)


def _reason(form: Form) -> str:
    """The reason of a decline, checked as the API checks it (`DeclineIn`), and required: the
    state and the allocator read it."""
    reason = DeclineIn.model_validate({"reason": form.given("reason")}).reason
    if reason is None:
        raise Invalid(
            "Say why you decline: the state and the other donors read it.",
            rule="reason-required",
            field="reason",
        )
    return reason


async def _answered(
    request: Request,
    call: Call,
    names: Names,
    match_id: UUID,
    answer: str,
    form: Form,
    write: Write,
) -> Response:
    """After an answer: back to the list it was given from; if refused, that list again with
    the refusal beside the form."""
    outcome = await attempt(call, write)
    query = dict(parse_qsl(form.get("back")))
    if not isinstance(outcome, Refusal):
        back = urlencode(query)
        return RedirectResponse(f"{PROPOSALS}?{back}" if back else PROPOSALS, status_code=303)
    refused = Refused(match_id, answer, outcome, form)
    return await _proposals_page(request, call.uow, call.principal, names, query, refused)


@router.get("/coalitions")
async def coalitions(
    request: Request, uow: UnitOfWorkDep, names: NamesDep, principal: PagePrincipalDep
) -> HTMLResponse:
    """The country coalitions the principal may see (each links to its page), then the
    coalitions around the requests it oversees or helps: a state's own, a centre's region's, a
    donor's where it proposes or commits, everyone's for the offices."""
    given = _given(request.query_params, CoalitionFilters.model_fields)
    shown: list[CoalitionOut] = []
    recorded: list[Coalition] = []
    next_cursor, refusal = None, None
    try:
        filters = CoalitionFilters.model_validate(given)
        where = {"state": filters.state} if filters.state else {}
        ids, next_cursor = await MatchRepository(uow).coalition_requests(
            limit=PAGE_SIZE, after=filters.cursor, any_of=policy.scope(principal), **where
        )
        found = await ReadModel(uow.session).requests(ids)
        shown = [
            await coalition_of(uow, found[i])
            for i in ids
            if i in found and policy.can_see_coalition(principal, found[i].state, uow.network)
        ]
        recorded = await coalition_commands.listed(uow, principal, filters.state)
    except REFUSED as error:
        refusal = Refusal.of(error)
    members = {m.source_id for c in shown for m in c.members} | {
        d.source_id for c in shown for d in c.dropped
    }
    kept = _kept(given, names, request)
    return pages.render(
        request,
        "coalitions.html",
        principal=principal,
        names=names,
        status=refusal.status if refusal else 200,
        coalitions=shown,
        recorded=recorded,
        sources=await ReadModel(uow.session).sources(members),
        filters=kept,
        refusal=refusal,
        states=await _states_of(principal, uow, names),
        narrowed=_narrowing(kept),
        next_url=next_page(kept, next_cursor),
    )


async def _states_of(principal: Principal, uow: UnitOfWork, names: Names) -> list[tuple[str, str]]:
    """The states whose coalitions the principal's list holds, by name; none for a focal point,
    whose list is its own state's."""
    if principal.role is Role.NATIONAL:
        return []
    codes = await MatchRepository(uow).states_with_live(policy.scope(principal))
    return sorted(((c, names.state(c) or c) for c in codes), key=lambda pair: pair[1])


@router.get("/matching/static/{name}")
async def static(name: str) -> FileResponse:
    return asset(HERE / "static", STATIC, name)
