"""From scored pairs to clusters, without chaining strangers through one weak link.

Pairs in the ``merge`` band are joined strongest first (union-find). Two groups only join when
  * no record of one holds a valid tax id that differs from a valid tax id in the other (two valid
    different tax ids are two legal entities, whatever the names say),
  * no person rejected any pair across them, and
  * the link between them is strong on average: the mean match probability over every cross pair
    (scored on demand) is at least ``min_average``; one strong edge between two groups that otherwise
    disagree is not enough (average linkage).
Pairs a person approved join first, whatever their score.

The survivor is the record that keeps its id after merging: a valid tax id first, then the most
complete record (most identity fields known), then the lowest id (ints numerically, before strings).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import numpy.typing as npt

from enricher.flowtly.models import RecordId
from enricher.matching.decisions import pair_key
from enricher.matching.records import Prepared
from enricher.matching.results import Cluster

__all__ = ["MAX_CLUSTER", "MIN_AVERAGE", "build_clusters", "survivor_key"]

IntArray = npt.NDArray[np.int64]
PairScorer = Callable[[IntArray, IntArray], npt.NDArray[np.float64]]
MIN_AVERAGE = 0.7
MAX_CLUSTER = 100
"""A group this large is no duplicate set any more; it is split rather than proposed as one merge."""


def survivor_key(record: Prepared) -> tuple[bool, int, tuple[int, int, str]]:
    """Sort key of the survivor rule: valid tax id, then completeness, then lowest id."""
    rid = record.id
    order = (0, rid, "") if isinstance(rid, int) else (1, 0, str(rid))
    return (not record.tin_valid, -record.filled, order)


def _explain_survivor(chosen: Prepared, members: Sequence[Prepared]) -> str:
    reasons = []
    if chosen.tin_valid:
        reasons.append("has a valid tax id")
    filled = chosen.filled
    if filled == max(m.filled for m in members):
        reasons.append(f"is the most complete ({filled} identity fields)")
    reasons.append("lowest id among equals")
    return f"Survivor {chosen.id!r} " + ", ".join(reasons) + "."


def build_clusters(
    records: Sequence[Prepared],
    edges: Sequence[tuple[int, int, float, str]],
    score_pairs: PairScorer,
    *,
    rejected: set[tuple[RecordId, RecordId]] | None = None,
    known: Mapping[tuple[int, int], float] | None = None,
    min_average: float = MIN_AVERAGE,
    max_size: int = MAX_CLUSTER,
) -> list[Cluster]:
    """Clusters of two or more records from ``edges`` (position a, position b, score, reason).

    Edges are taken in the given order (strongest first; approved pairs carry score 1.0). ``known``
    holds already computed scores by (lower, higher) position; other cross pairs are scored on demand.
    """
    known = known or {}
    rejected = rejected or set()
    parent: dict[int, int] = {}
    members: dict[int, list[int]] = {}
    tins: dict[int, set[str]] = {}
    reasons: dict[int, list[str]] = {}

    def find(x: int) -> int:
        root = x
        while parent.get(root, root) != root:
            root = parent[root]
        while x != root:  # path compression
            parent[x], x = root, parent.get(x, x)
        return root

    def ensure(x: int) -> None:
        if x not in parent:
            parent[x] = x
            members[x] = [x]
            record = records[x]
            tins[x] = {f"{record.tin_country}:{record.tin}"} if record.tin_valid else set()
            reasons[x] = []

    for a, b, score, reason in edges:
        ensure(a)
        ensure(b)
        ra, rb = find(a), find(b)
        if ra == rb:
            continue
        if tins[ra] and tins[rb] and not tins[ra] & tins[rb]:
            continue
        ma, mb = members[ra], members[rb]
        if len(ma) + len(mb) > max_size:
            continue
        ids_a = [records[i].id for i in ma]
        ids_b = [records[i].id for i in mb]
        if rejected and any(pair_key(x, y) in rejected for x in ids_a for y in ids_b):
            continue
        if len(ma) + len(mb) > 2 and score < 1.0:
            cross = [(min(x, y), max(x, y)) for x in ma for y in mb]
            scores = [known.get(pair, -1.0) for pair in cross]
            missing = [k for k, value in enumerate(scores) if value < 0]
            if missing:
                left = np.asarray([cross[k][0] for k in missing], dtype=np.int64)
                right = np.asarray([cross[k][1] for k in missing], dtype=np.int64)
                for k, value in zip(missing, score_pairs(left, right), strict=True):
                    scores[k] = float(value)
            if sum(scores) / len(scores) < min_average:
                continue
        if len(ma) < len(mb):
            ra, rb = rb, ra
        parent[rb] = ra
        members[ra].extend(members.pop(rb))
        tins[ra] |= tins.pop(rb)
        reasons[ra].extend(reasons.pop(rb))
        reasons[ra].append(f"{records[a].id!r}–{records[b].id!r} ({score:.2f}: {reason})")

    found: list[tuple[tuple[tuple[int, int, str]], Cluster]] = []
    for root, group in members.items():
        if len(group) < 2:
            continue
        people = sorted((records[i] for i in group), key=survivor_key)
        chosen = people[0]
        links = "; ".join(reasons[root][:5]) + ("; ..." if len(reasons[root]) > 5 else "")
        explanation = (
            f"{len(group)} records linked by strong matches: {links}. {_explain_survivor(chosen, people)}"
        )
        found.append((survivor_key(chosen)[2:], Cluster([p.id for p in people], chosen.id, explanation)))
    found.sort(key=lambda item: item[0])
    return [cluster for _, cluster in found]
