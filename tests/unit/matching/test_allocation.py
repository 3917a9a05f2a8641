"""Properties of the fair allocation on random problems (hypothesis): capacity, needs and grant
limits are never exceeded, and every request gets its fair share of what it could reach."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from services.matching.domain import flows
from services.matching.domain.allocation import allocate_exact, allocate_fairly, coverage_bound
from services.matching.domain.problem import Problem

CENT = 0.01
STAGE_TWO = pytest.mark.parametrize(
    "lp_pairs", [100_000, 0], ids=["coverage-by-linear-programme", "coverage-by-flow"]
)


@st.composite
def problems(draw: st.DrawFn, with_grant_limits: bool = True) -> Problem:
    requests = draw(st.integers(1, 8))
    windows = draw(st.integers(1, 5))
    pairs = draw(
        st.sets(st.tuples(st.integers(0, requests - 1), st.integers(0, windows - 1)), max_size=25)
    )
    ordered = sorted(pairs)
    count = len(ordered)
    amounts = st.integers(0, 10_000).map(float)
    lower = [
        draw(st.sampled_from([0.0, 0.0, 50.0, 400.0])) if with_grant_limits else 0.0
        for _ in range(count)
    ]
    upper = [
        draw(st.sampled_from([np.inf, np.inf, 2_000.0])) if with_grant_limits else np.inf
        for _ in range(count)
    ]
    return Problem(
        need=np.array([draw(amounts) for _ in range(requests)]),
        capacity=np.array([draw(amounts) for _ in range(windows)]),
        pair_request=np.array([r for r, _ in ordered], dtype=np.int64),
        pair_window=np.array([w for _, w in ordered], dtype=np.int64),
        pair_upper=np.array(upper),
        pair_lower=np.array(lower),
        pair_score=np.array([draw(st.floats(0, 1)) for _ in range(count)]),
        pair_incumbent=np.zeros(count, dtype=bool),
    )


def totals(owner: Any, amounts: Any, size: int) -> Any:
    return np.bincount(owner, weights=amounts, minlength=size)


@STAGE_TWO
@settings(max_examples=150, deadline=None)
@given(problems())
def test_no_window_capacity_need_or_grant_limit_is_ever_exceeded(
    lp_pairs: int, problem: Problem
) -> None:
    result = allocate_fairly(problem, lp_pairs=lp_pairs)
    x = result.amounts

    assert (x >= 0).all()
    assert (totals(problem.pair_window, x, len(problem.capacity)) <= problem.capacity + 1e-9).all()
    assert (totals(problem.pair_request, x, len(problem.need)) <= problem.need + 1e-9).all()
    assert (x <= problem.pair_upper).all()
    assert ((x == 0) | (x >= problem.pair_lower)).all()
    assert np.allclose(x, np.round(x, 2))


@STAGE_TWO
@settings(max_examples=150, deadline=None)
@given(problems(with_grant_limits=False))
def test_every_request_gets_the_floor_share_of_its_reach(lp_pairs: int, problem: Problem) -> None:
    result = allocate_fairly(problem, lp_pairs=lp_pairs)
    received = result.received(problem)
    pairs_of = np.bincount(problem.pair_request, minlength=len(problem.need))
    guaranteed = result.floor * result.reach * problem.need

    assert (received >= guaranteed - CENT * (pairs_of + 1) - 1e-6 * problem.need).all()


@STAGE_TWO
@settings(max_examples=150, deadline=None)
@given(problems(with_grant_limits=False))
def test_the_floor_is_at_least_what_a_proportional_split_guarantees(
    lp_pairs: int, problem: Problem
) -> None:
    result = allocate_fairly(problem, lp_pairs=lp_pairs)

    assert result.floor >= proportional_floor(problem) - 1e-6


@STAGE_TWO
@settings(max_examples=100, deadline=None)
@given(problems())
def test_fairness_never_covers_more_than_the_exact_optimum(lp_pairs: int, problem: Problem) -> None:
    fair, exact = allocate_fairly(problem, lp_pairs=lp_pairs), allocate_exact(problem)

    assert fair.covered <= exact.covered + CENT * problem.pairs + 1e-6
    assert exact.covered <= coverage_bound(problem) + 1e-6
    assert (
        totals(problem.pair_window, exact.amounts, len(problem.capacity)) <= problem.capacity + 1e-9
    ).all()
    assert ((exact.amounts == 0) | (exact.amounts >= problem.pair_lower - 1e-6)).all()


@settings(max_examples=100, deadline=None)
@given(problems(with_grant_limits=False))
def test_without_minimum_grants_the_exact_optimum_reaches_the_bound(problem: Problem) -> None:
    assert allocate_exact(problem).covered == pytest.approx(
        coverage_bound(problem), abs=CENT * problem.pairs + 1e-6
    )


@settings(max_examples=200, deadline=None)
@given(problems())
def test_the_floor_found_by_minimum_cuts_is_the_largest_feasible_share(problem: Problem) -> None:
    """Largest to the unit amounts are counted in: a share two units more for every request
    is not feasible."""
    network = flows.Network.of(problem)
    reach = problem.reach()
    goal = reach * problem.need
    upper, capacity = network.units(problem.upper_bounds()), network.units(problem.capacity)

    def feasible(t: float) -> bool:
        supply = network.units(t * goal)
        flow = network.flow(supply, upper, np.zeros(problem.pairs, np.int64), capacity)
        return bool(flow.result.flow_value >= supply.sum())

    assume(problem.pairs > 0 and (goal > 0).any())  # else allocation does not ask
    floor, given_per_pair = flows.fairness_floor(network, reach)
    received = np.bincount(problem.pair_request, given_per_pair, minlength=len(problem.need))
    two_units_more = 2 * network.unit / goal[goal > 0].min()  # each request asks for 2 more

    assert feasible(floor)
    assert floor == 1.0 or not feasible(floor + two_units_more)
    assert (received >= network.units(floor * goal)).all()


def test_a_small_request_is_not_starved_by_a_large_one() -> None:
    problem = Problem(
        need=np.array([1_000_000.0, 10_000.0]),
        capacity=np.array([500_000.0]),
        pair_request=np.array([0, 1]),
        pair_window=np.array([0, 0]),
        pair_upper=np.full(2, np.inf),
        pair_lower=np.zeros(2),
        pair_score=np.array([1.0, 0.0]),
        pair_incumbent=np.zeros(2, dtype=bool),
    )

    result = allocate_fairly(problem)

    assert result.covered == 500_000.0
    assert result.received(problem)[1] >= 0.5 * 10_000 - CENT


def proportional_floor(problem: Problem) -> float:
    """A feasible common share: each window split among its pairs in proportion to what each
    pair could carry, each request cut back to its need. The optimum floor is no lower."""
    upper = problem.upper_bounds()
    demand = totals(problem.pair_window, upper, len(problem.capacity))
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(demand > 0, np.minimum(problem.capacity / demand, 1.0), 0.0)
    received = np.minimum(
        totals(problem.pair_request, upper * share[problem.pair_window], len(problem.need)),
        problem.need,
    )
    reachable = problem.reach() * problem.need
    served = reachable > 0
    if not served.any():
        return 0.0
    return float(np.min(received[served] / reachable[served]))


def test_the_flow_covers_as_much_when_the_solver_stops_short() -> None:
    problem = Problem(
        need=np.array([5.0, 7.0]),
        capacity=np.array([6.0, 4.0]),
        pair_request=np.array([0, 0, 1, 1]),
        pair_window=np.array([0, 1, 0, 1]),
        pair_upper=np.full(4, np.inf),
        pair_lower=np.zeros(4),
        pair_score=np.full(4, 0.5),
        pair_incumbent=np.zeros(4, dtype=bool),
    )

    stopped = allocate_fairly(problem, time_limit=0.0)

    assert stopped.covered == pytest.approx(allocate_fairly(problem).covered) == 10.0
    assert (stopped.received(problem) >= stopped.floor * stopped.reach * problem.need - 0.01).all()
