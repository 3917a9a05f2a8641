"""Benchmark of allocation: time, covered need and peak memory, next to a greedy baseline, the
exact optimum (a MILP) where it finishes, a proven upper bound on coverage (the MILP's linear
relaxation, which HiGHS solves fast) and the planner's whole full run (candidates, the problem
with its grant limits, the allocation and the proposals with their explanations), then an
incremental run after one more request arrives, the full run's proposals standing.

    .venv/bin/python -m bench.allocation                      # the full grid
    .venv/bin/python -m bench.allocation --sizes 1000x1000 --sizes 10000x5000
    .venv/bin/python -m bench.allocation --compare bench/results/allocation-<earlier>.json

Each case runs in a process of its own, so its peak memory (the child's maximum resident set) is
its own and a case that overruns its time limit is stopped without stopping the others. The
synthetic data reads like the clearing-house's: three conventions, two currencies, states from the
regional network, needs and windows of log-normal size, a third of sources with minimum grants.
Results are printed as a table and written as JSON under bench/results/.
"""

from __future__ import annotations

import json
import multiprocessing
import resource
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import numpy as np
import typer

from services.matching.domain import allocation, planner, programme
from services.matching.domain.candidates import WindowRef, WindowTable, candidate_pairs
from services.matching.domain.model import OpenRequest
from services.matching.domain.planner import problem_of
from services.matching.domain.problem import Problem
from services.matching.domain.scoring import Context, Weights
from shared.eligibility import Eligibility, EligibilityRule
from shared.events.inventory import SourceDetails, SourceKind, SourceStatus, Support, WindowState
from shared.events.requests import Amount, ContactPoint, RequestDetails
from shared.geography import m49_network
from shared.taxonomy import taxonomy

RESULTS = Path(__file__).parent / "results"
GRID = ["1000x1000", "1000x5000", "10000x1000", "10000x5000", "50000x1000", "50000x5000"]
NOW = datetime(2026, 11, 23, tzinfo=UTC)
CONVENTIONS = ("CCM", "APMBC", "Stockholm")
SCARCITY = 0.6
NETWORK = m49_network()


@dataclass
class Result:
    requests: int
    windows: int
    pairs: int = 0
    total_need: float = 0.0
    candidates_seconds: float = 0.0
    fair_seconds: float = 0.0
    fair_covered: float = 0.0
    fair_floor: float = 0.0
    greedy_seconds: float = 0.0
    greedy_covered: float = 0.0
    planner_seconds: float | None = None
    fair_cpu_seconds: float | None = None
    incremental_seconds: float | None = None
    incremental_requests: int | None = None
    """An incremental run after the full one: one request more, the full run's proposals
    standing; its seconds and how many requests it re-allocated (the new one and the hungry)."""
    planner_cpu_seconds: float | None = None
    """Processor seconds of the phase (all its threads): steadier than the elapsed seconds on
    a machine that others are using."""
    exact_seconds: float | None = None
    exact_covered: float | None = None
    exact_optimal: bool | None = None
    bound_seconds: float | None = None
    bound_covered: float | None = None
    """The most any allocation of the same candidate pairs could cover: the linear relaxation
    of the exact problem, proven by HiGHS (`allocation.coverage_bound`)."""
    peak_rss_mib: float = 0.0
    error: str | None = None


def _uuid(rng: np.random.Generator) -> UUID:
    return UUID(bytes=rng.bytes(16), version=4)


def synthetic_requests(count: int, rng: np.random.Generator) -> list[OpenRequest]:
    tax = taxonomy()
    states = sorted(s for c in NETWORK.centres.values() for s in c.states)
    requests = []
    for _ in range(count):
        convention = CONVENTIONS[rng.integers(3)]
        areas = list(tax.conventions[convention].areas)
        state = states[rng.integers(len(states))]
        centre = NETWORK.centre_of(state)
        value = Decimal(int(rng.lognormal(12.5, 1.0))).quantize(Decimal("0.01"))
        details = RequestDetails(
            request_id=_uuid(rng),
            state=state,
            regional_centre=centre.id if centre else None,
            status="published",
            version=4,
            convention=convention,
            areas=list(rng.choice(areas, size=int(rng.integers(1, 3)), replace=False)),
            assistance_types=["financial"],
            title="Synthetic request",
            description="",
            evidence=[],
            amount=Amount(value=value, currency="USD" if rng.random() < 0.8 else "EUR"),
            deadline=NOW.date() + timedelta(days=int(rng.integers(30, 900))),
            deadline_reason=None,
            urgency=("low", "medium", "high", "critical")[rng.integers(4)],
            contact=ContactPoint(name="Focal point", email="focal.point@example.org"),
            created_at=NOW,
        )
        waited = timedelta(days=int(rng.integers(0, 400)))
        requests.append(OpenRequest(details, NOW - waited, value))
    return requests


