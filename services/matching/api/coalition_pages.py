"""The portal's page of one country coalition: who helps the state with what, and what is still
missing (its summary), its members and its dialogue log; with the forms to record a dialogue
entry (the state, the lead, the secretariat) and to join (a party for itself).

The page runs the API's use cases (`app.coalitions`) with the signed-in principal, so it shows
and changes what that principal's key may through `/v1/coalitions`. A form carries the key of
the form drawn: sent twice, it counts once; refused, it changes nothing and the page is drawn
again with the refusal beside the form.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.matching.api.coalition_schemas import (
    CoalitionSummaryOut,
    CountryCoalitionOut,
    DialogueIn,
    MemberIn,
)
from services.matching.api.pages import pages
from services.matching.app import coalitions as commands
from services.matching.domain import policy
from services.matching.domain.coalitions import Coalition, DialogueKind, MemberKind
from shared import clock
from shared.deps import Answer, Call, PageCallDep, UnitOfWorkDep, attempt
from shared.errors import Invalid
from shared.languages import Names, NamesDep
from shared.portal.forms import FORM_KEY, Form, FormDep, Refusal, new_form_key
from shared.portal.session import PagePrincipalDep
from shared.principal import Principal
from shared.unit_of_work import UnitOfWork

router = APIRouter(prefix="/portal", include_in_schema=False)
COALITIONS = "/portal/coalitions"


@router.get("/coalitions/{coalition_id}")
async def coalition_page(
    request: Request,
    coalition_id: UUID,
    uow: UnitOfWorkDep,
    names: NamesDep,
    principal: PagePrincipalDep,
) -> HTMLResponse:
    coalition = await commands.visible(uow, principal, coalition_id)
    return await _page(request, uow, principal, names, coalition)


async def _page(
    request: Request,
    uow: UnitOfWork,
    principal: Principal,
    names: Names,
    coalition: Coalition,
    refused: tuple[str, Refusal, Form] | None = None,
) -> HTMLResponse:
    """The coalition's page; `refused`: the form (dialogue or join) refused, drawn again."""
    summary = CoalitionSummaryOut.of(coalition, await commands.summary(uow, coalition))
    which, refusal, form = refused if refused else ("", None, Form({}))
    party = principal.party
    return pages.render(
        request,
        "coalition.html",
        principal=principal,
        names=names,
        status=refusal.status if refusal else 200,
        summary=summary,
        c=summary.coalition,
        members=_members(summary),
        others=[g for g in summary.givers if not g.member],
        records_dialogue=policy.may_record_dialogue(principal, coalition),
        joins=party if party and coalition.may_join(party) else None,
        open_=coalition.status.value != "closed",
        dialogue_kinds=[(k.value, k.value.replace("-", " ")) for k in DialogueKind],
        member_kinds=[(k.value, k.value) for k in MemberKind],
        refusal=refusal,
        refused=which,
        form=form,
        key=form.get(FORM_KEY) if refused else new_form_key(),
    )


def _members(summary: CoalitionSummaryOut) -> list[dict[str, Any]]:
    """Each member with what it gives, in each currency or unit (none yet: no rows)."""
    return [
        {"member": m, "gives": [g for g in summary.givers if g.party == m.party]}
        for m in sorted(summary.coalition.members, key=lambda m: (not m.lead, m.party))
    ]


def _dialogue(form: Form) -> DialogueIn:
    """The dialogue entry the form gives, checked as the API checks it; one follow-up at most,
    left out when its action is blank."""
    follow_up = {name: form.get(f"follow_up_{name}") for name in ("action", "owner", "due")}
    return DialogueIn.model_validate(
        {
            "date": form.get("date"),
            "kind": form.get("kind"),
            "participants": [p.strip() for p in form.get("participants").split(",") if p.strip()],
            "agreed": form.get("agreed"),
            "follow_ups": [follow_up] if follow_up["action"] else [],
        }
    )


@router.post("/coalitions/{coalition_id}/dialogue")
async def record_dialogue(
    request: Request, coalition_id: UUID, form: FormDep, call: PageCallDep, names: NamesDep
) -> Response:
    async def write() -> Answer:
        body = _dialogue(form)
        now = clock.now()
        coalition = await commands.record_dialogue(
            call.uow,
            call.principal,
            coalition_id,
            lambda: body.entry(call.principal.label, now),
            now,
        )
        return Answer(CountryCoalitionOut.of(coalition))

    return await _after(request, call, names, coalition_id, "dialogue", form, write)


@router.post("/coalitions/{coalition_id}/join")
async def join(
    request: Request, coalition_id: UUID, form: FormDep, call: PageCallDep, names: NamesDep
) -> Response:
    async def write() -> Answer:
        member = MemberIn.model_validate({"kind": form.get("kind")})
        party = call.principal.party
        if party is None:
            raise Invalid("Only a party joins a coalition.", rule="member-party")
        coalition = await commands.join(
            call.uow, call.principal, coalition_id, party, member.kind, clock.now()
        )
        return Answer(CountryCoalitionOut.of(coalition))

    return await _after(request, call, names, coalition_id, "join", form, write)


async def _after(
    request: Request,
    call: Call,
    names: Names,
    coalition_id: UUID,
    which: str,
    form: Form,
    write: Any,
) -> Response:
    """Back to the coalition's page; if refused, the page again with the refusal beside the
    form."""
    outcome = await attempt(call, write)
    if not isinstance(outcome, Refusal):
        return RedirectResponse(f"{COALITIONS}/{coalition_id}", status_code=303)
    coalition = await commands.visible(call.uow, call.principal, coalition_id)
    return await _page(request, call.uow, call.principal, names, coalition, (which, outcome, form))
