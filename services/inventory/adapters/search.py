"""What a search for sources can ask, as SQL conditions on the sources table.

A requesting state asks the questions of the Stockholm network's function (b): which sources
support my convention and area, give the assistance I need, may assist my state, have a window
open now or before my deadline, and still have enough available.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, exists, false, or_, true
from sqlmodel import col

from services.inventory.adapters.tables import SourceRow, WindowRow
from shared.eligibility import EligibilityRule, is_developing
from shared.geography import RegionalNetwork, countries


@dataclass(frozen=True)
class EligibleState:
    """A state as the eligibility rules see it."""

    state: str
    centre: str | None
    income_group: str | None
    developing: bool

    @classmethod
    def of(cls, state: str, network: RegionalNetwork) -> EligibleState:
        centre = network.centre_of(state)
        country = countries().get(state)
        return cls(
            state=state,
            centre=centre.id if centre else None,
            income_group=country.income_group if country else None,
            developing=is_developing(state),
        )


@dataclass(frozen=True)
class WindowFilter:
    """A window that has not closed by `today` and meets every other criterion given."""

    today: date
    open_until: date | None = None  # open on some day from today to this one
    currency: str | None = None
    available: Decimal | None = None  # at least this much left
    unit: str | None = None  # help in kind in this unit


@dataclass(frozen=True)
class SourceFilter:
    """What a list of sources may be narrowed to; None means any."""

    statuses: frozenset[str] | None = None
    kind: str | None = None
    donor: str | None = None
    convention: str | None = None
    area_keys: frozenset[str] | None = None  # any of these (see store.area_keys)
    assistance_type: str | None = None
    region: str | None = None
    eligible: EligibleState | None = None
    window: WindowFilter | None = None
    grant: Decimal | None = None  # a grant of this amount is within the source's limits
    max_cofinancing: Decimal | None = None
    language: str | None = None


def conditions(where: SourceFilter) -> list[Any]:
    s = SourceRow
    found: list[Any] = []
    if where.statuses is not None:
        found.append(col(s.status).in_(where.statuses))
    for column, value in ((s.kind, where.kind), (s.donor, where.donor)):
        if value is not None:
            found.append(col(column) == value)
    for array, value in (
        (s.conventions, where.convention),
        (s.assistance_types, where.assistance_type),
        (s.regional_focus, where.region),
    ):
        if value is not None:
            found.append(col(array).contains([value]))
    if where.area_keys is not None:
        found.append(col(s.area_keys).op("&&")(sorted(where.area_keys)))
    if where.eligible is not None:
        found.append(eligible_for(where.eligible))
    if where.window is not None:
        found.append(_has_window(where.window))
    found += _requirements(where)
    return found


def eligible_for(state: EligibleState) -> Any:
    """The rule of `shared.eligibility.is_eligible`, in SQL; a test keeps the two in step."""
    s, rule = SourceRow, col(SourceRow.eligibility_rule)
    by_centre = col(s.eligible_regions).contains([state.centre]) if state.centre else false()
    by_income = (
        col(s.eligible_income_groups).contains([state.income_group])
        if state.income_group
        else false()
    )
    return or_(
        rule == EligibilityRule.ALL.value,
        and_(rule == EligibilityRule.STATES.value, col(s.eligible_states).contains([state.state])),
        and_(rule == EligibilityRule.REGIONS.value, by_centre),
        and_(rule == EligibilityRule.INCOME_GROUPS.value, by_income),
        and_(rule == EligibilityRule.DEVELOPING.value, true() if state.developing else false()),
    )


def _has_window(criteria: WindowFilter) -> Any:
    w = WindowRow
    found = [col(w.source_id) == col(SourceRow.id), col(w.closes) >= criteria.today]
    if criteria.open_until is not None:
        found.append(col(w.opens) <= criteria.open_until)
    if criteria.currency is not None:
        found.append(col(w.currency) == criteria.currency)
    if criteria.unit is not None:
        found.append(col(w.unit) == criteria.unit)
    if criteria.available is not None:
        left = col(w.capacity) - col(w.committed) - col(w.reserved)
        found.append(left >= criteria.available)
    return exists().where(*found)


def _requirements(where: SourceFilter) -> list[Any]:
    s = SourceRow
    found: list[Any] = []
    if where.grant is not None:
        low, high = col(s.min_grant), col(s.max_grant)
        found.append(or_(low.is_(None), low <= where.grant))
        found.append(or_(high.is_(None), high >= where.grant))
    if where.max_cofinancing is not None:
        share = col(s.cofinancing_percent)
        found.append(or_(share.is_(None), share <= where.max_cofinancing))
    if where.language is not None:
        languages = col(s.proposal_languages)
        found.append(or_(languages == [], languages.contains([where.language])))
    return found
