"""Linear programmes over the pairs of an allocation problem, solved by HiGHS. Pure, no I/O.

A programme has one column per pair and one row per window and per request, the pair's column
holding a one in its window's row and in its request's row. Rows carry both bounds, so "at least
what the floor guarantees, at most the need" is one row.

HiGHS is called through its own bindings (`highspy`) rather than `scipy.optimize`, whose import
alone costs a matching process about 12 MiB more.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import highspy
import numpy as np

from services.matching.domain.problem import Problem, Vector

INFINITY = highspy.kHighsInf
_COLUMN_WISE = int(highspy.MatrixFormat.kColwise.value)
_MINIMISE = int(highspy.ObjSense.kMinimize.value)
_SEMI_CONTINUOUS = int(highspy.HighsVarType.kSemiContinuous.value)
_DUAL_SIMPLEX = int(highspy.simplex_constants.SimplexStrategy.kSimplexStrategyDual.value)


class AllocationFailed(RuntimeError):
    """The solver did not find a solution (time limit, numerical trouble)."""


@dataclass(frozen=True)
class Solution:
    amounts: Vector
    """One value per pair."""
    objective: float
    optimal: bool
    """False when the solver stopped at its time limit with a feasible but unproven solution."""


def minimise(
    problem: Problem,
    cost: Vector,
    rows: tuple[Vector, Vector],
    columns: tuple[Vector, Vector],
    *,
    semi_continuous: np.ndarray[Any, np.dtype[np.bool_]] | None = None,
    time_limit: float,
    dual_simplex: bool = False,
    unproven: bool = False,
) -> Solution:
    """Minimise `cost` over the pairs' amounts, each within its `columns` bounds (lower, upper),
    each window's and then each request's total within its `rows` bounds. A semi-continuous
    pair is either zero or within its bounds. Raises `AllocationFailed` without an optimum, or
    with `unproven` without a feasible solution."""
    windows, pairs = len(problem.capacity), problem.pairs
    index = np.column_stack([problem.pair_window, windows + problem.pair_request]).ravel()
    integrality = np.zeros(pairs, dtype=np.int32)
    if semi_continuous is not None:
        integrality[semi_continuous] = _SEMI_CONTINUOUS
    highs = highspy.Highs()  # type: ignore[no-untyped-call]  # its constructor has no annotations
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("time_limit", float(time_limit))
    if dual_simplex:
        highs.setOptionValue("solver", "simplex")
        highs.setOptionValue("simplex_strategy", _DUAL_SIMPLEX)
    (column_lower, column_upper), (row_lower, row_upper) = columns, rows
    highs.passModel(
        pairs,
        windows + len(problem.need),
        2 * pairs,
        _COLUMN_WISE,
        _MINIMISE,
        0.0,
        cost,
        column_lower,
        column_upper,
        row_lower,
        row_upper,
        np.arange(0, 2 * pairs + 1, 2, dtype=np.int32),
        index.astype(np.int32),
        np.ones(2 * pairs),
        integrality,
    )
    highs.run()
    status, info = highs.getModelStatus(), highs.getInfo()
    optimal = status == highspy.HighsModelStatus.kOptimal
    feasible = info.primal_solution_status == highspy.SolutionStatus.kSolutionStatusFeasible
    if not (optimal or (unproven and feasible)):
        raise AllocationFailed(f"HiGHS: {highs.modelStatusToString(status)}")
    amounts = np.asarray(highs.getSolution().col_value, dtype=np.float64)
    return Solution(amounts, float(info.objective_function_value), optimal)