def synthetic_sources(
    count: int, total_need: float, rng: np.random.Generator
) -> list[SourceDetails]:
    """Windows whose capacity adds up to about SCARCITY of the total need."""
    tax = taxonomy()
    eligibilities = [
        Eligibility(),
        Eligibility(rule=EligibilityRule.DEVELOPING),
        Eligibility(rule=EligibilityRule.INCOME_GROUPS, income_groups=["Low", "Lower middle"]),
    ]
    centres = NETWORK.ids
    sources = []
    for number in range(count):
        conventions = rng.choice(CONVENTIONS, size=int(rng.integers(1, 3)), replace=False)
        supports = [
            Support(
                convention=str(c),
                areas=[]
                if rng.random() < 0.4
                else list(rng.choice(list(tax.conventions[c].areas), size=2, replace=False)),
            )
            for c in conventions
        ]
        capacity = Decimal(int(total_need * SCARCITY / count * rng.lognormal(-0.5, 1.0)))
        opens = NOW.date() - timedelta(days=int(rng.integers(0, 365)))
        window = WindowState(
            window_id=_uuid(rng),
            opens=opens,
            closes=opens + timedelta(days=int(rng.integers(365, 1500))),
            currency="USD" if rng.random() < 0.7 else "EUR",
            capacity=capacity,
            available=capacity,
        )
        sources.append(
            SourceDetails(
                source_id=_uuid(rng),
                version=1,
                kind=SourceKind.DONOR_STATE,
                name=f"Fund {number}",
                donor=f"donor-{number % 200}",
                home_country=None,
                status=SourceStatus.ACTIVE,
                supports=supports,
                assistance_types=["financial", "technical"],
                eligibility=eligibilities[rng.integers(len(eligibilities))],
                regional_focus=[] if rng.random() < 0.5 else [centres[rng.integers(len(centres))]],
                windows=[window],
                min_grant=Decimal(25_000) if rng.random() < 0.33 else None,
                max_grant=Decimal(2_000_000) if rng.random() < 0.5 else None,
            )
        )
    return sources


def greedy(problem: Problem) -> float:
    """The baseline: pairs by score, best first, each given as much as is left."""
    need, capacity = problem.need.copy(), problem.capacity.copy()
    upper, covered = problem.upper_bounds(), 0.0
    for k in np.argsort(-problem.pair_score, kind="stable"):
        i, j = problem.pair_request[k], problem.pair_window[k]
        amount = min(need[i], capacity[j], upper[k])
        if amount >= max(problem.pair_lower[k], 0.01):
            need[i] -= amount
            capacity[j] -= amount
            covered += amount
    return covered


def synthetic_case(
    requests: int, windows: int, seed: int
) -> tuple[list[OpenRequest], list[SourceDetails]]:
    rng = np.random.default_rng(seed)
    open_requests = synthetic_requests(requests, rng)
    total_need = float(sum(r.remaining for r in open_requests))
    return open_requests, synthetic_sources(windows, total_need, rng)


def build(requests: int, windows: int, seed: int) -> tuple[Problem, float]:
    """The synthetic case as an allocation problem, and the seconds its candidates took."""
    open_requests, sources = synthetic_case(requests, windows, seed)
    refs = [WindowRef(s, w, float(w.available)) for s in sources for w in s.windows]
    context = Context(NOW.date(), NOW, Weights(), {})
    started = time.perf_counter()
    table = WindowTable(refs, NETWORK)
    pairs = candidate_pairs(open_requests, table, context, per_request=20).arrays()
    seconds = time.perf_counter() - started
    return problem_of(open_requests, table, pairs), seconds


def run_fair(requests: int, windows: int, seed: int) -> Result:
    """Candidates, the fair allocation and the greedy baseline."""
    problem, candidates_seconds = build(requests, windows, seed)
    result = Result(requests, windows, problem.pairs, float(problem.need.sum()))
    result.candidates_seconds = candidates_seconds
    started, cpu = time.perf_counter(), time.process_time()
    fair = allocation.allocate_fairly(problem, time_limit=600)
    result.fair_seconds = time.perf_counter() - started
    result.fair_cpu_seconds = time.process_time() - cpu
    result.fair_covered, result.fair_floor = fair.covered, fair.floor
    started = time.perf_counter()
    result.greedy_covered = greedy(problem)
    result.greedy_seconds = time.perf_counter() - started
    return result


