"""The in-memory store: order, paging, patches, merges."""

from __future__ import annotations

import pytest

from enricher.flowtly.sandbox.store import Collection, merge_patch, normalize_id


def test_ids_are_normalised() -> None:
    assert normalize_id("/counterparties/12") == 12
    assert normalize_id("12") == 12
    assert normalize_id("abc-1") == "abc-1"
    assert normalize_id(None) is None


def test_load_keeps_ids_and_assigns_missing_ones() -> None:
    coll = Collection("counterparties")
    coll.load(
        [{"id": 5}, {"@id": "/counterparties/9", "@type": "Counterparty"}, {"name": "no id"}, {"id": "x"}]
    )
    assert coll.ids() == [5, 9, 10, "x"]
    assert coll.get(9) == {"id": 9}  # JSON-LD keys are not stored
    assert coll.create({"id": 1, "name": "new"})["id"] == 11


def test_replacing_keeps_the_order() -> None:
    coll = Collection("counterparties")
    coll.load([{"id": 1}, {"id": 2}, {"id": 3}])
    coll.put({"id": 2, "name": "two"})
    assert [r["id"] for r in coll.page(0, 10)] == [1, 2, 3]


def test_pages_follow_deletes() -> None:
    coll = Collection("counterparties")
    coll.load({"id": i} for i in range(1, 11))
    assert [r["id"] for r in coll.page(3, 3)] == [4, 5, 6]
    assert coll.delete(5) and not coll.delete(5)
    assert [r["id"] for r in coll.page(3, 3)] == [4, 6, 7]
    coll.create({})
    assert [r["id"] for r in coll.page(8, 5)] == [10, 11]


def test_page_returns_copies() -> None:
    coll = Collection("counterparties")
    coll.load([{"id": 1, "name": "a"}])
    coll.page(0, 1)[0]["name"] = "changed"
    assert coll.get(1) == {"id": 1, "name": "a"}


def test_merge_patch_rules() -> None:
    target = {"a": 1, "o": {"x": 1, "y": 2}, "n": "keep"}
    merge_patch(target, {"a": None, "o": {"y": 3, "z": {"deep": True}}, "new": [1]})
    assert target == {"a": None, "o": {"x": 1, "y": 3, "z": {"deep": True}}, "n": "keep", "new": [1]}


def test_merge_fills_only_missing_values() -> None:
    coll = Collection("counterparties")
    coll.load(
        [
            {"id": 1, "name": "Keep", "tin": None, "logoUrl": "", "email": "a@x.example"},
            {
                "id": 2,
                "name": "Other",
                "tin": "123",
                "logoUrl": "https://l.example/a.png",
                "email": None,
                "x": 1,
            },
        ]
    )
    survivor = coll.merge(1, "/counterparties/2")
    assert survivor == {
        "id": 1,
        "name": "Keep",
        "tin": "123",
        "logoUrl": "https://l.example/a.png",
        "email": "a@x.example",
        "x": 1,
    }
    assert 2 not in coll
    with pytest.raises(KeyError):
        coll.merge(1, 2)
    with pytest.raises(ValueError, match="itself"):
        coll.merge(1, "1")
