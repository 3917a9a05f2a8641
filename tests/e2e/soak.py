"""The chaos test, again and again: one run per seed, each with its own broker, database and
services, printing what each run counted and, at the end, how many passed.

    .venv/bin/python -m tests.e2e.soak --seeds 10 --minutes 1    # or: make soak SEEDS=10 MINUTES=1

Seeds are 1..N unless given (`--seed 704637998 --seed 247337376` replays those). A run's whole
output is kept in test-output/soak/seed-<seed>.log; the exit code is non-zero if any run failed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import typer

from tests.system import OUTPUT, ROOT

CHAOS_TEST = "tests/e2e/test_chaos.py"


def run_seed(seed: int, minutes: float, logs: Path) -> tuple[bool, str, float]:
    """One chaos run: whether it passed, the line of counts it printed, and how long it took."""
    variables = {"CHAOS_SEED": str(seed), "CHAOS_LOAD_SECONDS": str(minutes * 60)}
    started = time.monotonic()
    finished = subprocess.run(
        [sys.executable, "-m", "pytest", CHAOS_TEST, "-s", "-q", "-p", "no:cacheprovider"],
        env={**os.environ, **variables},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    output = finished.stdout + finished.stderr
    (logs / f"seed-{seed}.log").write_text(output)
    counts = next((line for line in output.splitlines() if line.startswith(f"seed {seed};")), "")
    failure = next((line for line in output.splitlines() if line.startswith("E ")), "")
    return finished.returncode == 0, counts or failure, time.monotonic() - started


def main(
    seeds: int = typer.Option(10, min=1, help="How many runs, seeded 1..N."),
    minutes: float = typer.Option(1.0, min=0.1, help="Minutes of load and crashes per run."),
    seed: list[int] = typer.Option([], help="Run these seeds instead (repeatable)."),
) -> None:
    logs = OUTPUT / "soak"
    logs.mkdir(parents=True, exist_ok=True)
    chosen = seed or list(range(1, seeds + 1))
    passed = 0
    for number in chosen:
        ok, counts, seconds = run_seed(number, minutes, logs)
        passed += ok
        typer.echo(f"{'passed' if ok else 'FAILED'} in {seconds:.0f} s: {counts}")
    typer.echo(f"{passed} of {len(chosen)} seeds passed; logs in {logs}")
    raise typer.Exit(0 if passed == len(chosen) else 1)


if __name__ == "__main__":
    typer.run(main)