def run_planner(requests: int, windows: int, seed: int) -> Result:
    """The planner's full run over the same case, as the service runs it: candidates, the
    problem with its grant limits, the allocation, and the proposals with their explanations."""
    open_requests, sources = synthetic_case(requests, windows, seed)
    snapshot = planner.Snapshot(open_requests, sources, [], frozenset())
    options = planner.Options(NETWORK, Weights(), 20, timedelta(days=30), 600)
    result = Result(requests, windows)
    started, cpu = time.perf_counter(), time.process_time()
    full = planner.plan(snapshot, None, options, NOW)
    result.planner_seconds = time.perf_counter() - started
    result.planner_cpu_seconds = time.process_time() - cpu
    [arrived] = synthetic_requests(1, np.random.default_rng(seed + 1))
    after = planner.Snapshot([*open_requests, arrived], sources, full.proposals, frozenset())
    started = time.perf_counter()
    incremental = planner.plan(after, frozenset({arrived.request_id}), options, NOW)
    result.incremental_seconds = time.perf_counter() - started
    result.incremental_requests = incremental.requests
    return result


def run_exact(requests: int, windows: int, seed: int, limit: float) -> Result:
    """The exact MILP alone, in a process of its own (it may be stopped)."""
    problem, _ = build(requests, windows, seed)
    result = Result(requests, windows)
    started = time.perf_counter()
    try:
        exact = allocation.allocate_exact(problem, time_limit=limit)
        result.exact_covered, result.exact_optimal = exact.covered, exact.optimal
    except programme.AllocationFailed:
        result.exact_optimal = False
    result.exact_seconds = time.perf_counter() - started
    return result


def run_bound(requests: int, windows: int, seed: int) -> Result:
    """The linear relaxation's proven bound on coverage, in a process of its own."""
    problem, _ = build(requests, windows, seed)
    result = Result(requests, windows)
    started = time.perf_counter()
    result.bound_covered = allocation.coverage_bound(problem, time_limit=600)
    result.bound_seconds = time.perf_counter() - started
    return result


def _child(size: str, phase: str, exact_limit: float, seed: int, queue: Any) -> None:
    """One phase of a case: "fair" (with greedy), "planner", "exact" or "bound"."""
    requests, windows = (int(n) for n in size.split("x"))
    try:
        if phase == "exact":
            result = run_exact(requests, windows, seed, exact_limit)
        elif phase == "planner":
            result = run_planner(requests, windows, seed)
        elif phase == "bound":
            result = run_bound(requests, windows, seed)
        else:
            result = run_fair(requests, windows, seed)
    except Exception as error:
        result = Result(requests, windows, error=f"{type(error).__name__}: {error}")
    result.peak_rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    queue.put(asdict(result))


def _in_child(
    size: str, phase: str, exact_limit: float, seed: int, limit: float
) -> dict[str, Any] | None:
    """One phase of a case in a process of its own; None when it overran `limit`."""
    context = multiprocessing.get_context("fork")
    queue: Any = context.Queue()
    child = context.Process(target=_child, args=(size, phase, exact_limit, seed, queue))
    child.start()
    child.join(limit)
    if child.is_alive():
        child.kill()
        child.join()
        return None
    answer: dict[str, Any] = queue.get(timeout=5)
    return answer


def measure(size: str, exact_limit: float, case_limit: float, seed: int) -> dict[str, Any]:
    requests, windows = (int(n) for n in size.split("x"))
    fair = _in_child(size, "fair", exact_limit, seed, case_limit)
    if fair is None:
        return asdict(Result(requests, windows, error=f"over the {case_limit:.0f} s limit"))
    for phase, names in (
        (
            "planner",
            (
                "planner_seconds",
                "planner_cpu_seconds",
                "incremental_seconds",
                "incremental_requests",
            ),
        ),
        ("bound", ("bound_seconds", "bound_covered")),
    ):
        run = _in_child(size, phase, exact_limit, seed, case_limit)
        for name in names:
            fair[name] = run[name] if run and not run["error"] else None
    if exact_limit > 0:
        exact = _in_child(size, "exact", exact_limit, seed, exact_limit * 2 + 120)
        fair["exact_optimal"] = False
        if exact is not None:
            fair.update({k: exact[k] for k in ("exact_seconds", "exact_covered", "exact_optimal")})
    return fair


