"""The allocation as a flow network, for scipy's maximum-flow solver. Pure, no I/O.

    source --need share--> request --pair limit--> window --capacity--> sink

`fairness_floor` finds the largest common share `t` of their reach that every request can receive
at once: a share is feasible exactly when the maximum flow saturates every request's edge, and
each infeasible share's minimum cut gives the next, lower guess (Newton's method), so a handful of
maximum flows finds it. `augment` then adds the most flow it
can on top of a feasible one without lowering any request: the residual network has no edge back
to the source, so no request loses what it was given. Both run in seconds for a million pairs
where the same linear programmes take minutes.

scipy's maximum flow wants 32-bit integer capacities: amounts are counted in a `unit` (a cent,
or as many cents as keep the whole network's capacity below a billion units).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import breadth_first_order, maximum_flow

from services.matching.domain.problem import Problem, Vector

Counts = np.ndarray[Any, np.dtype[np.int64]]
Bools = np.ndarray[Any, np.dtype[np.bool_]]
MAX_UNITS = 1_000_000_000
BISECTION_STEPS = 25
NEWTON_STEPS = 30


@dataclass(frozen=True)
class Network:
    """The problem's nodes and edges, in units."""

    problem: Problem
    unit: float

    @classmethod
    def of(cls, problem: Problem) -> Network:
        total = float(problem.need.sum() + problem.capacity.sum())
        return cls(problem, max(0.01, math.ceil(total / MAX_UNITS * 100) / 100))

    def units(self, amounts: Vector) -> Counts:
        return np.floor(amounts / self.unit + 1e-9).astype(np.int64)

    @property
    def size(self) -> int:
        return len(self.problem.need) + len(self.problem.capacity) + 2

    def _nodes(self) -> tuple[Counts, Counts, int]:
        n = len(self.problem.need)
        return (
            1 + np.arange(n),
            1 + n + np.arange(len(self.problem.capacity)),
            self.size - 1,
        )

    def flow(self, supply: Counts, pair: Counts, back: Counts, capacity: Counts) -> Flow:
        """The maximum flow with these capacities: source to each request, along each pair
        (and back along it, to reroute), and from each window to the sink."""
        order, indices, indptr = self._edges
        data = np.concatenate([supply, pair, back, capacity]).astype(np.int32)[order]
        graph = sparse.csr_matrix((data, indices, indptr), shape=(self.size, self.size))
        graph.has_sorted_indices = True
        return Flow(graph, maximum_flow(graph, 0, self.size - 1, method="dinic"))

    @cached_property
    def _edges(self) -> tuple[Counts, Counts, Counts]:
        """The graph's shape, the same in every flow of the network: the order that sorts the
        edges (source to requests, pairs, pairs back, windows to sink) by tail and head, and
        the compressed rows of the sorted edges. Built once, so each flow only sets capacities."""
        requests, windows, sink = self._nodes()
        p = self.problem
        source, sink_side = np.zeros(len(requests), np.int64), np.full(len(windows), sink)
        forward, backward = requests[p.pair_request], windows[p.pair_window]
        tails = np.concatenate([source, forward, backward, windows])
        heads = np.concatenate([requests, backward, forward, sink_side])
        order = np.argsort(tails * self.size + heads, kind="stable")  # by tail, then head
        indptr = np.zeros(self.size + 1, np.int64)
        np.cumsum(np.bincount(tails, minlength=self.size), out=indptr[1:])
        return order, heads[order], indptr

    def pair_flow(self, flow: Flow) -> Counts:
        requests, windows, _ = self._nodes()
        p = self.problem
        flows = flow.result.flow.tocsr()
        net = np.asarray(flows[requests[p.pair_request], windows[p.pair_window]]).ravel()
        positive: Counts = np.maximum(net, 0).astype(np.int64)
        return positive

    def cut(self, flow: Flow, upper: Counts, capacity: Counts) -> tuple[Bools, int]:
        """A minimum cut of the flow: which requests are on the source's side (reachable in
        the residual network), and what the cut's edges other than the source's carry (the
        pairs from those requests to windows across, and those windows' edges to the sink)."""
        residual = (flow.graph - flow.result.flow).tocsr()
        residual.data = (residual.data > 0).astype(np.int8)
        residual.eliminate_zeros()
        reached = np.zeros(self.size, dtype=bool)
        reached[breadth_first_order(residual, 0, directed=True, return_predecessors=False)] = True
        requests, windows, _ = self._nodes()
        p = self.problem
        request_side, window_side = reached[requests], reached[windows]
        across = request_side[p.pair_request] & ~window_side[p.pair_window]
        return request_side, int(upper[across].sum() + capacity[window_side].sum())


@dataclass(frozen=True)
class Flow:
    graph: sparse.csr_matrix
    result: Any


def fairness_floor(network: Network, reach: Vector) -> tuple[float, Counts]:
    """The largest `t` every request can receive `t * reach * need` of, and a flow per pair
    that gives it.

    Newton's method on the parametric network (Gallo, Grigoriadis and Tarjan): when share `t`
    is not feasible, the minimum cut the flow leaves bounds every feasible share, as the
    requests on its source's side can pass no more than the cut's other edges carry; the
    share that fills that cut exactly is the next guess. The guesses fall to the largest
    feasible share in a few flows; bisection finishes should rounding to units stall them."""
    p = network.problem
    upper = network.units(p.upper_bounds())
    capacity = network.units(p.capacity)
    no_back = np.zeros(p.pairs, np.int64)
    goal = reach * p.need

    def feasible(t: float) -> Counts | None:
        supply = network.units(t * goal)
        flow = network.flow(supply, upper, no_back, capacity)
        return network.pair_flow(flow) if flow.result.flow_value >= supply.sum() else None

    t = 1.0
    for _ in range(NEWTON_STEPS):
        supply = network.units(t * goal)
        flow = network.flow(supply, upper, no_back, capacity)
        if flow.result.flow_value >= supply.sum():
            return t, network.pair_flow(flow)
        side, carried = network.cut(flow, upper, capacity)
        wanted = float(goal[side].sum())
        guess = carried * network.unit / wanted if wanted > 0 else t
        if not guess < t:
            break
        t = guess
    return _bisection(feasible, t)


def _bisection(feasible: Callable[[float], Counts | None], high: float) -> tuple[float, Counts]:
    """The largest feasible share below `high`, to `BISECTION_STEPS` halvings."""
    best, low = feasible(0.0), 0.0
    assert best is not None  # nothing asked is always feasible
    for _ in range(BISECTION_STEPS):
        middle = (low + high) / 2
        if (found := feasible(middle)) is not None:
            low, best = middle, found
        else:
            high = middle
    return low, best


def augment(network: Network, given: Counts) -> Counts:
    """The most flow on top of `given` that lowers no request: the residual network, without
    edges back to the source."""
    p = network.problem
    received = np.bincount(p.pair_request, weights=given, minlength=len(p.need)).astype(np.int64)
    used = np.bincount(p.pair_window, weights=given, minlength=len(p.capacity)).astype(np.int64)
    supply = np.maximum(network.units(p.need) - received, 0)
    upper = network.units(p.upper_bounds())
    capacity = np.maximum(network.units(p.capacity) - used, 0)
    flow = network.flow(supply, np.maximum(upper - given, 0), given, capacity)
    requests, windows, _ = network._nodes()
    flows = flow.result.flow.tocsr()
    forward = np.asarray(flows[requests[p.pair_request], windows[p.pair_window]]).ravel()
    total: Counts = given + forward.astype(np.int64)
    return total
