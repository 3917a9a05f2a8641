"""Sources as spreadsheet rows: the template's columns, and each row validated as the body of a
single `POST /v1/sources` (the same `SourceIn`). Reading files is `shared.sheets`'.

One row is one source. The create schema is flattened (`shared.sheets.Layout`): a column per
simple field; the lists (`assistance_types`, `regional_focus`, `eligibility_states`, ...) with
their values separated by `;`; `eligibility_<field>`, `requirements_<field>` and
`contact_<field>` for the fields of those objects; and numbered groups of columns for the
conventions it supports, `supports_<n>_convention` and `supports_<n>_areas`, and for its
windows, `windows_<n>_opens`, `_closes`, `_currency` or `_unit`, and `_capacity`. The template
offers three conventions and two windows (money and help in kind, say); a file may add more.

Nothing here does I/O: parsing is CPU work that the route runs in a worker thread.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError

from services.inventory.api.schemas import SourceIn
from shared import sheets
from shared.eligibility import EligibilityRule
from shared.events.inventory import SourceKind
from shared.sheets import Column, Row, RowError
from shared.taxonomy import taxonomy


def _simple_columns() -> list[Column]:
    kinds = ", ".join(k.value for k in SourceKind)
    types = ", ".join(taxonomy().assistance_types)
    rules = ", ".join(r.value for r in EligibilityRule)
    return [
        Column("kind", True, f"One of {kinds}; a national focal point's: donor-state."),
        Column("name", True, "2 to 300 characters."),
        Column("description", False, "What it offers, up to 10,000 characters."),
        Column(
            "donor",
            False,
            "The party that answers for it: a donor's id, or a state's (e.g. cambodia); "
            "empty: the caller's own party, or none for the secretariat to answer.",
        ),
        Column("home_country", False, "ISO 3166-1 alpha-3 code of its home country."),
        Column("assistance_types", True, f"Separated by ';': {types}."),
        Column("eligibility_rule", False, f"Who is eligible: one of {rules}; empty: all."),
        Column("eligibility_states", False, "For rule states: ISO alpha-3 codes, by ';'."),
        Column("eligibility_regions", False, "For rule regions: regional centre ids, by ';'."),
        Column("eligibility_income_groups", False, "For rule income-groups: by ';'."),
        Column("regional_focus", False, "Regional centre ids, by ';'; empty: worldwide."),
        Column("min_grant", False, "The least it gives one request (money), e.g. 10000.00."),
        Column("max_grant", False, "The most it gives one request (money)."),
        Column("requirements_cofinancing_percent", False, "Share the recipient brings, 0-100."),
        Column("requirements_proposal_languages", False, "ISO 639-1 codes, by ';'; empty: any."),
        Column("requirements_documents", False, "Documents to attach, by ';'."),
        Column("requirements_notes", False, "Other conditions of access."),
        *sheets.CONTACT_COLUMNS,
    ]


SUPPORT_FIELDS = {
    "convention": "A convention it supports: {conventions}.",
    "areas": "Its thematic areas, by ';'; empty: every area of the convention.",
}
WINDOW_FIELDS = {
    "opens": "The day the window opens, YYYY-MM-DD.",
    "closes": "The day it closes, YYYY-MM-DD.",
    "currency": "Money: ISO 4217 code, e.g. USD (then no unit).",
    "unit": "Help in kind: a unit of the taxonomy, {units} (then no currency).",
    "capacity": "What it offers, in the currency or the unit (in kind: at most a million).",
}


def _layout() -> sheets.Layout:
    tax = taxonomy()
    conventions, units = ", ".join(tax.conventions), ", ".join(tax.in_kind_units)
    supports = {k: v.format(conventions=conventions) for k, v in SUPPORT_FIELDS.items()}
    windows = {k: v.format(units=units) for k, v in WINDOW_FIELDS.items()}
    return sheets.Layout(
        "sources",
        _simple_columns(),
        groups=(
            sheets.Group("supports", supports, lists=frozenset({"areas"})),
            sheets.Group("windows", windows, offered=2),
        ),
        lists=frozenset(
            {
                "assistance_types",
                "regional_focus",
                "eligibility_states",
                "eligibility_regions",
                "eligibility_income_groups",
                "requirements_proposal_languages",
                "requirements_documents",
            }
        ),
        objects={
            "eligibility": "eligibility_rule",
            "requirements": "requirements_notes",
            "contact": "contact_name",
        },
    )


LAYOUT = _layout()


@dataclass(frozen=True)
class SourceRow:
    """A row that passed the create schema, and the numbers of its groups (to name a column)."""

    number: int
    body: SourceIn
    numbers: sheets.Numbers

    def column_of(self, field: str) -> str | None:
        """The column of a registration rule's field, e.g. `windows.0.closes`."""
        return sheets.column_of_field(field, self.numbers, LAYOUT)


def validate_row(row: Row) -> SourceRow | list[RowError]:
    """The row validated exactly as the body of a single POST, or its errors by column."""
    if extra := sheets.extra_cell(row):
        return extra
    body, numbers = sheets.body_of(row, LAYOUT)
    try:
        return SourceRow(row.number, SourceIn.model_validate(body), numbers)
    except ValidationError as error:
        return sheets.schema_errors(row.number, error, numbers, LAYOUT)
