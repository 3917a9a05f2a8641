"""What the inventory can still give, summed by convention, thematic area and region; and the
sources nobody can answer for.

Over the windows of active sources that have not closed yet, per currency for money and per unit
for help in kind: amounts in different currencies are never added up, and quantities in kind are
never added to money nor to another unit. A source counts under every convention, area and region
it supports, so the rows of one dimension may add up to more than the whole.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from datetime import date
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from services.inventory.adapters.repository import SourceRepository
from services.inventory.adapters.search import SourceFilter
from services.inventory.adapters.tables import TABLES
from services.inventory.domain.ledger import ZERO
from services.inventory.domain.model import Source
from shared import clock
from shared.auth import PrincipalDep, parties_with_keys
from shared.deps import UnitOfWorkDep
from shared.events.inventory import SourceStatus, WindowKind
from shared.geography import RegionalCentre
from shared.languages import ENGLISH, Names, NamesDep
from shared.reports import RESPONSES, Format, answer
from shared.taxonomy import taxonomy

router = APIRouter(prefix="/v1/reports", tags=["reports"], responses=RESPONSES)
WORLDWIDE = "(worldwide)"
AMOUNTS = ("capacity", "pledged", "committed", "reserved", "disbursed", "available")


class CapacityRow(BaseModel):
    dimension: str = Field(description="convention, area or region")
    key: str = Field(description="e.g. CCM, CCM/victim-assistance, south-eastern-asia")
    key_name: str = Field(description="What the key is called, in the language asked for.")
    kind: WindowKind = Field(description="money, or help in kind")
    currency: str | None = Field(description="The money windows' currency; none for help in kind.")
    unit: str | None = Field(description="The in-kind windows' unit; none for money.")
    unit_name: str | None = Field(description="The unit's label; none for money.")
    sources: int
    windows: int
    capacity: Decimal
    pledged: Decimal
    committed: Decimal
    reserved: Decimal
    disbursed: Decimal
    available: Decimal


def dimensions(source: Source) -> Iterator[tuple[str, str]]:
    """Every (dimension, key) a source counts under."""
    for support in source.profile.supports:
        yield "convention", support.convention
        areas = support.areas or tuple(taxonomy().conventions[support.convention].areas)
        for area in areas:
            yield "area", f"{support.convention}/{area}"
    for centre in source.profile.regional_focus or (WORLDWIDE,):
        yield "region", centre


Group = tuple[str, str, str, str]
"""dimension, key, kind, and the currency or unit its figures are counted in."""


def capacity_rows(
    sources: list[Source],
    today: date,
    currency: str | None,
    unit: str | None = None,
    names: Names = ENGLISH,
    centres: Mapping[str, RegionalCentre] | None = None,
) -> list[CapacityRow]:
    sums: dict[Group, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    counted: dict[Group, set[UUID]] = defaultdict(set)
    for source in sources:
        windows = [w for w in source.windows if w.closes >= today]
        for window in windows:
            if (currency is not None and window.currency != currency) or (
                unit is not None and window.unit != unit
            ):
                continue
            for dimension, key in dimensions(source):
                row = (dimension, key, window.kind.value, window.measure)
                counted[row].add(source.id)
                sums[row]["windows"] += 1
                for name in AMOUNTS:
                    sums[row][name] += getattr(window, name)
    return [
        CapacityRow(
            dimension=d,
            key=k,
            key_name=names.of_key(d, k, centres or {}),
            kind=WindowKind(kind),
            currency=measure if kind == WindowKind.MONEY else None,
            unit=None if kind == WindowKind.MONEY else measure,
            unit_name=None if kind == WindowKind.MONEY else names.unit(measure),
            sources=len(counted[(d, k, kind, measure)]),
            windows=int(values["windows"]),
            **{name: values[name] for name in AMOUNTS},
        )
        for (d, k, kind, measure), values in sorted(sums.items())
    ]


@router.get(
    "/capacity",
    response_model=list[CapacityRow],
    summary="Capacity, commitments and what is available, by convention, area and region",
)
async def capacity(
    uow: UnitOfWorkDep,
    principal: PrincipalDep,
    names: NamesDep,
    currency: Annotated[str | None, Query(pattern=r"^[A-Z]{3}$", description="ISO 4217")] = None,
    unit: Annotated[
        str | None, Query(pattern=r"^[a-z][a-z-]*$", description="An in-kind unit")
    ] = None,
    format: Format = "json",
) -> Any:
    """Money per currency, help in kind per unit: each row counts in one currency or one unit."""
    active = SourceFilter(statuses=frozenset({SourceStatus.ACTIVE.value}))
    sources = await SourceRepository(uow).all_matching(active)
    rows = capacity_rows(sources, clock.now().date(), currency, unit, names, uow.network.centres)
    return answer(rows, CapacityRow, format, names)


class UnansweredSource(BaseModel):
    source_id: UUID
    name: str
    donor: str = Field(description="The donor the source names, which holds no key.")


@router.get(
    "/unanswered-sources",
    response_model=list[UnansweredSource],
    summary="Active sources whose donor holds no key: nobody answers them, so none is proposed",
)
async def unanswered_sources(
    uow: UnitOfWorkDep, principal: PrincipalDep, format: Format = "json"
) -> Any:
    """A source without a donor is answered by the secretariat; one whose donor holds no key
    that is not revoked has nobody to answer, and matching proposes none of its windows until
    the donor is given a key (or the source is edited to name another)."""
    parties = await parties_with_keys(uow.session, TABLES.api_keys)
    active = SourceFilter(statuses=frozenset({SourceStatus.ACTIVE.value}))
    rows = [
        UnansweredSource(source_id=s.id, name=s.profile.name, donor=s.profile.donor)
        for s in await SourceRepository(uow).all_matching(active)
        if s.profile.donor is not None and s.profile.donor not in parties
    ]
    return answer(rows, UnansweredSource, format)
