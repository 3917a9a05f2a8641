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
from collections.abc import Callable, Iterator, Sequence
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


def _no_more(name: str) -> bool:
    return False


@dataclass(frozen=True)
class Layout:
    """The columns of one kind of file: the template's, in order, and the further ones a file
    may carry (`also`: more numbered groups than the template offers, for instance)."""

    title: str
    """What the rows are (`requests`, `sources`): the template's file and first sheet."""
    columns: Sequence[Column]
    also: Callable[[str], bool] = field(default=_no_more)

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def knows(self, name: str) -> bool:
        return name in {c.name for c in self.columns} or self.also(name)


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


def schema_errors(
    number: int, error: ValidationError, column_of: Callable[[tuple[Any, ...]], str | None]
) -> list[RowError]:
    """A row's schema errors, each in the column `column_of` finds for its location."""
    return [
        RowError(
            number, column_of(tuple(e["loc"])), e["type"], e["msg"].removeprefix("Value error, ")
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
