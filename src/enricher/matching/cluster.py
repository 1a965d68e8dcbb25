"""From scored pairs to clusters, complete at any size, without chaining strangers through one weak link.

Nodes are profiles (records with identical normalised values, see :mod:`.profiles`) or single records.
A node whose own records are a merge (``joined``) starts as one group with all of them, so a company
entered hundreds of times is one cluster without scoring every pair inside it. Pairs in the ``merge``
band are then joined strongest first (union-find). Two groups only join when
  * no record of one holds a valid tax id that differs from a valid tax id in the other (two valid
    different tax ids are two legal entities, whatever the names say),
  * no person rejected any pair across them, and
  * the link between them is strong on average: the mean match probability over the cross pairs of
    the two groups' heaviest nodes (at most ``SAMPLE`` a side, weighted by how many records each node
    stands for) is at least ``min_average``; one strong edge between two groups that otherwise
    disagree is not enough (average linkage, bounded so that a large group costs no more than a small one).
Pairs a person approved join first, whatever their score. There is no size limit: clusters are complete.

The survivor is the record that keeps its id after merging: a valid tax id first, then the most
complete record (most identity fields known), then the lowest id (ints numerically, before strings).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from enricher.matching.records import Prepared
from enricher.matching.results import Cluster
from enricher.records import RecordId, id_order, pair_key

__all__ = [
    "MIN_AVERAGE",
    "SAME_ANSWER",
    "SAMPLE",
    "Link",
    "build_clusters",
    "cluster_links",
    "survivor",
    "survivor_key",
]


class Link(NamedTuple):
    """A merge-band pair between two nodes, and whether only shared identifiers carry it (the names
    share no more than a distinctive part: see ``engine.merge_reasons``)."""

    a: int
    b: int
    score: float
    reason: str
    identifiers_only: bool = False


IntArray = npt.NDArray[np.int64]
PairScorer = Callable[[IntArray, IntArray], npt.NDArray[np.float64]]
MIN_AVERAGE = 0.7
SAMPLE = 16
"""Heaviest nodes per group that the average-linkage check compares (at most SAMPLE² cross pairs)."""


SAME_ANSWER = "a person said they are the same"
"""Why a pair a person approved links its records."""


def survivor_key(record: Prepared) -> tuple[bool, int, tuple[int, int, str]]:
    """Sort key of the survivor rule: valid tax id, then completeness, then lowest id."""
    return (not record.tin_valid, -record.filled, id_order(record.id))


def survivor(records: Iterable[Prepared]) -> RecordId:
    """The record that keeps its id when ``records`` are merged: the survivor rule, wherever it is asked."""
    return min(records, key=survivor_key).id


def cluster_links(
    nodes: Sequence[Prepared],
    links: Iterable[Link],
    answers: Iterable[tuple[RecordId, RecordId, bool]],
    score_pairs: PairScorer,
    *,
    members: Sequence[Sequence[Prepared]] | None = None,
    joined: Collection[int] = (),
    known: Mapping[tuple[int, int], float] | None = None,
    refusals: dict[tuple[int, int], str] | None = None,
    weights: Sequence[int] | None = None,
    filled: Sequence[int] | None = None,
) -> list[Cluster]:
    """Clusters from merge-band ``links`` and people's ``answers`` (a, b, same?): the one place where
    scored pairs become clusters, for a full match and for pairs recorded by its chunk tasks alike.

    A "same" answer links its records first (score 1.0); a "different" answer keeps their groups apart.
    Answers name records; only records that are nodes of their own (not inside a larger profile: a
    decided record always is) are looked up. Then :func:`build_clusters`, strongest link first.
    """
    answers = list(answers)
    node_of = (  # only asked with answers (1M records: a dict of 1M ids, 0.11-0.12 s)
        {node.id: k for k, node in enumerate(nodes) if members is None or len(members[k]) == 1}
        if answers
        else {}
    )
    edges: list[Link] = []
    rejected: set[tuple[RecordId, RecordId]] = set()
    for a, b, same in answers:
        if a in node_of and b in node_of:
            if same:
                edges.append(Link(node_of[a], node_of[b], 1.0, SAME_ANSWER))
            else:
                rejected.add(pair_key(a, b))
    edges.extend(links)
    edges.sort(key=lambda e: -e.score)  # stable: approvals first among equal scores
    return build_clusters(
        nodes,
        edges,
        score_pairs,
        members=members,
        joined=joined,
        rejected=rejected,
        known=known,
        refusals=refusals,
        weights=weights,
        filled=filled,
    )


def _first(
    item: tuple[tuple[bool, int, tuple[int, int, str]], Prepared],
) -> tuple[bool, int, tuple[int, int, str]]:
    return item[0]


def _explain_survivor(chosen: Prepared, filled: int, most_filled: int) -> str:
    """Why ``chosen`` (with ``filled`` identity fields known) survives, among records whose most
    identity fields known are ``most_filled``."""
    reasons = []
    if chosen.tin_valid:
        reasons.append("has a valid tax id")
    if filled == most_filled:
        reasons.append(f"is the most complete ({filled} identity fields)")
    reasons.append("lowest id among equals")
    return f"Survivor {chosen.id!r} " + ", ".join(reasons) + "."


def build_clusters(
    nodes: Sequence[Prepared],
    edges: Sequence[Link | tuple[int, int, float, str]],
    score_pairs: PairScorer,
    *,
    members: Sequence[Sequence[Prepared]] | None = None,
    joined: Collection[int] = (),
    rejected: set[tuple[RecordId, RecordId]] | None = None,
    known: Mapping[tuple[int, int], float] | None = None,
    min_average: float = MIN_AVERAGE,
    refusals: dict[tuple[int, int], str] | None = None,
    weights: Sequence[int] | None = None,
    filled: Sequence[int] | None = None,
) -> list[Cluster]:
    """Clusters of two or more records from ``edges`` (node a, node b, score, reason) between ``nodes``.

    ``members[k]`` are the records node ``k`` stands for (default: the node itself); nodes in ``joined``
    start as one group of all their members. Edges are taken in the given order (strongest first;
    approved pairs carry score 1.0). ``known`` holds already computed scores by (lower, higher) node;
    other cross pairs are scored on demand with ``score_pairs`` (node positions). ``refusals``, when
    given, receives why each edge that did not join its groups was refused, by (a, b). ``weights`` (each
    node's count of ``members``) and ``filled`` (each node's :attr:`~.records.Prepared.filled`), when
    known already: a 1M register's clustering asked ~0.9M times for one and ~0.5M for the other.
    """
    refused_because = refusals if refusals is not None else {}
    known = known or {}
    rejected = rejected or set()
    refused = {x for pair in rejected for x in pair}
    parent: dict[int, int] = {}
    nodes_of: dict[int, list[int]] = {}
    sample: dict[int, list[tuple[int, int]]] = {}
    """Per group: its heaviest nodes as (-weight, node), so that merging two samples is a plain sort."""
    tins: dict[int, frozenset[str]] = {}
    vetoes: dict[int, frozenset[RecordId]] = {}
    reasons: dict[int, list[str | tuple[int, int, float, str]]] = {}
    """Per group: why its nodes joined, as (a, b, score, reason) per link: only the first few are shown,
    so their sentences are made at the end (1M records: 350k links, 180k clusters)."""
    named: dict[int, bool] = {}
    """Per group: whether two differently written records in it agree on the name. Copies of one
    record (a profile's members) confirm nothing; an independent record naming the same business does."""

    def records_of(x: int) -> Sequence[Prepared]:
        return members[x] if members is not None else (nodes[x],)

    def weight(x: int) -> int:
        if weights is not None:
            return weights[x]
        return len(members[x]) if members is not None else 1

    def find(x: int) -> int:
        root = x
        while parent.get(root, root) != root:
            root = parent[root]
        while x != root:  # path compression
            parent[x], x = root, parent.get(x, x)
        return root

    no_tins: frozenset[str] = frozenset()
    no_vetoes: frozenset[RecordId] = frozenset()

    def ensure(x: int) -> None:
        # Most nodes hold no valid tax id and no rejected record: they share one empty frozenset (a
        # merge replaces a root's set by the union, never changing a shared one).
        parent[x] = x
        nodes_of[x] = [x]
        sample[x] = [(-weight(x), x)]
        node = nodes[x]  # a node's records share its values: its tax id is theirs
        tins[x] = frozenset((f"{node.tin_country}:{node.tin}",)) if node.tin_valid else no_tins
        vetoes[x] = frozenset(r.id for r in records_of(x) if r.id in refused) if refused else no_vetoes
        reasons[x] = []
        named[x] = False

    def average(ra: int, rb: int) -> float:
        cross = [(min(x, y), max(x, y), wx * wy) for wx, x in sample[ra] for wy, y in sample[rb]]
        scores = [known.get((x, y), -1.0) for x, y, _ in cross]
        missing = [k for k, value in enumerate(scores) if value < 0]
        if missing:
            left = np.asarray([cross[k][0] for k in missing], dtype=np.int64)
            right = np.asarray([cross[k][1] for k in missing], dtype=np.int64)
            for k, value in zip(missing, score_pairs(left, right), strict=True):
                scores[k] = float(value)
        # The weights are both negative (see ``sample``): their product is the pairs' weight.
        return sum(s * w for s, (_, _, w) in zip(scores, cross, strict=True)) / sum(w for _, _, w in cross)

    for x in joined:
        if x not in parent:
            ensure(x)
        if len(records_of(x)) > 1:
            reasons[x].append(f"{len(records_of(x))} records with the same normalised name and details")

    for edge in edges:
        # A plain 4-tuple edge is not identifiers-only (Link's default); no Link is built per edge.
        a, b, score, reason, identifiers_only = edge if len(edge) == 5 else (*edge, False)
        if a not in parent:
            ensure(a)
        if b not in parent:
            ensure(b)
        ra, rb = find(a), find(b)
        if ra == rb:
            continue
        why = ""
        if tins[ra] and tins[rb] and not tins[ra] & tins[rb]:
            why = "the groups hold different valid tax ids"
        elif (
            vetoes[ra]
            and vetoes[rb]
            and any(pair_key(x, y) in rejected for x in vetoes[ra] for y in vetoes[rb])
        ):
            why = "a person rejected a pair across the groups"
        elif identifiers_only and named[ra] and named[rb]:
            # Each side is a name confirmed by a second record: two businesses at one address (a
            # hotel's restaurants, a group's companies), which a shared phone does not make one.
            why = "each side is a different name confirmed by another record: two businesses at one address"
        elif (len(nodes_of[ra]) > 1 or len(nodes_of[rb]) > 1) and score < 1.0:
            mean = average(ra, rb)
            if mean < min_average:
                why = f"the groups agree only {mean:.2f} on average (one strong link is not enough)"
        if why:
            refused_because[(a, b)] = why
            continue
        if len(nodes_of[ra]) < len(nodes_of[rb]):
            ra, rb = rb, ra
        parent[rb] = ra
        nodes_of[ra].extend(nodes_of.pop(rb))
        merged = sample[ra] + sample.pop(rb)
        merged.sort()  # heaviest first, then by node: (-weight, node)
        sample[ra] = merged[:SAMPLE]
        if more_tins := tins.pop(rb):
            tins[ra] = tins[ra] | more_tins
        if more_vetoes := vetoes.pop(rb):
            vetoes[ra] = vetoes[ra] | more_vetoes
        named[ra] = named.pop(rb) or named[ra] or not identifiers_only
        reasons[ra].extend(reasons.pop(rb))
        reasons[ra].append((a, b, score, reason))

    def link_sentence(why: str | tuple[int, int, float, str]) -> str:
        if isinstance(why, str):
            return why
        a, b, score, reason = why
        return f"{nodes[a].id!r}–{nodes[b].id!r} ({score:.2f}: {reason})"

    found: list[tuple[tuple[int, int, str], Cluster]] = []
    for root, group in nodes_of.items():
        if len(group) == 1 and (members is None or len(members[root]) < 2):
            continue  # one record: no cluster
        # A node's records share its values (see ``ensure``): the survivor rule's first two parts are
        # the node's, computed once per node rather than once per record, twice (300k generated:
        # `filled` was 370k calls, a third of the clustering time).
        keyed: list[tuple[tuple[bool, int, tuple[int, int, str]], Prepared]] = []
        most_filled = 0
        for x in group:
            node = nodes[x]
            known_fields = node.filled if filled is None else filled[x]
            most_filled = max(most_filled, known_fields)
            valid = not node.tin_valid
            keyed.extend(((valid, -known_fields, id_order(r.id)), r) for r in records_of(x))
        keyed.sort(key=_first)
        if len(keyed) < 2:
            continue
        key, chosen = keyed[0]
        joins = reasons[root]
        links = "; ".join(map(link_sentence, joins[:5])) + ("; ..." if len(joins) > 5 else "")
        explanation = f"{len(keyed)} records linked by strong matches: {links}. " + _explain_survivor(
            chosen, -key[1], most_filled
        )
        found.append((key[2], Cluster([r.id for _, r in keyed], chosen.id, explanation)))
    found.sort(key=lambda item: item[0])
    return [cluster for _, cluster in found]
