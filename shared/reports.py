"""Reports and lists answer JSON, or with `?format=csv` CSV for spreadsheets: the same rows.

A CSV answer is HXL (the Humanitarian Exchange Language, hxlstandard.org): a header row of
column names, then a row of hashtags saying what each column holds (`#country+code`,
`#country+name`, `#sector+code`, ...), then the data. Spreadsheets show both rows; HXL tools
(libhxl, the HXL Proxy, HDX) read the hashtags and skip the names. Codes come with their names
beside them in the caller's language (`shared.languages`), and every column's hashtag comes
from the one table `HXL` below, so one column name means one thing in every export.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from typing import Annotated, Any, Literal

from fastapi import Query, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel

from shared.http import PROBLEMS
from shared.languages import ENGLISH, Names

CSV = "text/csv"
Format = Annotated[Literal["json", "csv"], Query(description="json, or csv for spreadsheets")]
RESPONSES: dict[int | str, dict[str, Any]] = {
    **PROBLEMS,
    200: {"content": {CSV: {"schema": {"type": "string"}}}},
}
"""A report route's answers, for its OpenAPI entry: its rows as JSON or as CSV, or a problem."""

HXL: dict[str, str] = {
    # who and where
    "state": "#country+code",
    "state_name": "#country+name",
    "states": "#country+code+list",
    "state_names": "#country+name+list",
    "home_country": "#country+code+funder",
    "home_country_name": "#country+name+funder",
    "eligibility": "#meta+eligibility",
    "eligible_states": "#country+code+eligible+list",
    "regional_centre": "#region+code",
    "regional_centre_name": "#region+name",
    "region": "#region+code",
    "region_name": "#region+name",
    "regional_focus": "#region+code+list",
    "donor": "#org+code+funder",
    "audience": "#meta+audience",
    "actor": "#contact+actor",
    # what: conventions are the sectors, their areas the subsectors, the kinds of assistance
    # the modalities
    "convention": "#sector+code",
    "convention_name": "#sector+name",
    "conventions": "#sector+code+list",
    "convention_names": "#sector+name+list",
    "area": "#subsector+code",
    "area_name": "#subsector+name",
    "areas": "#subsector+code+list",
    "area_names": "#subsector+name+list",
    "assistance_types": "#modality+code+list",
    "assistance_type_names": "#modality+name+list",
    "kind": "#modality+window",
    "unit": "#item+unit+code",
    "unit_name": "#item+unit+name",
    "in_kind": "#item+requested+list",
    # requests, sources, ledger entries, notifications
    "request_id": "#activity+request+id",
    "title": "#activity+request+name",
    "urgency": "#severity+urgency",
    "status": "#status",
    "source_id": "#org+source+id",
    "name": "#org+source+name",
    "source_kind": "#org+source+type",
    "window_id": "#activity+window+id",
    "entry_id": "#meta+entry+id",
    "entry_kind": "#financial+type",
    "corrects": "#meta+entry+corrects",
    "reservation_id": "#meta+reservation+id",
    "note": "#description+notes",
    "notification_id": "#meta+id",
    "event_id": "#event+id",
    "type": "#event+type",
    "severity": "#severity",
    "summary": "#description",
    "subject": "#meta+subject",
    # money and quantities
    "amount": "#value",
    "currency": "#currency",
    "requested": "#value+requested",
    "matched_amount": "#value+funding+matched",
    "reserved_amount": "#value+funding+reserved",
    "capacity": "#value+capacity",
    "pledged": "#value+funding+pledged",
    "committed": "#value+funding+committed",
    "reserved": "#value+funding+reserved",
    "disbursed": "#value+funding+disbursed",
    "available": "#value+funding+available",
    "min_grant": "#value+grant+min",
    "max_grant": "#value+grant+max",
    "outstanding": "#value+funding+outstanding",
    "count": "#indicator+count+num",
    "requests": "#indicator+requests+num",
    # treaty indicators and the facts states report for them
    "indicator": "#indicator+code",
    "indicator_name": "#indicator+name",
    "action": "#indicator+action",
    "definition": "#description+definition",
    "basis": "#meta+basis+list",
    "report_id": "#meta+report+id",
    "fact": "#indicator+fact",
    "sources": "#indicator+sources+num",
    "windows": "#indicator+windows+num",
    "days_left": "#indicator+days_left+num",
    # when
    "deadline": "#date+deadline",
    "date": "#date",
    "period_start": "#date+start",
    "period_end": "#date+end",
    "submitted_on": "#date+submitted",
    "reported_on": "#date+reported+fact",
    "created_at": "#date+created",
    "updated_at": "#date+updated",
    "recorded_at": "#date+reported",
    "occurred_at": "#date+occurred",
    # the dimensions of a summary
    "dimension": "#meta+dimension",
    "key": "#meta+key",
    "key_name": "#meta+key+name",
}
"""Each CSV column's HXL hashtag, whatever export it appears in (a test checks that every
exported column has one and that libhxl reads them)."""


def hashtags(columns: list[str]) -> list[str]:
    return [HXL[c] for c in columns]


def _cell(value: Any) -> Any:
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return "" if value is None else value


def _lines(rows: Iterable[BaseModel], columns: list[str]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flushed() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(columns)
    writer.writerow(hashtags(columns))
    yield flushed()
    for row in rows:
        values = row.model_dump(mode="json")
        writer.writerow([_cell(values[c]) for c in columns])
        yield flushed()


def csv_text(rows: Iterable[BaseModel], model: type[BaseModel]) -> str:
    """The rows as HXL CSV: the column names, their hashtags, then one line per row."""
    return "".join(_lines(rows, list(model.model_fields)))


def csv_response(
    rows: Iterable[BaseModel], model: type[BaseModel], names: Names = ENGLISH
) -> Response:
    """The rows as an HXL CSV answer, written line by line as they come (an iterator of rows is
    never held whole), saying in which language it names things."""
    return StreamingResponse(
        _lines(rows, list(model.model_fields)),
        media_type=f"{CSV}; charset=utf-8",
        headers=names.headers(),
    )


def answer(
    rows: list[BaseModel] | Any, model: type[BaseModel], format: str, names: Names = ENGLISH
) -> Any:
    """The rows as the caller asked for them; a list of one model's rows."""
    return csv_response(rows, model, names) if format == "csv" else rows


CSV_PAGE: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {CSV: {"schema": {"type": "string"}}},
        "headers": {
            "Link": {
                "description": 'With format=csv: the next page, as <url>; rel="next".',
                "schema": {"type": "string"},
            }
        },
    }
}
"""A paged list's extra answer, for its OpenAPI entry: the page as CSV."""


def csv_page(
    request: Request,
    rows: Sequence[BaseModel],
    model: type[BaseModel],
    names: Names,
    next_cursor: str | None,
) -> Response:
    """One page of a list as CSV: the same rows as the JSON page, so memory stays bounded by the
    page's limit; the next page is linked in `Link` (RFC 8288), as JSON gives `next_cursor`."""
    response = csv_response(rows, model, names)
    if next_cursor is not None:
        url = request.url.include_query_params(cursor=next_cursor)
        response.headers["Link"] = f'<{url}>; rel="next"'
    return response
