"""Files of many rows, each row the body of one single write: the template of a kind of file,
reading a CSV or XLSX file into rows, and the problems of a file by row and column.

A service describes its kind of file by a `Layout` (its template's columns, and which further
columns a file may add); its own module turns a row into the body of its single `POST` and
validates it with the same schema. Rows are numbered as a spreadsheet shows them: the header is
row 1. Cells are text: dates ISO 8601, whole numbers without a decimal point; lists are separated
by `;`.

Nothing here does I/O: parsing is CPU work that the routes run in a worker thread.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar

from pydantic import ValidationError

CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MEDIA_TYPES = {"csv": CSV, "xlsx": XLSX}
LIST_SEPARATOR = ";"
MAX_COLUMNS = 300

T = TypeVar("T")


@dataclass(frozen=True)
class Column:
    name: str
    required: bool
    description: str


CONTACT_COLUMNS = (
    Column("contact_name", True, "The contact point's name."),
    Column("contact_email", True, "The contact point's e-mail address."),
    Column("contact_phone", False, "The contact point's phone number."),
    Column("contact_organisation", False, "The contact point's organisation."),
)
"""The contact point (`shared.schemas.ContactIn`) as the columns `contact_<field>`."""


@dataclass(frozen=True)
class Group:
    """A list of objects of the body as numbered groups of columns, `<name>_<n>_<field>` for
    n = 1, 2, ...: the template offers `offered` of them, a file may add more. A group whose
    cells are all empty is no entry."""

    name: str
    """The body's list field, and the columns' prefix."""
    fields: Mapping[str, str]
    """Each field of an entry, and what its column holds."""
    lists: frozenset[str] = frozenset()
    """The fields whose cells are lists."""
    offered: int = 3

    def columns(self) -> list[Column]:
        return [
            Column(f"{self.name}_{n}_{key}", False, f"{self.name.replace('_', ' ')} {n}: {text}")
            for n in range(1, self.offered + 1)
            for key, text in self.fields.items()
        ]

    def entry_field(self, column: str) -> tuple[int, str] | None:
        """The number and field of one of the group's columns; None for another column."""
        match = GROUP_COLUMN.match(column.removeprefix(f"{self.name}_"))
        if not column.startswith(f"{self.name}_") or match is None:
            return None
        number, key = int(match.group(1)), match.group(2)
        return (number, key) if key in self.fields else None


GROUP_COLUMN = re.compile(r"^([1-9][0-9]{0,2})_([a-z_]+)$")


@dataclass(frozen=True)
class Layout:
    """One kind of file: the body of a single write, flattened. A plain column per simple field
    (`lists` hold several values separated by `;`); `<object>_<field>` for the fields of an
    object of the body (`objects` names each, with the column an error about the whole object
    is put in); and numbered groups of columns for its lists of objects (`groups`)."""

    title: str
    """What the rows are (`requests`, `sources`): the template's file and first sheet."""
    simple: Sequence[Column]
    groups: Sequence[Group] = ()
    lists: frozenset[str] = frozenset()
    objects: Mapping[str, str] = field(default_factory=dict)

    @property
    def columns(self) -> list[Column]:
        """The template's columns, in order: the simple ones, then every group's."""
        return [*self.simple, *(c for group in self.groups for c in group.columns())]

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.simple if c.required]

    def knows(self, name: str) -> bool:
        return name in {c.name for c in self.simple} or self.group_of(name) is not None

    def group_of(self, column: str) -> tuple[Group, int, str] | None:
        """The group, number and field of a grouped column; None for a simple one."""
        for group in self.groups:
            if (found := group.entry_field(column)) is not None:
                return group, *found
        return None


@dataclass(frozen=True)
class RowError:
    """One problem of a file: the row (1 is the header) and the column it is in, if known."""

    row: int | None
    column: str | None
    rule: str
    message: str

    def as_json(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "rule": self.rule, "message": self.message}


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


def read_rows(content: bytes, media_type: str, max_rows: int, layout: Layout) -> list[Row]:
    """The file's non-empty data rows; `TooLarge` past `max_rows`, `Unreadable` when the file or
    its header is wrong. Reads no further than one row past the limit."""
    raw = _csv_rows(content) if media_type == CSV else _xlsx_rows(content)
    header = _header(next(raw, None), layout)
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
            continue  # a blank line between rows is no row
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


