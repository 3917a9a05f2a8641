"""Bulk submission benchmark: 1,000 requests in one file, beside the same requests one by one.

    python -m bench.bulk [--rows 1000] [--repeat 3] [--concurrency 16] [--compare FILE]

Starts its own Kafka and PostgreSQL (`deploy/local`), a fresh database and the requests service
as production starts it, then measures, in the same run and one after the other:

- **parse**: reading and validating the file in this process, no HTTP and no database (the
  service's own code: `services.requests.api.sheets`), for the CSV and the XLSX file;
- **bulk csv** / **bulk xlsx**: `POST /v1/requests/bulk` of the file, answered once every row is
  stored with its history in one transaction;
- **one by one**: the same requests as `POST /v1/requests`, each with its own Idempotency-Key,
  sequentially and with `--concurrency` in flight.

Each figure is rows per second (the median of `--repeat` runs of the whole file); the results
file is bench/results/bulk-<time>.json, one JSON record per line.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import statistics
import time
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import typer
from openpyxl import Workbook

from bench.intake import REQUEST
from bench.system import environment as bench_environment
from bench.system import fresh_database, local_stack, requests_service
from deploy.local import progress
from services.requests.api import sheets

RESULTS_DIR = Path(__file__).parent / "results"


@dataclass
class Record:
    run: str
    target: str
    mode: str
    level: int
    rows: int
    repeats: int
    seconds: float
    """The median time of one whole file (or of all its rows, one by one)."""
    rows_per_second: float
    file_bytes: int | None = None


def row_of(request: dict[str, Any], n: int) -> dict[str, str]:
    """The intake benchmark's request as a row of the template."""
    evidence = request["evidence"][0]
    return {
        "state": request["state"],
        "convention": request["convention"],
        "areas": "; ".join(request["areas"]),
        "assistance_types": "; ".join(request["assistance_types"]),
        "title": f"{request['title']} ({n})",
        "description": request["description"],
        "amount_value": request["amount"]["value"],
        "amount_currency": request["amount"]["currency"],
        "deadline": request["deadline"],
        "deadline_reason": request["deadline_reason"],
        "urgency": request["urgency"],
        "contact_name": request["contact"]["name"],
        "contact_email": request["contact"]["email"],
        **{f"evidence_1_{k}": v for k, v in evidence.items()},
    }


def files(rows: int) -> dict[str, bytes]:
    header = [c.name for c in sheets.columns()]
    table = [row_of(REQUEST, n) for n in range(rows)]
    out = io.StringIO()
    writer = csv.DictWriter(out, header)
    writer.writeheader()
    writer.writerows(table)
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(header)
    for r in table:
        sheet.append([r.get(name) for name in header])
    xlsx = io.BytesIO()
    workbook.save(xlsx)
    return {sheets.CSV: out.getvalue().encode(), sheets.XLSX: xlsx.getvalue()}


def median_seconds(repeat: int, once: Callable[[], None]) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        once()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def parse(content: bytes, media_type: str, rows: int) -> None:
    valid, errors = sheets.validate_rows(sheets.read_rows(content, media_type, rows))
    if len(valid) != rows or errors:
        raise AssertionError(f"{len(valid)} valid rows of {rows}: {errors[:3]}")


def upload(
    client: httpx.Client, base: str, headers: dict[str, str], content: bytes, kind: str
) -> None:
    response = client.post(
        f"{base}/v1/requests/bulk",
        content=content,
        headers={**headers, "Content-Type": kind, "Idempotency-Key": uuid.uuid4().hex},
    )
    assert response.status_code == 201, response.text[:2000]


async def one_by_one(base: str, headers: dict[str, str], rows: int, concurrency: int) -> None:
    body = json.dumps(REQUEST).encode()
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
        pending = iter(range(rows))

        async def worker() -> None:
            for _ in pending:
                response = await client.post(
                    "/v1/requests",
                    content=body,
                    headers={
                        **headers,
                        "Content-Type": "application/json",
                        "Idempotency-Key": uuid.uuid4().hex,
                    },
                )
                assert response.status_code == 201, response.text[:2000]

        await asyncio.gather(*(worker() for _ in range(concurrency)))