def _row(r: dict[str, Any]) -> str:
    if r["error"]:
        return f"{r['requests']:>7} {r['windows']:>6}  {r['error']}"
    need = r["total_need"] or 1.0
    exact = "      -        -"
    if r["exact_optimal"] is False and r["exact_covered"] is None:
        exact = "stopped (no solution in time)"
    elif r["exact_covered"] is not None:
        mark = "" if r["exact_optimal"] else "*"
        exact = f"{r['exact_covered'] / need:6.1%} {r['exact_seconds']:7.1f}s{mark}"
    return (
        f"{r['requests']:>7} {r['windows']:>6} {r['pairs']:>8} {r['candidates_seconds']:7.1f}s "
        f"{r['fair_seconds']:7.1f}s {r['fair_covered'] / need:6.1%} {r['fair_floor']:6.3f} "
        f"{r['greedy_seconds']:6.2f}s {r['greedy_covered'] / need:6.1%} {exact} "
        f"{r['peak_rss_mib']:7.0f} {_seconds(r.get('planner_seconds'))}   "
        f"{_seconds(r.get('fair_cpu_seconds'))} {_seconds(r.get('planner_cpu_seconds'))}   "
        f"{_of_bound(r)}  {_incremental(r)}"
    )


def _incremental(r: dict[str, Any]) -> str:
    """The incremental run's seconds and the requests it re-allocated; '-' if not measured."""
    seconds, count = r.get("incremental_seconds"), r.get("incremental_requests")
    return "      -       -" if seconds is None else f"{seconds:6.2f}s {count:>7}"


def _of_bound(r: dict[str, Any]) -> str:
    """The proven bound's share of the need, the fair allocation's share of the bound, and
    the seconds the bound took; '-' where it was not measured."""
    bound = r.get("bound_covered")
    if not bound:
        return "     -       -       -"
    need = r["total_need"] or 1.0
    return f"{bound / need:6.1%}  {r['fair_covered'] / bound:6.1%} {r['bound_seconds']:6.1f}s"


def _seconds(value: float | None) -> str:
    """A phase's seconds; '-' for a phase the run did not measure (or that failed)."""
    return "      -" if value is None else f"{value:6.1f}s"


HEADER = (
    "requests windows    pairs  candid.    fair  cover  floor  greedy  cover  exact    time"
    "      MiB  planner   processor: fair planner   bound  fair/bound  time  incr. requests"
)


def compare_table(results: list[dict[str, Any]], earlier: list[dict[str, Any]]) -> str:
    """This run's fair allocation beside an earlier run's, case by case."""
    before = {(r["requests"], r["windows"]): r for r in earlier if not r["error"]}
    lines = [
        "requests windows   fair time (earlier)   cover (earlier)   MiB (earlier)"
        "   planner (earlier)   planner cpu (earlier)"
    ]
    for r in results:
        old = before.get((r["requests"], r["windows"]))
        if r["error"] or old is None:
            continue
        now_cover = r["fair_covered"] / (r["total_need"] or 1.0)
        old_cover = old["fair_covered"] / (old["total_need"] or 1.0)
        lines.append(
            f"{r['requests']:>7} {r['windows']:>6}  "
            f"{r['fair_seconds']:7.1f}s ({old['fair_seconds']:6.1f}s)   "
            f"{now_cover:6.1%} ({old_cover:6.1%})   "
            f"{r['peak_rss_mib']:5.0f} ({old['peak_rss_mib']:5.0f})   "
            f"{_seconds(r.get('planner_seconds'))} ({_seconds(old.get('planner_seconds'))})   "
            f"{_seconds(r.get('planner_cpu_seconds'))} "
            f"({_seconds(old.get('planner_cpu_seconds'))})"
        )
    return "\n".join(lines)


def main(
    sizes: list[str] = typer.Option(GRID, help="Cases as REQUESTSxWINDOWS, e.g. 10000x5000."),
    exact_limit: float = typer.Option(120.0, help="Seconds the exact MILP may take (0: skip)."),
    case_limit: float = typer.Option(900.0, help="Seconds a whole case may take."),
    seed: int = typer.Option(7),
    compare: Path | None = typer.Option(None, exists=True, help="An earlier results file."),
) -> None:
    """Allocation time, covered need and peak memory; `*`: the exact solver hit its limit
    (its figure is the best it had found, not a proven optimum)."""
    typer.echo(HEADER)
    results = []
    for size in sizes:
        result = measure(size, exact_limit, case_limit, seed)
        results.append(result)
        typer.echo(_row(result))
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"allocation-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    path.write_text(json.dumps(results, indent=2))
    typer.echo(f"written to {path}")
    if compare is not None:
        typer.echo(f"\nbeside {compare}\n")
        typer.echo(compare_table(results, json.loads(compare.read_text())))


if __name__ == "__main__":
    typer.run(main)