def _header(values: Sequence[Any] | None, layout: Layout) -> list[str]:
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
        elif not layout.knows(name):
            errors.append(
                RowError(1, name, "unknown-column", f"{name} is not a column of the template.")
            )
        seen.add(name)
    errors += [
        RowError(1, name, "missing-column", f"The required column {name} is missing.")
        for name in layout.required
        if name not in seen
    ]
    if errors:
        raise Unreadable(errors)
    return names


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


def listed(cell: str) -> list[str]:
    """A cell holding a list: its parts separated by `;`, blanks dropped."""
    return [part.strip() for part in cell.split(LIST_SEPARATOR) if part.strip()]


Numbers = dict[str, list[int]]
"""For each group, the numbers of its columns that a body's list entries came from, in order:
what names the column of an error."""


def body_of(row: Row, layout: Layout) -> tuple[dict[str, Any], Numbers]:
    """The JSON body a single write would take for the row, and the numbers of its groups."""
    body: dict[str, Any] = {}
    entries: dict[str, dict[int, dict[str, Any]]] = {g.name: {} for g in layout.groups}
    for name, value in row.cells.items():
        if (grouped := layout.group_of(name)) is not None:
            group, number, field_ = grouped
            cell = listed(value) if field_ in group.lists else value
            entries[group.name].setdefault(number, {})[field_] = cell
            continue
        if not name:
            continue  # a cell beyond the last column: `extra_cell`
        cell = listed(value) if name in layout.lists else value
        owner = next((o for o in layout.objects if name.startswith(f"{o}_")), None)
        if owner is None:
            body[name] = cell
        else:
            body.setdefault(owner, {})[name.removeprefix(f"{owner}_")] = cell
    numbers: Numbers = {}
    for name, found in entries.items():
        numbers[name] = sorted(found)
        if found:
            body[name] = [found[n] for n in numbers[name]]
    return body, numbers


def column_of(loc: Sequence[Any], numbers: Numbers, layout: Layout) -> str | None:
    """The column a field of the body came from: ('evidence', 0, 'kind') is evidence_<n>_kind
    for the n of the first evidence group the row fills; ('contact', 'email') contact_email."""
    if not loc:
        return None
    first = str(loc[0])
    if first in numbers:
        if len(loc) >= 3 and isinstance(loc[1], int) and loc[1] < len(numbers[first]):
            return f"{first}_{numbers[first][loc[1]]}_{loc[2]}"
        return first
    if first in layout.objects:
        return f"{first}_{loc[1]}" if len(loc) > 1 else layout.objects[first]
    return first


def column_of_field(field_: str, numbers: Numbers, layout: Layout) -> str | None:
    """The column of a domain rule's dotted field, e.g. `windows.0.closes`."""
    loc = [int(part) if part.isdigit() else part for part in field_.split(".")]
    return column_of(loc, numbers, layout)


def schema_errors(
    number: int, error: ValidationError, numbers: Numbers, layout: Layout
) -> list[RowError]:
    """A row's schema errors, each in the column its location came from."""
    return [
        RowError(
            number,
            column_of(e["loc"], numbers, layout),
            e["type"],
            e["msg"].removeprefix("Value error, "),
        )
        for e in error.errors()
    ]


def extra_cell(row: Row) -> list[RowError]:
    """The error of a row with a cell beyond the header's last column, if it has one."""
    if "" in row.cells:
        return [RowError(row.number, None, "extra-cell", "A cell lies beyond the last column.")]
    return []


def validate_rows(
    rows: Sequence[Row], validate_row: Callable[[Row], T | list[RowError]]
) -> tuple[list[T], list[RowError]]:
    """The rows that pass `validate_row`, and the errors of those that do not."""
    valid: list[T] = []
    errors: list[RowError] = []
    for row in rows:
        result = validate_row(row)
        if isinstance(result, list):
            errors += result
        else:
            valid.append(result)
    return valid, errors


# The template -------------------------------------------------------------------------------


def csv_template(layout: Layout) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerow(c.name for c in layout.columns)
    return out.getvalue().encode()


def xlsx_template(layout: Layout) -> bytes:
    """The columns on the first sheet, to fill in; what each holds on a second one."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = layout.title
    sheet.append([c.name for c in layout.columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.number_format = "@"
    sheet.freeze_panes = "A2"
    guide = workbook.create_sheet("columns")
    guide.append(["column", "required", "what it holds"])
    for column in layout.columns:
        guide.append([column.name, "yes" if column.required else "no", column.description])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