def _run(coroutine: Callable[..., Coroutine[Any, Any, None]], *args: Any) -> None:
    asyncio.run(coroutine(*args))


def measure(rows: int, repeat: int, concurrency: int, run: str) -> list[Record]:
    contents = files(rows)
    records: list[Record] = []

    def record(target: str, mode: str, level: int, seconds: float, size: int | None) -> None:
        records.append(
            Record(run, target, mode, level, rows, repeat, seconds, rows / seconds, size)
        )
        progress(f"  {target} {mode} x{level}: {rows / seconds:,.0f} rows/s")

    for media_type, content in contents.items():
        kind = "csv" if media_type == sheets.CSV else "xlsx"
        progress(f"parsing the {kind} file ...")
        seconds = median_seconds(repeat, partial(parse, content, media_type, rows))
        record("parse", kind, 1, seconds, len(content))
    with local_stack() as stack, fresh_database(stack.database_url) as database_url:
        env = bench_environment(stack, database_url)
        with requests_service(env, json.dumps(REQUEST).encode()) as server:
            base = server.endpoint.url.removesuffix("/v1/requests")
            headers = {"Authorization": server.endpoint.headers["Authorization"]}
            with httpx.Client(timeout=300) as client:
                for media_type, content in contents.items():
                    kind = "csv" if media_type == sheets.CSV else "xlsx"
                    progress(f"uploading the {kind} file ...")
                    send = partial(upload, client, base, headers, content, media_type)
                    seconds = median_seconds(repeat, send)
                    record("bulk", kind, 1, seconds, len(content))
            for level in sorted({1, concurrency}):
                progress(f"posting one by one, {level} in flight ...")
                posts = partial(_run, one_by_one, base, headers, rows, level)
                seconds = median_seconds(repeat, posts)
                record("one-by-one", "json", level, seconds, None)
    return records


def table(records: list[Record], earlier: dict[tuple[str, str, int], dict[str, Any]]) -> str:
    lines = [
        f"{'what':<12} {'file':<5} {'in flight':>9} {'rows':>6} {'s':>8} {'rows/s':>9}"
        + ("  earlier rows/s" if earlier else "")
    ]
    for r in records:
        line = (
            f"{r.target:<12} {r.mode:<5} {r.level:>9} {r.rows:>6} {r.seconds:>8.3f} "
            f"{r.rows_per_second:>9,.0f}"
        )
        before = earlier.get((r.target, r.mode, r.level))
        if before:
            line += f"  {before['rows_per_second']:>14,.0f}"
        lines.append(line)
    return "\n".join(lines)


def main(
    rows: int = typer.Option(1000, help="Rows of the file: requests created per upload."),
    repeat: int = typer.Option(3, min=1, help="Runs of each measurement; the median counts."),
    concurrency: int = typer.Option(16, min=1, help="POSTs in flight for one by one."),
    compare: Path | None = typer.Option(None, help="An earlier results file to print beside."),
) -> None:
    run = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    records = measure(rows, repeat, concurrency, run)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"bulk-{run}.json"
    with path.open("w") as file:
        for r in records:
            file.write(json.dumps(asdict(r)) + "\n")
    earlier: dict[tuple[str, str, int], dict[str, Any]] = {}
    if compare:
        for line in compare.read_text().splitlines():
            if line.strip():
                r = json.loads(line)
                earlier[(r["target"], r["mode"], r["level"])] = r
    print(
        f"\nBulk submission: {rows} requests per file, median of {repeat}; {os.cpu_count()} CPUs\n"
    )
    print(table(records, earlier))
    bulk = {r.mode: r.rows_per_second for r in records if r.target == "bulk"}
    alone = max(r.rows_per_second for r in records if r.target == "one-by-one")
    print(f"\nbulk csv is {bulk['csv'] / alone:.1f}x the best one-by-one rate; results in {path}")


if __name__ == "__main__":
    typer.run(main)
