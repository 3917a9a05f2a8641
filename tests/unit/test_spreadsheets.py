"""Every CSV export is HXL: each column has its hashtag from the one table, and libhxl reads it."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, get_args, get_origin
from uuid import uuid4

import hxl
import pytest
from pydantic import BaseModel

from services.inventory.api.reports import CapacityRow, UnansweredSource
from services.inventory.api.schemas import EntryLine, SourceLine
from services.notifications.api.indicators import (
    IndicatorLine,
    NeedsLine,
    PendingLine,
    StateReportOut,
)
from services.notifications.api.schemas import NotificationLine
from services.requests.api.reports import Count, DeadlineAtRisk, StatesForObligation
from services.requests.api.schemas import RequestLine
from shared.reports import HXL, csv_text

KINDS: list[type[BaseModel]] = [
    Count,
    StatesForObligation,
    DeadlineAtRisk,
    CapacityRow,
    UnansweredSource,
    RequestLine,
    SourceLine,
    EntryLine,
    NotificationLine,
    IndicatorLine,
    PendingLine,
    NeedsLine,
    StateReportOut,
]


def _example(annotation: Any, name: str) -> Any:
    """A plausible value of a field's type."""
    if get_origin(annotation) is list:
        return [_example(get_args(annotation)[0], name), _example(get_args(annotation)[0], name)]
    args = [a for a in get_args(annotation) if a is not type(None)]
    if args:
        return _example(args[0], name)
    if annotation is int:
        return 3
    if annotation is Decimal:
        return Decimal("1250.50")
    if annotation is datetime:
        return datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    if annotation is date:
        return date(2027, 3, 1)
    if isinstance(annotation, type) and issubclass(annotation, str) and annotation is not str:
        return next(iter(annotation.__members__.values()))  # an enum of strings
    if str(annotation) == "<class 'uuid.UUID'>":
        return uuid4()
    return f"{name} value"


def _rows(model: type[BaseModel], count: int = 2) -> list[BaseModel]:
    return [
        model.model_construct(
            **{n: _example(f.annotation, n) for n, f in model.model_fields.items()}
        )
        for _ in range(count)
    ]


def read_hxl(text: str) -> tuple[Any, list[Any]]:
    """The dataset libhxl reads from a CSV answer, and its rows (the file libhxl opens itself it
    leaves to the garbage collector, so it reads from an open file here)."""
    with io.BytesIO(text.encode("utf-8")) as file:
        data = hxl.data(file)
        return data, list(data)


@pytest.mark.parametrize("model", KINDS, ids=[k.__name__ for k in KINDS])
def test_every_column_has_a_hashtag(model: type[BaseModel]) -> None:
    assert [c for c in model.model_fields if c not in HXL] == []


def test_one_hashtag_means_one_column() -> None:
    """Two columns of one export never share a hashtag, so a tool can tell them apart."""
    for model in KINDS:
        tags = [HXL[c] for c in model.model_fields]
        assert len(tags) == len(set(tags)), model.__name__


@pytest.mark.parametrize("model", KINDS, ids=[k.__name__ for k in KINDS])
def test_libhxl_reads_every_kind(model: type[BaseModel]) -> None:
    data, rows = read_hxl(csv_text(_rows(model), model))

    assert [c.get_display_tag(sort_attributes=True) for c in data.columns] == [
        hxl.model.Column.parse(HXL[c]).get_display_tag(sort_attributes=True)
        for c in model.model_fields
    ]
    assert [c.header for c in data.columns] == list(model.model_fields)
    assert len(rows) == 2
    assert rows[0].get(HXL[next(iter(model.model_fields))]) is not None


def test_names_sit_beside_codes_and_lists_are_joined() -> None:
    row = StatesForObligation(
        convention="CCM",
        convention_name="Convention on Cluster Munitions",
        area="victim-assistance",
        area_name="Assistance to cluster munition victims (Article 5)",
        states=["FRA", "MAR"],
        state_names=["France", "Maroc"],
    )

    lines = list(csv.reader(io.StringIO(csv_text([row], StatesForObligation))))

    assert lines[0] == [
        "convention",
        "convention_name",
        "area",
        "area_name",
        "states",
        "state_names",
    ]
    assert lines[1][0] == "#sector+code"
    assert lines[2][4:] == ["FRA; MAR", "France; Maroc"]
