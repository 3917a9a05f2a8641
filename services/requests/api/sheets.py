"""Requests as spreadsheet rows: the template's columns, and each row validated as the body of a
single `POST /v1/requests` (the same `NewRequest`). Reading files is `shared.sheets`'.

A row is the create schema flattened: one column per simple field; `areas` and
`assistance_types` as lists separated by `;`; `amount_value` and `amount_currency` for the money
asked; `contact_<field>` for the contact point; and numbered groups of columns for the lists of
objects: `evidence_<n>_<field>` and `in_kind_<n>_<field>`, n = 1, 2, ... A group whose cells are
all empty is no entry. Rows are numbered as a spreadsheet shows them: the header is row 1.

Nothing here does I/O: parsing is CPU work that the route runs in a worker thread.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from services.requests.api.schemas import NewRequest
from services.requests.app.bulk import DraftRow
from services.requests.domain.model import NeedRefused, Urgency
from shared import sheets
from shared.sheets import CSV, XLSX, Column, Row, RowError, TooLarge, Unreadable
from shared.taxonomy import taxonomy

__all__ = ["CSV", "XLSX", "Row", "TooLarge", "Unreadable"]
"""What reading a file of requests answers and raises, for its callers (`shared.sheets`)."""

TEMPLATE_GROUPS = 3
"""How many evidence and in-kind groups the template offers; a file may add more."""


def _simple_columns() -> list[Column]:
    kinds = ", ".join(taxonomy().assistance_types)
    conventions = ", ".join(taxonomy().conventions)
    urgencies = ", ".join(u.value for u in Urgency)
    return [
        Column("state", True, "ISO 3166-1 alpha-3 code of the state asking, e.g. LAO."),
        Column("convention", True, f"The convention: one of {conventions}."),
        Column("areas", True, "Thematic areas of the convention, separated by ';'."),
        Column("assistance_types", True, f"Separated by ';': {kinds}."),
        Column("title", True, "3 to 300 characters."),
        Column("description", True, "What is asked, up to 10,000 characters."),
        Column("amount_value", False, "Money asked, e.g. 1500000.00; empty: no money."),
        Column("amount_currency", False, "ISO 4217 code of the money asked, e.g. USD."),
        Column("deadline", True, "The date that matters, YYYY-MM-DD, in the future."),
        Column("deadline_reason", False, "Why that date, e.g. the Article 4 deadline."),
        Column("urgency", False, f"One of {urgencies}; empty: medium."),
        *sheets.CONTACT_COLUMNS,
    ]


EVIDENCE_FIELDS = {
    "kind": "The kind of evidence, e.g. survey.",
    "description": "What it shows.",
    "reference": "A link or document symbol.",
    "date": "Its date, YYYY-MM-DD.",
}
IN_KIND_FIELDS = {
    "unit": "An in-kind unit of the taxonomy: {units}.",
    "quantity": "How many of the unit, e.g. 120.",
    "description": "What exactly: the expertise, the course, the equipment, the service.",
}


def _layout(groups: int) -> sheets.Layout:
    units = ", ".join(taxonomy().in_kind_units)
    in_kind = {name: text.format(units=units) for name, text in IN_KIND_FIELDS.items()}
    return sheets.Layout(
        "requests",
        _simple_columns(),
        groups=(
            sheets.Group("evidence", EVIDENCE_FIELDS, offered=groups),
            sheets.Group("in_kind", in_kind, offered=groups),
        ),
        lists=frozenset({"areas", "assistance_types"}),
        objects={"amount": "amount_value", "contact": "contact_name"},
    )


LAYOUT = _layout(TEMPLATE_GROUPS)
REQUIRED = LAYOUT.required


def columns(groups: int = TEMPLATE_GROUPS) -> list[Column]:
    """The template's columns, in order, each with whether it is required and what it holds."""
    return _layout(groups).columns


# Validating ---------------------------------------------------------------------------------


def body_of(row: Row) -> tuple[dict[str, Any], sheets.Numbers]:
    """The JSON body a single POST would take for the row, and for each group the numbers of
    its columns the body's list entries came from (to name a column in an error)."""
    return sheets.body_of(row, LAYOUT)


def validate_row(row: Row) -> DraftRow | list[RowError]:
    """The row validated exactly as the body of a single POST: the same schema, the same rules
    of the need; or its errors, each naming its column."""
    if extra := sheets.extra_cell(row):
        return extra
    body, numbers = body_of(row)
    try:
        request = NewRequest.model_validate(body)
        return DraftRow(row.number, request.state, request.to_need())
    except ValidationError as error:
        return sheets.schema_errors(row.number, error, numbers, LAYOUT)
    except NeedRefused as error:
        return [RowError(row.number, error.field, error.rule or "need", str(error))]


def validate_rows(rows: Sequence[Row]) -> tuple[list[DraftRow], list[RowError]]:
    """The rows that pass, and the errors of those that do not."""
    return sheets.validate_rows(rows, validate_row)


def read_rows(content: bytes, media_type: str, max_rows: int) -> list[Row]:
    """The file's non-empty rows of requests (`shared.sheets.read_rows`)."""
    return sheets.read_rows(content, media_type, max_rows, LAYOUT)


# The template -------------------------------------------------------------------------------


def csv_template() -> bytes:
    return sheets.csv_template(LAYOUT)


def xlsx_template() -> bytes:
    """The columns on the first sheet, to fill in; what each holds on a second one."""
    return sheets.xlsx_template(LAYOUT)
