"""Rows of a file of sources as bodies of a single POST, and errors named by row and column."""

from __future__ import annotations

import csv
import io

from services.inventory.api import sheets
from services.inventory.api.schemas import SourceIn
from services.inventory.api.sheets import SourceRow
from shared import sheets as kernel
from shared.sheets import CSV, XLSX, Row, RowError
from tests.inventory_factories import in_kind_window_body, source_body, source_row
from tests.sheets import csv_file


def test_the_template_round_trips_to_the_body_of_a_single_post() -> None:
    header = next(csv.reader(io.StringIO(kernel.csv_template(sheets.LAYOUT).decode())))
    experts = in_kind_window_body()
    row = source_row(
        windows_2_opens=experts["opens"],
        windows_2_closes=experts["closes"],
        windows_2_unit="expert-days",
        windows_2_capacity="400",
    )

    [read] = kernel.read_rows(csv_file([row], header=header), CSV, 10, sheets.LAYOUT)
    result = sheets.validate_row(read)

    assert isinstance(result, SourceRow)
    single_post = source_body(windows=[source_body()["windows"][0], experts])
    assert result.body == SourceIn.model_validate(single_post)
    assert [w.unit for w in result.body.windows] == [None, "expert-days"]


def test_the_xlsx_template_names_and_explains_every_column() -> None:
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(kernel.xlsx_template(sheets.LAYOUT)))
    names = [c.value for c in workbook["sources"][1]]
    explained = [r[0].value for r in workbook["columns"].iter_rows(min_row=2)]

    assert names == explained == [c.name for c in sheets.LAYOUT.columns]
    assert {"supports_3_areas", "windows_2_unit", "eligibility_states"} <= set(names)
    assert set(sheets.LAYOUT.required) == {
        "kind",
        "name",
        "assistance_types",
        "contact_name",
        "contact_email",
    }
    assert XLSX.endswith("sheet")


def test_an_error_names_the_column_of_its_window_group() -> None:
    row = Row(7, source_row(windows_1_capacity=None, windows_3_opens="2027-01-01"))

    errors = sheets.validate_row(row)

    assert errors == [
        RowError(7, "windows_1_capacity", "missing", "Field required"),
        RowError(7, "windows_3_closes", "missing", "Field required"),
        RowError(7, "windows_3_capacity", "missing", "Field required"),
    ]


def test_a_registration_rules_field_is_told_in_its_column() -> None:
    valid = sheets.validate_row(Row(3, source_row()))

    assert isinstance(valid, SourceRow)
    assert valid.column_of("windows.0.closes") == "windows_1_closes"
    assert valid.column_of("eligibility.regions") == "eligibility_regions"
    assert valid.column_of("donor") == "donor"
