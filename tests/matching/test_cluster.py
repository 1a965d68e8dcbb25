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
