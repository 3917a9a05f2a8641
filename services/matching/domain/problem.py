"""The allocation problem: needs, capacities and the eligible pairs between them, as arrays.

Both ways of solving it read it: the linear programmes (`allocation`) and the flows (`flows`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

Vector = np.ndarray[Any, np.dtype[np.float64]]
Indices = np.ndarray[Any, np.dtype[np.int64]]


@dataclass(frozen=True)
class Problem:
    """Needs, capacities and the eligible pairs between them, in one currency unit."""

    need: Vector
    capacity: Vector
    pair_request: Indices
    pair_window: Indices
    pair_upper: Vector
    pair_lower: Vector
    pair_score: Vector
    pair_incumbent: np.ndarray[Any, np.dtype[np.bool_]]

    @property
    def pairs(self) -> int:
        return len(self.pair_request)

    def upper_bounds(self) -> Vector:
        """What a pair can carry at most: the grant limit, the need, the window's capacity; and
        nothing when that is below the source's minimum grant."""
        bound = np.minimum(self.pair_upper, self.need[self.pair_request])
        bound = np.minimum(bound, self.capacity[self.pair_window])
        usable: Vector = np.where(self.pair_lower > bound, 0.0, bound)  # the minimum cannot fit
        return usable

    def reach(self) -> Vector:
        """The share of each request's need its pairs could cover without competition."""
        alone = np.bincount(
            self.pair_request, weights=self.upper_bounds(), minlength=len(self.need)
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(self.need > 0, alone / self.need, 0.0)
        reach: Vector = np.minimum(share, 1.0)
        return reach

    def without(self, dropped: np.ndarray[Any, np.dtype[np.bool_]]) -> Problem:
        """The same problem with some pairs closed (their upper bound set to zero)."""
        return replace(self, pair_upper=np.where(dropped, 0.0, self.pair_upper))
