"""Rows of a spreadsheet as bodies of a single POST, and errors named by row and column."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta

import pytest
from openpyxl import Workbook

from services.requests.api import sheets
from services.requests.app.bulk import DraftRow
from shared.sheets import RowError

DEADLINE = (date.today() + timedelta(days=100)).isoformat()
MINIMAL = {
    "state": "LAO",
    "convention": "CCM",
    "areas": "survey-and-clearance",
    "assistance_types": "financial",
    "title": "Clearance",
    "description": "D",
    "deadline": DEADLINE,
    "contact_name": "N",
    "contact_email": "n@example.org",
}


def _csv(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def test_a_row_becomes_the_body_a_single_post_takes() -> None:
    row = sheets.Row(
        2,
        {
            **MINIMAL,
            "areas": "survey-and-clearance; risk-reduction-education ;",
            "amount_value": "10.00",
            "amount_currency": "USD",
            "evidence_2_kind": "survey",
            "evidence_2_description": "NTS",
            "in_kind_1_unit": "expert-days",
            "in_kind_1_quantity": "3",
            "in_kind_1_description": "x",
        },
    )

    body, numbers = sheets.body_of(row)

    assert body["areas"] == ["survey-and-clearance", "risk-reduction-education"]
    assert body["amount"] == {"value": "10.00", "currency": "USD"}
    assert body["contact"] == {"name": "N", "email": "n@example.org"}
    assert body["evidence"] == [{"kind": "survey", "description": "NTS"}]
    assert numbers == {"evidence": [2], "in_kind": [1]}


def test_an_error_names_the_column_of_its_group() -> None:
    row = sheets.Row(5, {**MINIMAL, "evidence_3_kind": "survey"})

    assert sheets.validate_row(row) == [
        RowError(5, "evidence_3_description", "missing", "Field required")
    ]


def test_a_valid_row_is_a_draft_of_its_state() -> None:
    result = sheets.validate_row(sheets.Row(2, dict(MINIMAL)))

    assert isinstance(result, DraftRow)
    assert (result.number, result.state, result.need.urgency.value) == (2, "LAO", "medium")


def test_blank_lines_are_skipped_and_rows_keep_their_spreadsheet_number() -> None:
    header = ",".join(MINIMAL)
    line = ",".join(MINIMAL.values())

    rows = sheets.read_rows(_csv(header, line, ",,,", "", line), sheets.CSV, 10)

    assert [r.number for r in rows] == [2, 5]


def test_semicolons_separate_the_cells_of_a_csv_saved_so() -> None:
    rows = sheets.read_rows(_csv(";".join(MINIMAL), ";".join(MINIMAL.values())), sheets.CSV, 10)

    assert rows[0].cells == MINIMAL


def test_reading_stops_one_row_past_the_limit() -> None:
    line = ",".join(MINIMAL.values())
    content = _csv(",".join(MINIMAL), *[line] * 3)

    with pytest.raises(sheets.TooLarge, match="more than 2 rows"):
        sheets.read_rows(content, sheets.CSV, 2)


def test_a_header_with_a_misspelt_column_is_refused() -> None:
    header = ",".join(MINIMAL).replace("deadline", "dead_line")

    with pytest.raises(sheets.Unreadable) as refused:
        sheets.read_rows(_csv(header), sheets.CSV, 10)

    assert [(e.row, e.column, e.rule) for e in refused.value.errors] == [
        (1, "dead_line", "unknown-column"),
        (1, "deadline", "missing-column"),
    ]


def test_a_cell_beyond_the_last_column_is_an_error() -> None:
    rows = sheets.read_rows(
        _csv(",".join(MINIMAL), ",".join(MINIMAL.values()) + ",surprise"), sheets.CSV, 10
    )

    assert sheets.validate_row(rows[0]) == [
        RowError(2, None, "extra-cell", "A cell lies beyond the last column.")
    ]


def test_a_csv_that_is_not_utf8_is_refused() -> None:
    with pytest.raises(sheets.Unreadable, match="UTF-8"):
        sheets.read_rows("état".encode("latin-1"), sheets.CSV, 10)


def test_typed_xlsx_cells_read_as_text() -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append([*MINIMAL, "amount_value", "amount_currency"])
    values = [*MINIMAL.values(), 1500000, "USD"]
    values[6] = datetime.fromisoformat(DEADLINE)
    sheet.append(values)
    out = io.BytesIO()
    workbook.save(out)

    [row] = sheets.read_rows(out.getvalue(), sheets.XLSX, 10)

    assert row.cells["deadline"] == DEADLINE
    assert row.cells["amount_value"] == "1500000"


def test_the_template_lists_every_column_once_and_the_required_ones_first() -> None:
    names = [c.name for c in sheets.columns()]

    assert len(names) == len(set(names))
    assert set(sheets.REQUIRED) <= set(names)
    assert names[:2] == ["state", "convention"]
    assert "in_kind_3_quantity" in names
    assert sheets.csv_template().decode().strip() == ",".join(names)
