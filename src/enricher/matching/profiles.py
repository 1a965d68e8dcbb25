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

from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from enricher.matching.records import Prepared
from enricher.records import RecordId

__all__ = ["Profiles", "build_profiles"]

IntArray = npt.NDArray[np.int64]


@dataclass(slots=True)
class Profiles:
    """Distinct identities of a register: the records ``members[k]`` share ``representatives[k]``'s values."""

    representatives: list[Prepared]
    members: list[list[int]]
    """Record positions per profile, in input order."""
    of_record: IntArray
    """Profile index of every record."""

    def __len__(self) -> int:
        return len(self.representatives)

    @property
    def sizes(self) -> IntArray:
        """Records per profile (a count of ``of_record``: 1M records, ~0.1 s of len() per list -> 5 ms)."""
        return np.bincount(self.of_record, minlength=len(self.members)).astype(np.int64, copy=False)


def build_profiles(records: Sequence[Prepared], keep_apart: Collection[RecordId] = ()) -> Profiles:
    """Group records by :meth:`Prepared.identity`; records in ``keep_apart`` get a profile each.

    Profiles are numbered in order of their first record (1M records: 1.1 -> 1.0 s CPU, one dict
    ``setdefault`` per record and no numpy item writes)."""
    index: dict[tuple[object, ...], int] = {}
    setdefault = index.setdefault
    if keep_apart:
        keys = [r.identity if r.id not in keep_apart else ("apart", p) for p, r in enumerate(records)]
        of = [setdefault(key, len(index)) for key in keys]
    else:
        of = [setdefault(r.identity, len(index)) for r in records]
    members: list[list[int]] = [[] for _ in range(len(index))]
    for position, found in enumerate(of):
        members[found].append(position)
    representatives = [records[m[0]] for m in members]
    return Profiles(representatives, members, np.asarray(of, dtype=np.int64).reshape(len(records)))
