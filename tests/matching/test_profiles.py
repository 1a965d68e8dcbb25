"""Profiles: records with identical normalised values are one profile; decided records stay apart."""

from __future__ import annotations

import numpy as np

from enricher.matching.profiles import build_profiles
from enricher.matching.records import prepare


def test_profiles_group_identical_records_in_order_of_first_record() -> None:
    names = ["Beta Sp. z o.o.", "ALCATEL N.V.", "Beta sp. z o. o.", "Alcatel N. V.", "Gamma"]
    names.append("Beta Sp. z o.o.")
    records = [prepare({"id": k, "name": n}) for k, n in enumerate(names)]
    profiles = build_profiles(records)
    assert profiles.members == [[0, 2, 5], [1, 3], [4]]
    assert [r.id for r in profiles.representatives] == [0, 1, 4]
    assert profiles.of_record.tolist() == [0, 1, 0, 1, 2, 0]
    assert profiles.sizes.tolist() == [3, 2, 1] and profiles.sizes.dtype == np.int64
    # A record a person decided on is a profile of its own, numbered where it comes.
    apart = build_profiles(records, keep_apart={2})
    assert apart.members == [[0, 5], [1, 3], [2], [4]]
    assert apart.of_record.tolist() == [0, 1, 2, 1, 3, 0]
    empty = build_profiles([])
    assert len(empty) == 0 and empty.of_record.dtype == np.int64 and len(empty.sizes) == 0
