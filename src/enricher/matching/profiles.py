"""Profiles: records with the same normalised identity, matched once.

A register that holds one company hundreds of times ("ALCATEL N.V.", "Alcatel N. V.", "ALCATEL NV")
holds far fewer distinct identities than records once names, tax ids, phones and addresses are
normalised. Every comparison between two records depends only on their normalised values, so two
records with identical values compare identically with everyone: matching compares *profiles* (one per
distinct identity) and expands the result to records. That keeps large groups complete without scoring
every pair inside them, and it keeps term frequencies honest: a value counts once per distinct identity
carrying it, so a company entered a hundred times does not make its own name look common.

Records a person has decided on (approved or rejected pairs) stay profiles of their own, so that a
decision about two identical records is honoured exactly.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from typing import overload

import numpy as np
import numpy.typing as npt

from enricher.matching.records import Prepared
from enricher.records import RecordId

__all__ = ["Members", "Profiles", "build_profiles"]

IntArray = npt.NDArray[np.int64]


class Members(Sequence[list[int]]):
    """Record positions per profile, in input order, as two arrays: the positions grouped by profile
    and where each profile starts. A list per profile took ~110 bytes a profile (1M generated records:
    ~0.9M profiles, ~100 MB in the plan and in the gather, and as long to unpickle); these take 16
    bytes a record. Read a profile at a time (a short list); :attr:`first` for every profile at once."""

    __slots__ = ("_order", "_starts")

    def __init__(self, of_record: IntArray, count: int) -> None:
        self._order = np.argsort(of_record, kind="stable").astype(np.int64, copy=False)
        self._starts = np.zeros(count + 1, dtype=np.int64)
        np.cumsum(np.bincount(of_record, minlength=count), out=self._starts[1:])

    @property
    def first(self) -> IntArray:
        """Each profile's first record (the one that stands for it)."""
        return self._order[self._starts[:-1]]

    @property
    def sizes(self) -> IntArray:
        """Each profile's count of records."""
        return np.diff(self._starts)

    def __len__(self) -> int:
        return len(self._starts) - 1

    @overload
    def __getitem__(self, k: int) -> list[int]: ...

    @overload
    def __getitem__(self, k: slice) -> list[list[int]]: ...

    def __getitem__(self, k: int | slice) -> list[int] | list[list[int]]:
        if isinstance(k, slice):
            return [self[i] for i in range(*k.indices(len(self)))]
        count = len(self)
        if not -count <= k < count:
            raise IndexError(f"profile {k} of {count}")
        k %= count
        return self._order[self._starts[k] : self._starts[k + 1]].tolist()  # type: ignore[no-any-return]

    def __iter__(self) -> Iterator[list[int]]:
        order = self._order.tolist()
        return (order[a:b] for a, b in itertools.pairwise(self._starts.tolist()))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Members | list):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Members({list(self)!r})"


@dataclass(slots=True)
class Profiles:
    """Distinct identities of a register: the records ``members[k]`` share ``representatives[k]``'s values."""

    representatives: list[Prepared]
    members: Members
    """Record positions per profile, in input order."""
    of_record: IntArray
    """Profile index of every record."""

    def __len__(self) -> int:
        return len(self.representatives)

    @property
    def sizes(self) -> IntArray:
        """Records per profile (the members' own count)."""
        return self.members.sizes


def build_profiles(
    records: Sequence[Prepared],
    keep_apart: Collection[RecordId] = (),
    *,
    identities: npt.NDArray[np.uint64] | None = None,
) -> Profiles:
    """Group records by :meth:`Prepared.identity`; records in ``keep_apart`` get a profile each.

    Profiles are numbered in order of their first record. ``identities``: each record's identity as a
    digest (:meth:`~.table.Columns.identities`, from codes the normalising processes made), grouped by
    instead of the identity tuples; every record grouped with another is then checked against its
    profile's first (identical values, not equal digests), and one that differs (a clash of digests, or
    an empty value beside a missing one, which codes alike) groups the register by tuples after all.
    1M generated records: 1.1-1.6 -> 0.7-0.8 s CPU, in the blocking process every other waits for."""
    if identities is not None:
        if len(identities) != len(records):
            raise ValueError(f"{len(identities)} identities for {len(records)} records")
        found = _grouped(records, identities, keep_apart)
        if found is not None:
            return found
    index: dict[object, int] = {}
    setdefault = index.setdefault
    # The identity tuples are made one at a time, not listed (1M records: ~150 MB of tuples).
    if keep_apart:
        of = [
            setdefault(("apart", p) if r.id in keep_apart else r.identity, len(index))
            for p, r in enumerate(records)
        ]
    else:
        of = [setdefault(r.identity, len(index)) for r in records]
    of_record = np.asarray(of, dtype=np.int64).reshape(len(records))
    members = Members(of_record, len(index))
    return Profiles([records[p] for p in members.first.tolist()], members, of_record)


def _grouped(
    records: Sequence[Prepared], identities: npt.NDArray[np.uint64], keep_apart: Collection[RecordId]
) -> Profiles | None:
    """Profiles by identity digests, numbered by first record; None when a group's records differ."""
    apart = (
        np.fromiter((r.id in keep_apart for r in records), dtype=bool, count=len(records))
        if keep_apart
        else np.zeros(len(records), dtype=bool)
    )
    grouped = np.flatnonzero(~apart)
    _, first, inverse = np.unique(identities[grouped], return_index=True, return_inverse=True)
    # Each record kept apart is a group of its own, numbered after the others before renumbering.
    alone = np.flatnonzero(apart)
    firsts = np.concatenate((grouped[first], alone))
    group = np.empty(len(records), dtype=np.int64)
    group[grouped] = inverse.reshape(-1)
    group[alone] = np.arange(len(first), len(firsts))
    number = np.empty(len(firsts), dtype=np.int64)
    number[np.argsort(firsts)] = np.arange(len(firsts))
    of = number[group]
    firsts.sort()
    members = Members(of, len(firsts))
    shared = np.flatnonzero(members.sizes > 1).tolist()
    if not all(_alike(records, members[k]) for k in shared):
        return None
    return Profiles([records[p] for p in firsts.tolist()], members, of)


def _alike(records: Sequence[Prepared], rows: Sequence[int]) -> bool:
    first = records[rows[0]].identity
    return all(records[r].identity == first for r in rows[1:])
