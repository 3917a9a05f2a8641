"""Who proposes how much to whom: a fair allocation of limited capacity. Pure, no I/O.

The problem is sparse: only eligible pairs of request and window are variables (`Problem`), so
50,000 requests against 5,000 windows never build a dense matrix. Two stages:

1. **Fairness floor.** Each request's *reach* is the share of its remaining need its candidate
   windows could cover if it had them to itself. Find the largest `t` such that every request
   with any reach receives at least `t * reach * need`: the same share of what it could get for
   everyone, so a small or neglected request is never starved by large ones. Solved by Newton's
   method on the minimum cuts, one maximum flow per step (`flows.py`, scipy's maximum flow).
2. **Coverage.** Keeping every request at its floor, maximise the total need covered. Up to
   `LP_PAIRS` pairs a linear programme solved by HiGHS (`programme.py`), where a
   tiny bonus for the pair's score (and for proposals already standing, so re-allocation does not
   churn) breaks ties; above it, or when the solver stops without an optimum, the flow of stage 1
   augmented to a maximum flow, which covers as much but ignores the scores.

Both keep every window within its capacity, every request within its need and every pair within
the source's maximum grant. A source's minimum grant makes an amount either zero or at least the
minimum, which neither a linear programme nor a flow can say: pairs given less than the minimum
are removed and both stages solved again; after `REPAIR_ROUNDS` solves, what is still below a
minimum is dropped (capacity left unused rather than a rule broken, and that request's floor may
then not hold: the property tests state the floor for problems without minimum grants).

`allocate_exact` solves the same problem exactly as a mixed-integer programme (HiGHS again,
semi-continuous amounts) maximising coverage alone, for comparison on sizes where it finishes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from services.matching.domain import flows
from services.matching.domain.problem import Indices, Problem, Vector
from services.matching.domain.programme import INFINITY, AllocationFailed, minimise

SCORE_BONUS = 1e-3
"""How much a perfect score adds to the value of covering one unit: enough to break ties, too
little to trade any coverage for it."""
INCUMBENT_BONUS = 1e-4
LP_PAIRS = 100_000
"""Above this many pairs the coverage stage runs as a flow, without the score's tie-break."""
REPAIR_ROUNDS = 3


@dataclass(frozen=True)
class Allocation:
    amounts: Vector
    floor: float
    reach: Vector
    optimal: bool = True
    """False when the solver stopped at its time limit with a feasible but unproven solution."""

    def received(self, problem: Problem) -> Vector:
        total: Vector = np.bincount(
            problem.pair_request, weights=self.amounts, minlength=len(problem.need)
        ).astype(np.float64)
        return total

    @property
    def covered(self) -> float:
        return float(self.amounts.sum())


def _scale(upper: Vector) -> float:
    """The unit the programmes count in: the most any pair can carry, of the pairs' `upper`
    bounds. Amounts then lie between zero and one, where the solver's tolerances are meant to
    work; a window no pair can use must not shrink them (a unit of millions makes a window with
    a few dollars left vanish into the tolerance, and a floor that needs every last dollar look
    infeasible)."""
    return float(max(upper.max(initial=0.0), 1.0))


def _coverage(problem: Problem, guaranteed: Vector, time_limit: float) -> Vector:
    """Stage 2 as a linear programme: the most coverage that gives every request at least what
    the floor guarantees it, ties broken by score."""
    upper = problem.upper_bounds()
    scale = _scale(upper)
    value = 1.0 + SCORE_BONUS * problem.pair_score + INCUMBENT_BONUS * problem.pair_incumbent
    solution = minimise(
        problem,
        -value,
        _limits(problem, scale, guaranteed),
        (np.zeros(problem.pairs), upper / scale),
        time_limit=time_limit,
        dual_simplex=True,  # the fastest of HiGHS' methods on these problems
    )
    return solution.amounts * scale


def _two_stages(problem: Problem, time_limit: float, lp_pairs: int) -> Allocation:
    reach = problem.reach()
    if problem.pairs == 0 or not (reach > 0).any():
        return Allocation(np.zeros(problem.pairs), 0.0, reach)
    network = flows.Network.of(problem)
    floor, given = flows.fairness_floor(network, reach)
    if problem.pairs <= lp_pairs:
        received = np.bincount(problem.pair_request, weights=given, minlength=len(problem.need))
        guaranteed = (received * network.unit).astype(np.float64)
        try:
            return Allocation(_coverage(problem, guaranteed, time_limit), floor, reach)
        except AllocationFailed:
            pass  # the solver stopped short (time, numerical trouble): the flow covers as much
    augmented = (flows.augment(network, given) * network.unit).astype(np.float64)
    return Allocation(augmented, floor, reach)


