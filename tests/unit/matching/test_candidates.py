"""Each request's best candidate windows: the choice by partition gives exactly what a full sort
by score, then by the fixed spread of ties, would give."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from services.matching.domain.candidates import top_of_rows


def _by_sorting(ranked: np.ndarray, count: int, spread: np.ndarray) -> np.ndarray:
    chosen = np.zeros(ranked.shape, dtype=bool)
    top = np.lexsort((spread, -ranked), axis=1)[:, :count]
    np.put_along_axis(chosen, top, True, axis=1)
    return chosen


@settings(max_examples=200, deadline=None)
@given(
    rows=st.integers(1, 6),
    columns=st.integers(2, 40),
    count=st.integers(1, 20),
    levels=st.integers(1, 4),
    seed=st.integers(0, 2**32 - 1),
)
def test_the_best_of_each_row_are_those_a_sort_would_take(
    rows: int, columns: int, count: int, levels: int, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    count = min(count, columns - 1)
    ranked = rng.integers(0, levels, (rows, columns)).astype(float) / levels  # many ties
    ranked[rng.random((rows, columns)) < 0.3] = -np.inf  # not eligible
    spread = rng.permutation(rows * columns).astype(np.uint64).reshape(rows, columns)

    assert (top_of_rows(ranked, count, spread) == _by_sorting(ranked, count, spread)).all()
