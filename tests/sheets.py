"""Files of rows as a person fills a template in, for the bulk uploads' tests."""

from __future__ import annotations

import csv
import io
from typing import Any

from openpyxl import Workbook


def csv_file(rows: list[dict[str, str]], header: list[str] | None = None) -> bytes:
    names = header or list(dict.fromkeys(name for r in rows for name in r))
    out = io.StringIO()
    writer = csv.DictWriter(out, names, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def xlsx_file(rows: list[dict[str, Any]], header: list[str] | None = None) -> bytes:
    names = header or list(dict.fromkeys(name for r in rows for name in r))
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(names)
    for r in rows:
        sheet.append([r.get(name) for name in names])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
