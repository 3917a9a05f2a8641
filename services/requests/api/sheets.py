"""Requests as spreadsheet rows: the template's columns, reading a CSV or XLSX file into rows,
and each row validated as the body of a single `POST /v1/requests` (the same `NewRequest`).

A row is the create schema flattened: one column per simple field; `areas` and
`assistance_types` as lists separated by `;`; `amount_value` and `amount_currency` for the money
asked; `contact_<field>` for the contact point; and numbered groups of columns for the lists of
objects: `evidence_<n>_<field>` and `in_kind_<n>_<field>`, n = 1, 2, ... A group whose cells are
all empty is no entry. Rows are numbered as a spreadsheet shows them: the header is row 1.

Nothing here does I/O: parsing is CPU work that the route runs in a worker thread.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pydantic import ValidationError

from services.requests.api.schemas import NewRequest
from services.requests.app.bulk import DraftRow, RowError
from services.requests.domain.model import NeedRefused, Urgency
from shared.taxonomy import taxonomy

CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MEDIA_TYPES = {"csv": CSV, "xlsx": XLSX}
LIST_SEPARATOR = ";"
MAX_COLUMNS = 300
TEMPLATE_GROUPS = 3
"""How many evidence and in-kind groups the template offers; a file may add more."""


@dataclass(frozen=True)
class Column:
    name: str
    required: bool
    description: str


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
        Column("contact_name", True, "The contact point's name."),
        Column("contact_email", True, "The contact point's e-mail address."),
        Column("contact_phone", False, "The contact point's phone number."),
        Column("contact_organisation", False, "The contact point's organisation."),
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
GROUPS = {"evidence": EVIDENCE_FIELDS, "in_kind": IN_KIND_FIELDS}
GROUP_COLUMN = re.compile(r"^(evidence|in_kind)_([1-9][0-9]{0,2})_([a-z]+)$")


def columns(groups: int = TEMPLATE_GROUPS) -> list[Column]:
    """The template's columns, in order, each with whether it is required and what it holds."""
    units = ", ".join(taxonomy().in_kind_units)
    grouped = [
        Column(
            f"{group}_{n}_{name}",
            False,
            f"{group.replace('_', ' ')} {n}: " + text.format(units=units),
        )
        for group, fields in GROUPS.items()
        for n in range(1, groups + 1)
        for name, text in fields.items()
    ]
    return [*_simple_columns(), *grouped]


SIMPLE = {c.name for c in _simple_columns()}
REQUIRED = [c.name for c in _simple_columns() if c.required]


class TooLarge(Exception):
    """The file is beyond a limit: a 413 naming it."""

    def __init__(self, message: str, limit: str) -> None:
        super().__init__(message)
        self.limit = limit


class Unreadable(Exception):
    """The file is not a CSV or XLSX file that can be read, or its header is wrong."""

    def __init__(self, errors: Sequence[RowError]) -> None:
        super().__init__("; ".join(e.message for e in errors))
        self.errors = list(errors)


@dataclass(frozen=True)
class Row:
    """One data row: its number and its cells by column (empty cells left out)."""

    number: int
    cells: dict[str, str]


# Reading ------------------------------------------------------------------------------------


def read_rows(content: bytes, media_type: str, max_rows: int) -> list[Row]:
    """The file's non-empty data rows; `TooLarge` past `max_rows`, `Unreadable` when the file or
    its header is wrong. Reads no further than one row past the limit."""
    raw = _csv_rows(content) if media_type == CSV else _xlsx_rows(content)
    header = _header(next(raw, None))
    rows: list[Row] = []
    for number, values in enumerate(raw, start=2):
        cells = {
            name: text
            for name, value in zip(header, values, strict=False)
            if name and (text := _text(value))
        }
        if any(_text(v) for v in values[len(header) :]):
            cells[""] = "beyond the last column"
        if not cells:
            continue  # a blank line between rows is no request
        if len(rows) == max_rows:
            raise TooLarge(f"The file has more than {max_rows} rows.", "rows")
        rows.append(Row(number, cells))
    return rows


def _csv_rows(content: bytes) -> Iterator[Sequence[Any]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise Unreadable(
            [RowError(None, None, "encoding", f"A CSV file must be UTF-8: {error.reason}.")]
        ) from None
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","  # Excel in many locales
    try:
        yield from csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    except csv.Error as error:
        raise Unreadable(
            [RowError(None, None, "csv", f"Not a readable CSV file: {error}.")]
        ) from None


def _xlsx_rows(content: bytes) -> Iterator[Sequence[Any]]:
    from openpyxl import load_workbook  # only an upload of a spreadsheet loads it

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a file that is no workbook
        raise Unreadable(
            [RowError(None, None, "xlsx", f"Not a readable XLSX file: {type(error).__name__}.")]
        ) from None
    try:
        sheet = workbook.worksheets[0]
        yield from sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS + 1)
    finally:
        workbook.close()