def allocate_fairly(
    problem: Problem, time_limit: float = 60.0, lp_pairs: int = LP_PAIRS
) -> Allocation:
    """The fair allocation (see the module's docstring), in whole cents, minimum grants kept."""
    current = problem
    for _ in range(REPAIR_ROUNDS):
        allocation = _two_stages(current, time_limit, lp_pairs)
        amounts = _in_cents(current, allocation.amounts)
        below_minimum = (amounts > 0) & (amounts < current.pair_lower)
        if not below_minimum.any():
            return Allocation(amounts, allocation.floor, allocation.reach)
        current = current.without(below_minimum)
    amounts = np.where(amounts < current.pair_lower, 0.0, amounts)
    return Allocation(amounts, allocation.floor, allocation.reach)


def _limits(
    problem: Problem, scale: float, guaranteed: Vector | None = None
) -> tuple[Vector, Vector]:
    """The rows' bounds in `scale` units: each window at most its capacity, each request at most
    its need and, given what the floor `guaranteed` it, at least that (never above the need)."""
    at_most = np.concatenate([problem.capacity, problem.need]) / scale
    at_least = np.full(len(at_most), -INFINITY)
    if guaranteed is not None:
        requests = slice(len(problem.capacity), None)
        at_least[requests] = np.minimum(guaranteed / scale, at_most[requests])
    return at_least, at_most


def allocate_exact(problem: Problem, time_limit: float = 60.0) -> Allocation:
    """The most coverage possible, minimum grants exact (a MILP); no fairness floor."""
    if problem.pairs == 0:
        return Allocation(np.zeros(0), 0.0, problem.reach())
    bounds = problem.upper_bounds()
    scale = _scale(bounds)
    upper = bounds / scale
    lower = np.minimum(problem.pair_lower / scale, upper)
    has_minimum = (problem.pair_lower > 0) & (lower < upper)
    solution = minimise(
        problem,
        -np.ones(problem.pairs),
        _limits(problem, scale),
        (np.where(has_minimum, lower, 0.0), upper),
        semi_continuous=has_minimum,
        time_limit=time_limit,
        unproven=True,
    )
    amounts = _in_cents(problem, solution.amounts * scale)
    return Allocation(amounts, 0.0, problem.reach(), optimal=solution.optimal)


def coverage_bound(problem: Problem, time_limit: float = 60.0) -> float:
    """The most need any allocation of these pairs could cover: the linear relaxation of
    `allocate_exact` (minimum grants relaxed to nothing, no floor), whose optimum HiGHS proves.
    No allocation covers more, so coverage against it says how much an allocation gives up."""
    if problem.pairs == 0:
        return 0.0
    upper = problem.upper_bounds()
    scale = _scale(upper)
    solution = minimise(
        problem,
        -np.ones(problem.pairs),
        _limits(problem, scale),
        (np.zeros(problem.pairs), upper / scale),
        time_limit=time_limit,
    )
    return float(-solution.objective * scale)


def _in_cents(problem: Problem, amounts: Vector) -> Vector:
    """Round to cents, then trim what solver tolerance put over a capacity or a need."""
    cents = np.round(np.maximum(amounts, 0.0) * 100) / 100
    cents = np.minimum(cents, np.floor(problem.upper_bounds() * 100) / 100)
    for owner, limit in (
        (problem.pair_window, problem.capacity),
        (problem.pair_request, problem.need),
    ):
        cents = _trim(cents, owner, limit)
    return cents


def _trim(amounts: Vector, owner: Indices, limit: Vector) -> Vector:
    """Scale down the pairs of any owner whose total exceeds its limit."""
    total = np.bincount(owner, weights=amounts, minlength=len(limit))
    over = total > limit + 1e-9
    if not over.any():
        return amounts
    factor = np.ones(len(limit))
    factor[over] = limit[over] / total[over]
    return np.floor(amounts * factor[owner] * 100) / 100
