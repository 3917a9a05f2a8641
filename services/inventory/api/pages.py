"""The portal's pages of sources: each office's sources and their windows with the capacity used
and left, what they pledged, committed and disbursed; and one source with its ledger.

The API lets everyone with a key read every source. The portal shows each office the sources it
looks after (`policy.looks_after`): a donor its own, a focal point its state's offers, a centre
those focused on its region, the offices all; another's source is answered as unknown. The lists
run the API's search (`SourceRepository.search`, paged by its cursor) narrowed to those.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from services.inventory.adapters.ledger_repository import EntryFilter, LedgerRepository
from services.inventory.adapters.repository import SourceRepository
from services.inventory.adapters.request_projection import RequestProjection
from services.inventory.adapters.search import SourceFilter
from services.inventory.api.reports import AMOUNTS
from services.inventory.domain.ledger import ZERO
from services.inventory.domain.model import Source
from services.inventory.domain.policy import STATE_OFFER, looks_after
from shared.deps import UnitOfWorkDep
from shared.events.inventory import SourceKind, SourceStatus
from shared.languages import Names, NamesDep
from shared.portal.forms import REFUSED, Refusal
from shared.portal.pages import Pages, next_page
from shared.portal.session import PagePrincipalDep
from shared.principal import Principal, Role
from shared.schemas import ConventionCode, Strict
from shared.taxonomy import taxonomy
from shared.unit_of_work import UnitOfWork

PAGE_SIZE = 25
HERE = Path(__file__).parent.parent  # the service's templates/

router = APIRouter(prefix="/portal", include_in_schema=False)
pages = Pages(HERE / "templates")


class SourceFilters(Strict):
    """What the list of sources is narrowed to, as its page's query gives it."""

    status: SourceStatus | None = None
    kind: SourceKind | None = None
    convention: ConventionCode | None = None
    donor: str | None = None
    cursor: str | None = None


@dataclass(frozen=True)
class Totals:
    """What a set of windows counted in one currency or unit holds, summed."""

    measure: str
    in_kind: bool
    capacity: Decimal = ZERO
    pledged: Decimal = ZERO
    committed: Decimal = ZERO
    reserved: Decimal = ZERO
    disbursed: Decimal = ZERO
    available: Decimal = ZERO


