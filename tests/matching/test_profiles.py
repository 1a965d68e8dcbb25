"""Profiles: records with identical normalised values are one profile; decided records stay apart."""

from __future__ import annotations

import numpy as np

from enricher.matching.profiles import build_profiles
from enricher.matching.records import Prepared, prepare


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


def _identities(records: list[Prepared]) -> np.ndarray:
    from enricher.matching.table import Columns, column_part

    return Columns.of(column_part(records)).identities()


def test_profiles_by_the_columns_identity_digests_are_the_profiles_by_tuples() -> None:
    import dataclasses

    from enricher.matching.records import IDENTITY_FIELDS
    from enricher.sample import generate

    records = [prepare(r) for r, _ in generate(600, seed=11)]
    assert all(r.identity == tuple(getattr(r, name) for name in IDENTITY_FIELDS) for r in records)
    records += [dataclasses.replace(r, id=f"copy-{r.id}") for r in records[::3]]  # identical values
    decided = {records[0].id, records[3].id, "copy-" + str(records[3].id)}
    for apart in ((), decided):
        by_tuples = build_profiles(records, keep_apart=apart)
        by_digests = build_profiles(records, keep_apart=apart, identities=_identities(records))
        assert by_digests.members == by_tuples.members
        assert by_digests.of_record.tolist() == by_tuples.of_record.tolist()
        assert by_digests.of_record.dtype == np.int64
        assert [r.id for r in by_digests.representatives] == [r.id for r in by_tuples.representatives]
        assert max(len(m) for m in by_digests.members) > 1


def test_records_whose_digests_agree_but_values_differ_are_grouped_by_their_values() -> None:
    import dataclasses

    import pytest

    one = prepare({"id": 1, "name": "Beta Sp. z o.o.", "addressStreetLine": "Polna 1"})
    # An empty street codes as a missing one: equal digests, different values.
    records = [one, dataclasses.replace(one, id=2, street=""), dataclasses.replace(one, id=3, street=None)]
    records.append(dataclasses.replace(one, id=4))
    clash = np.asarray([7, 7, 7, 7], dtype=np.uint64)  # as if every digest clashed
    for identities in (_identities(records), clash):
        profiles = build_profiles(records, identities=identities)
        assert profiles.members == [[0, 3], [1], [2]]
    with pytest.raises(ValueError, match="3 identities for 4 records"):
        build_profiles(records, identities=clash[:3])


def test_members_are_read_a_profile_at_a_time_from_two_arrays() -> None:
    import tracemalloc

    import pytest

    from enricher.matching.profiles import Members

    members = Members(np.array([0, 1, 0, 1, 2, 0], dtype=np.int64), 3)
    assert members == [[0, 2, 5], [1, 3], [4]] and list(members) == [[0, 2, 5], [1, 3], [4]]
    assert members[0] == [0, 2, 5] and members[-1] == [4] and members[1:] == [[1, 3], [4]]
    assert members.first.tolist() == [0, 1, 4] and members.sizes.tolist() == [3, 2, 1]
    assert len(members) == 3 and members != [[0], [1], [2]] and members != "not members"
    for outside in (3, -4):
        with pytest.raises(IndexError, match="of 3"):
            members[outside]
    assert Members(np.zeros(0, dtype=np.int64), 0) == []
    # 100k profiles of one record each hold ~16 bytes a record (a list each took ~110).
    tracemalloc.start()
    try:
        many = Members(np.arange(100_000, dtype=np.int64), 100_000)
        held = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert len(many) == 100_000 and many[99_999] == [99_999]
    assert held < 100_000 * 20
