"""Clusters: no chaining through one weak link, split on different valid tax ids, survivor rule."""

from __future__ import annotations

from typing import Any

import numpy as np

from enricher.matching.cluster import build_clusters, survivor_key
from enricher.matching.records import prepare


def rec(rid: Any, **fields: Any) -> Any:
    return prepare({"id": rid, "name": "Acme", **fields})


def table_scorer(scores: dict[tuple[int, int], float]) -> Any:
    def score(left: np.ndarray, right: np.ndarray) -> np.ndarray:
        return np.asarray([scores.get((min(a, b), max(a, b)), 0.0) for a, b in zip(left, right, strict=True)])

    return score


def test_strangers_are_not_chained_through_one_strong_edge() -> None:
    records = [rec(1), rec(2), rec(3), rec(4)]
    # 1-2 strong and 3-4 strong; 2-3 strong too, but 1-3, 1-4, 2-4 are clearly different.
    scores = {(0, 1): 0.999, (2, 3): 0.999, (1, 2): 0.995}
    edges = [(0, 1, 0.999, "x"), (2, 3, 0.999, "x"), (1, 2, 0.995, "x")]
    clusters = build_clusters(records, edges, table_scorer(scores))
    assert sorted(sorted(c.ids) for c in clusters) == [[1, 2], [3, 4]]


def test_a_group_joins_when_every_cross_link_is_strong() -> None:
    records = [rec(1), rec(2), rec(3)]
    scores = {(0, 1): 0.999, (1, 2): 0.998, (0, 2): 0.9}
    edges = [(0, 1, 0.999, "x"), (1, 2, 0.998, "x")]
    clusters = build_clusters(records, edges, table_scorer(scores))
    assert [sorted(c.ids) for c in clusters] == [[1, 2, 3]]


def test_different_valid_tax_ids_split_a_cluster() -> None:
    records = [rec(1, tin="PL5260250995"), rec(2), rec(3, tin="PL7740001454")]
    scores = {(0, 1): 1.0, (1, 2): 1.0, (0, 2): 1.0}
    edges = [(0, 1, 0.999, "x"), (1, 2, 0.999, "x"), (0, 2, 0.999, "x")]
    clusters = build_clusters(records, edges, table_scorer(scores))
    assert len(clusters) == 1
    assert not {1, 3} <= set(clusters[0].ids)


def test_rejected_pairs_never_share_a_cluster() -> None:
    records = [rec(1), rec(2)]
    clusters = build_clusters(records, [(0, 1, 0.999, "x")], table_scorer({}), rejected={(1, 2)})
    assert clusters == []


def test_survivor_valid_tax_id_then_completeness_then_lowest_id() -> None:
    plain = rec(1)
    complete = rec(2, addressCity="Warszawa", addressStreetLine="ul. Prosta 1", addressCountry="PL")
    valid = rec(3, tin="PL5260250995")
    assert sorted([plain, complete, valid], key=survivor_key)[0] is valid
    assert sorted([plain, complete], key=survivor_key)[0] is complete
    assert sorted([rec(10), rec(9)], key=survivor_key)[0].id == 9
    assert sorted([rec("b"), rec(5), rec("a")], key=survivor_key)[0].id == 5  # ints before strings


def test_cluster_explanation_names_links_and_survivor() -> None:
    records = [rec(1, tin="PL5260250995"), rec(2)]
    clusters = build_clusters(records, [(0, 1, 0.999, "Same tax id")], table_scorer({}))
    assert clusters[0].survivor == 1
    assert "Same tax id" in clusters[0].explanation
    assert "Survivor 1" in clusters[0].explanation


def test_cluster_explanation_shows_its_first_five_links_in_the_order_they_joined() -> None:
    records = [rec(k) for k in range(1, 8)]
    edges = [(k, k + 1, 0.99 - k / 100, f"reason {k}") for k in range(6)]
    scores = {(a, b): 0.99 for a in range(7) for b in range(a + 1, 7)}
    (cluster,) = build_clusters(records, edges, table_scorer(scores))
    shown = cluster.explanation.split(": ", 1)[1]
    assert shown.startswith("1–2 (0.99: reason 0); 2–3 (0.98: reason 1); 3–4 (0.97: reason 2); ")
    assert "5–6 (0.95: reason 4); ..." in shown
    assert "reason 5" not in shown