def _header(values: Sequence[Any] | None) -> list[str]:
    if values is None:
        raise Unreadable([RowError(1, None, "missing-header", "The file is empty: no header.")])
    names = [_text(v).lower().replace(" ", "_") for v in values]
    while names and not names[-1]:
        names.pop()
    errors: list[RowError] = []
    if len(names) > MAX_COLUMNS:
        raise TooLarge(f"The file has more than {MAX_COLUMNS} columns.", "columns")
    seen: set[str] = set()
    for name in names:
        if not name:
            errors.append(RowError(1, None, "unnamed-column", "A column has no name."))
        elif name in seen:
            errors.append(RowError(1, name, "duplicate-column", f"{name} appears twice."))
        elif name not in SIMPLE and not _group_column(name):
            errors.append(
                RowError(1, name, "unknown-column", f"{name} is not a column of the template.")
            )
        seen.add(name)
    errors += [
        RowError(1, name, "missing-column", f"The required column {name} is missing.")
        for name in REQUIRED
        if name not in seen
    ]
    if errors:
        raise Unreadable(errors)
    return names


def _group_column(name: str) -> bool:
    match = GROUP_COLUMN.match(name)
    return match is not None and match.group(3) in GROUPS[match.group(1)]


def _text(value: Any) -> str:
    """A cell as text: dates ISO 8601, whole numbers without a decimal point."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


# Validating ---------------------------------------------------------------------------------


def body_of(row: Row) -> tuple[dict[str, Any], dict[str, list[int]]]:
    """The JSON body a single POST would take for the row, and for each group the numbers of
    its columns the body's list entries came from (to name a column in an error)."""
    body: dict[str, Any] = {}
    groups: dict[str, dict[int, dict[str, str]]] = {"evidence": {}, "in_kind": {}}
    for name, value in row.cells.items():
        if match := GROUP_COLUMN.match(name):
            group, n, field = match.group(1), int(match.group(2)), match.group(3)
            groups[group].setdefault(n, {})[field] = value
        elif name in ("areas", "assistance_types"):
            body[name] = [part.strip() for part in value.split(LIST_SEPARATOR) if part.strip()]
        elif name.startswith("amount_"):
            body.setdefault("amount", {})[name.removeprefix("amount_")] = value
        elif name.startswith("contact_"):
            body.setdefault("contact", {})[name.removeprefix("contact_")] = value
        elif name:
            body[name] = value
    numbers: dict[str, list[int]] = {}
    for group, entries in groups.items():
        numbers[group] = sorted(entries)
        if entries:
            body[group] = [entries[n] for n in numbers[group]]
    return body, numbers


def validate_row(row: Row) -> DraftRow | list[RowError]:
    """The row validated exactly as the body of a single POST: the same schema, the same rules
    of the need; or its errors, each naming its column."""
    if "" in row.cells:
        return [RowError(row.number, None, "extra-cell", "A cell lies beyond the last column.")]
    body, numbers = body_of(row)
    try:
        request = NewRequest.model_validate(body)
        return DraftRow(row.number, request.state, request.to_need())
    except ValidationError as error:
        return [
            RowError(
                row.number,
                column_of(tuple(e["loc"]), numbers),
                e["type"],
                e["msg"].removeprefix("Value error, "),
            )
            for e in error.errors()
        ]
    except NeedRefused as error:
        return [RowError(row.number, error.field, error.rule or "need", str(error))]


def column_of(loc: tuple[Any, ...], numbers: dict[str, list[int]]) -> str | None:
    """The column a field of the body came from: ('evidence', 0, 'kind') is evidence_<n>_kind
    for the n of the first evidence group the row fills."""
    if not loc:
        return None
    first = str(loc[0])
    if first in GROUPS:
        if len(loc) >= 3 and isinstance(loc[1], int) and loc[1] < len(numbers[first]):
            return f"{first}_{numbers[first][loc[1]]}_{loc[2]}"
        return first
    if first == "amount":
        return f"amount_{loc[1]}" if len(loc) > 1 else "amount_value"
    if first == "contact":
        return f"contact_{loc[1]}" if len(loc) > 1 else "contact_name"
    return first


def validate_rows(rows: Sequence[Row]) -> tuple[list[DraftRow], list[RowError]]:
    """The rows that pass, and the errors of those that do not."""
    valid: list[DraftRow] = []
    errors: list[RowError] = []
    for row in rows:
        result = validate_row(row)
        if isinstance(result, DraftRow):
            valid.append(result)
        else:
            errors += result
    return valid, errors


# The template -------------------------------------------------------------------------------


def csv_template() -> bytes:
    out = io.StringIO()
    csv.writer(out).writerow(c.name for c in columns())
    return out.getvalue().encode()


def xlsx_template() -> bytes:
    """The columns on the first sheet, to fill in; what each holds on a second one."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "requests"
    sheet.append([c.name for c in columns()])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.number_format = "@"
    sheet.freeze_panes = "A2"
    guide = workbook.create_sheet("columns")
    guide.append(["column", "required", "what it holds"])
    for column in columns():
        guide.append([column.name, "yes" if column.required else "no", column.description])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
