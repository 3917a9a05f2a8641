"""Reports answer JSON, or with `?format=csv` CSV for spreadsheets: the same rows either way."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Annotated, Any, Literal

from fastapi import Query
from fastapi.responses import Response
from pydantic import BaseModel

from shared.http import PROBLEMS

CSV = "text/csv"
Format = Annotated[Literal["json", "csv"], Query(description="json, or csv for spreadsheets")]
RESPONSES: dict[int | str, dict[str, Any]] = {
    **PROBLEMS,
    200: {"content": {CSV: {"schema": {"type": "string"}}}},
}
"""A report route's answers, for its OpenAPI entry: its rows as JSON or as CSV, or a problem."""


def _csv(rows: Sequence[BaseModel], columns: list[str]) -> Response:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    for row in rows:
        values = row.model_dump()
        writer.writerow(
            ["; ".join(v) if isinstance(v, list) else v for v in (values[c] for c in columns)]
        )
    return Response(buffer.getvalue(), media_type=f"{CSV}; charset=utf-8")


def answer(rows: Sequence[BaseModel], model: type[BaseModel], format: str) -> Any:
    """The rows as the caller asked for them; a list of one model's rows."""
    return _csv(rows, list(model.model_fields)) if format == "csv" else rows