def test_a_node_of_many_identical_records_is_one_cluster_of_any_size() -> None:
    from enricher.matching.profiles import build_profiles

    records = [prepare({"id": k, "name": "ALCATEL N.V." if k % 2 else "Alcatel N. V."}) for k in range(250)]
    profiles = build_profiles(records)
    assert len(profiles) == 1
    members = [[records[r] for r in m] for m in profiles.members]
    (cluster,) = build_clusters(profiles.representatives, [], table_scorer({}), members=members, joined=[0])
    assert sorted(cluster.ids) == list(range(250))  # no size cap: complete
    assert cluster.survivor == 0


def test_large_groups_join_on_a_bounded_sample_of_cross_pairs() -> None:
    from enricher.matching.cluster import SAMPLE

    # Two groups of 40 nodes each; all cross pairs are strong, so the groups join, and the average
    # looks at no more than SAMPLE x SAMPLE of them.
    records = [rec(k) for k in range(80)]
    asked: list[int] = []

    def scorer(left: np.ndarray, right: np.ndarray) -> np.ndarray:
        asked.append(len(left))
        return np.full(len(left), 0.995)

    edges = [(k, k + 1, 0.999, "x") for k in range(39)] + [(40 + k, 41 + k, 0.999, "x") for k in range(39)]
    edges.append((0, 40, 0.995, "x"))
    (cluster,) = build_clusters(records, edges, scorer)
    assert len(cluster.ids) == 80
    assert max(asked) <= SAMPLE * SAMPLE


def test_shared_identifiers_do_not_join_two_independently_named_businesses() -> None:
    from enricher.matching.cluster import Link

    # A hotel's cafe and its dining room, each listed twice (written differently): the cross links
    # rest on the shared phone and address only, so two clusters, and the refusal says why.
    records = [rec(1), rec(2), rec(3), rec(4)]
    edges = [
        Link(0, 1, 0.999, "the names agree"),
        Link(2, 3, 0.999, "the names agree"),
        Link(0, 2, 0.998, "identifiers agree", identifiers_only=True),
    ]
    refusals: dict[tuple[int, int], str] = {}
    clusters = build_clusters(records, edges, table_scorer({}), refusals=refusals)
    assert sorted(sorted(c.ids) for c in clusters) == [[1, 2], [3, 4]]
    assert "two businesses at one address" in refusals[(0, 2)]
    # A single record is no named group: an identifier link may join it (parent - site / site).
    strong = table_scorer({(0, 1): 0.999, (0, 2): 0.998, (1, 2): 0.99})
    clusters = build_clusters(
        records[:3], [edges[0], Link(0, 2, 0.998, "ids", identifiers_only=True)], strong
    )
    assert [sorted(c.ids) for c in clusters] == [[1, 2, 3]]


def test_copies_of_one_record_do_not_make_a_named_group() -> None:
    from enricher.matching.cluster import Link

    # Node 0 stands for two identical records (a copy confirms nothing); node 1 for a pair written
    # differently. The identifier link joins them.
    a, b, c = rec(1), rec(2), rec(3)
    members = [[a, b], [c]]
    clusters = build_clusters(
        [a, c],
        [Link(0, 1, 0.998, "ids", identifiers_only=True)],
        table_scorer({}),
        members=members,
        joined=[0],
    )
    assert [sorted(x.ids) for x in clusters] == [[1, 2, 3]]


def test_profile_clusters_list_records_in_survivor_order_with_the_rule_explained() -> None:
    """Clusters of profiles (several records a node) order their records by the survivor rule, each
    record by its own id; the explanation compares the survivor with the most complete record."""
    from enricher.matching.profiles import build_profiles

    records = [
        rec(7, addressCity="Warszawa"),
        rec("x", tin="PL5260250995"),
        rec(3, addressCity="Warszawa"),
        rec(5),
        rec("a", tin="PL5260250995"),
        rec(4),
        rec(6, addressCity="Warszawa", addressStreetLine="ul. Prosta 1"),
    ]
    profiles = build_profiles(records)
    members = [[records[r] for r in m] for m in profiles.members]
    nodes = profiles.representatives
    edges = [(a, b, 1.0, "x") for a in range(len(nodes)) for b in range(a + 1, len(nodes))]
    (cluster,) = build_clusters(nodes, edges, table_scorer({}), members=members, joined=range(len(nodes)))
    assert cluster.ids == [r.id for r in sorted(records, key=survivor_key)] == ["a", "x", 6, 3, 7, 4, 5]
    assert cluster.survivor == "a"
    assert "has a valid tax id" in cluster.explanation and "most complete" not in cluster.explanation
    (alone,) = build_clusters(nodes[2:], [(0, 1, 1.0, "x")], table_scorer({}), members=members[2:])
    assert alone.survivor == 6 and "is the most complete" in alone.explanation