def totals(sources: list[Source]) -> list[Totals]:
    """The windows' figures summed per currency and per unit, never across them."""
    sums: dict[tuple[bool, str], dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for source in sources:
        for window in source.windows:
            for name in AMOUNTS:
                sums[(window.unit is not None, window.measure)][name] += getattr(window, name)
    return [
        Totals(measure, in_kind, **values) for (in_kind, measure), values in sorted(sums.items())
    ]


def looked_after(principal: Principal) -> SourceFilter | None:
    """The sources the principal looks after (`policy.looks_after`), as a search's filter."""
    match principal.role:
        case Role.SECRETARIAT | Role.OPERATOR:
            return SourceFilter()
        case Role.DONOR:
            return SourceFilter(donor=principal.donor)
        case Role.NATIONAL if principal.party:
            return SourceFilter(donor=principal.party, kind=STATE_OFFER.value)
        case Role.REGIONAL:
            return SourceFilter(region=principal.centre)
    return None


def narrowed(scope: SourceFilter, filters: SourceFilters) -> SourceFilter | None:
    """The principal's sources narrowed by the page's filters; None when a filter asks for
    sources outside them (another donor's, another kind)."""
    asked = {
        "donor": filters.donor,
        "kind": filters.kind.value if filters.kind else None,
        "convention": filters.convention,
    }
    if any(v is not None and getattr(scope, k) not in (None, v) for k, v in asked.items()):
        return None
    return replace(
        scope,
        statuses=frozenset({filters.status.value}) if filters.status else None,
        donor=asked["donor"] or scope.donor,
        kind=asked["kind"] or scope.kind,
        convention=asked["convention"] or scope.convention,
    )


@router.get("/sources")
async def sources(
    request: Request, uow: UnitOfWorkDep, names: NamesDep, principal: PagePrincipalDep
) -> HTMLResponse:
    """The principal's sources, newest first, with their windows and the sums of their figures."""
    given = {k: v for k, v in request.query_params.items() if v and k in SourceFilters.model_fields}
    found: list[Source] = []
    sums: list[Totals] = []
    next_cursor, refusal = None, None
    scope = looked_after(principal)
    try:
        filters = SourceFilters.model_validate(given)
        where = narrowed(scope, filters) if scope is not None else None
        if where is not None:
            repository = SourceRepository(uow)
            found, next_cursor = await repository.search(where, PAGE_SIZE, filters.cursor)
            sums = totals(await repository.all_matching(where))
    except REFUSED as error:
        refusal = Refusal.of(error)
    kept = {k: v for k, v in given.items() if k != "cursor"}
    if "lang" in request.query_params:
        kept["lang"] = names.lang
    return pages.render(
        request,
        "sources.html",
        principal=principal,
        names=names,
        status=refusal.status if refusal else 200,
        sources=found,
        totals=sums,
        filters=kept,
        refusal=refusal,
        offices=principal.role in (Role.SECRETARIAT, Role.OPERATOR, Role.REGIONAL),
        choices=_choices(),
        centres=uow.network.centres,
        next_url=next_page(kept, next_cursor),
    )


def _choices() -> dict[str, list[tuple[str, str]]]:
    """The options of the list's filters."""
    return {
        "status": [(s.value, s.value) for s in SourceStatus],
        "kind": [(k.value, k.value.replace("-", " ")) for k in SourceKind],
        "convention": [(code, c.name) for code, c in taxonomy().conventions.items()],
    }


@router.get("/sources/{source_id}")
async def source_page(
    request: Request,
    source_id: str,
    uow: UnitOfWorkDep,
    names: NamesDep,
    principal: PagePrincipalDep,
    cursor: str | None = None,
) -> HTMLResponse:
    """One source the principal looks after: its windows, what each holds for each request,
    the reservations of accepted matches and the ledger's entries, newest first."""
    source = await _looked_after(uow, principal, source_id)
    if source is None:
        return pages.render(request, "not_found.html", principal=principal, names=names, status=404)
    ledger = LedgerRepository(uow.session)
    context: dict[str, Any] = {"entries": [], "next_url": None, "refusal": None}
    try:
        entries, next_cursor = await ledger.entries(EntryFilter(source.id), PAGE_SIZE, cursor)
        query = {
            "cursor": next_cursor,
            **({"lang": names.lang} if "lang" in request.query_params else {}),
        }
        context |= {"entries": entries, "next_url": f"?{urlencode(query)}" if next_cursor else None}
    except REFUSED as error:
        context["refusal"] = Refusal.of(error)
    balances = await ledger.balances(source_id=source.id)
    reservations = await ledger.reservations(source_id=source.id)
    asked = {b.request_id for b in balances if b.request_id} | {r.request_id for r in reservations}
    return pages.render(
        request,
        "source.html",
        principal=principal,
        names=names,
        status=context["refusal"].status if context["refusal"] else 200,
        source=source,
        balances=balances,
        reservations=reservations,
        requests=await RequestProjection(uow.session).known(asked),
        described=described(names, source),
        centres=uow.network.centres,
        **context,
    )


async def _looked_after(uow: UnitOfWork, principal: Principal, source_id: str) -> Source | None:
    """The source, if it is one the principal looks after; None for any other id."""
    try:
        known = UUID(source_id)
    except ValueError:
        return None
    source = await SourceRepository(uow).get(known)
    return source if source and looks_after(principal, source.profile) else None


def described(names: Names, source: Source) -> dict[str, Any]:
    """What a source's page names in the reader's language."""
    p = source.profile
    return {
        "home_country": names.state(p.home_country),
        "supports": [
            (names.convention(s.convention), names.areas(s.convention, list(s.areas)))
            for s in p.supports
        ],
        "assistance_types": names.assistance_types(list(p.assistance_types)),
    }
