"""Bands: the merge rules' helpers."""

from __future__ import annotations

import numpy as np

from enricher.matching.bands import levels_in


def test_levels_in_is_isin_for_every_level_and_value_set() -> None:
    levels = np.arange(-1, 15, dtype=np.int8).repeat(3).reshape(-1, 2)  # every level, in a strided column
    for values in [(), (0,), (-1,), (0, 1, 2), (14, -1, 3), tuple(range(-1, 15))]:
        for column in (levels[:, 0], levels[:, 1]):
            assert np.array_equal(levels_in(column, values), np.isin(column, values)), values
    wide = np.arange(-300, 300, dtype=np.int64)  # not levels: isin's answer, not the byte table's
    assert np.array_equal(levels_in(wide, (1, 257)), np.isin(wide, (1, 257)))  # type: ignore[arg-type]
