"""MatchIndex: one record's candidates without rescoring the register, kept current on change."""

from __future__ import annotations

import time
from typing import Any

import pytest

from enricher.matching import InMemoryDecisions, MatchIndex, match

from ._register import REGISTER


def test_upsert_finds_the_duplicates_of_a_new_record() -> None:
    index = MatchIndex.build(REGISTER)
    found = index.upsert({"id": 100, "name": "Budimex Spółka Akcyjna", "vatNumber": "PL5260250995"})
    assert {c.b for c in found if c.band == "merge"} == {4, 5}
    assert all(c.a == 100 for c in found)
    assert 100 in index and len(index) == len(REGISTER) + 1


def test_index_agrees_with_batch_match() -> None:
    index = MatchIndex.build(REGISTER)
    batch = {frozenset({c.a, c.b}): c.band for c in match(REGISTER).candidates}
    for record in REGISTER:
        prepared = index.get(record["id"])
        assert prepared is not None
        for candidate in index.candidates(prepared):
            assert batch.get(frozenset({candidate.a, candidate.b})) == candidate.band


def test_changed_record_is_refiled_under_its_new_keys() -> None:
    index = MatchIndex.build(REGISTER)
    changed = dict(
        REGISTER[13],
        name="Totally Different Diner",
        addressPhoneNumber="310-000-0000",
        addressStreetLine="1 Other St.",
    )
    assert not [c for c in index.upsert(changed) if c.b == 15 and c.band == "merge"]
    back = index.upsert(REGISTER[13])
    assert any(c.b == 15 and c.band == "merge" for c in back)


def test_removed_records_are_no_longer_candidates() -> None:
    index = MatchIndex.build(REGISTER)
    assert index.remove(5)
    assert not index.remove(5)
    found = index.upsert({"id": 101, "name": "Budimex S.A.", "tin": "PL5260250995"})
    assert {c.b for c in found} == {4}


def test_decided_pairs_are_not_reproposed() -> None:
    decisions = InMemoryDecisions()
    decisions.reject(102, 4)
    index = MatchIndex.build(REGISTER, decisions=decisions)
    found = index.upsert({"id": 102, "name": "Budimex S.A.", "tin": "PL5260250995"})
    assert 4 not in {c.b for c in found}
    assert 5 in {c.b for c in found}


def test_upsert_is_fast() -> None:
    index = MatchIndex.build(
        REGISTER * 1 + [dict(r, id=f"x{k}-{r['id']}") for k in range(50) for r in REGISTER]
    )
    started = time.perf_counter()
    for k in range(50):
        index.upsert({"id": f"new{k}", "name": "Orlen S.A.", "tin": "PL7740001454"})
    assert (time.perf_counter() - started) / 50 < 0.05


def test_big_blocks_are_narrowed_by_name_as_a_full_scan_would(monkeypatch: pytest.MonkeyPatch) -> None:
    """A query meets a block too big to take whole: the narrowed view (kept current through upserts and
    removals) gives the members a scan of the block would, in the same order, capped the same way."""
    import random

    from enricher.matching import index as index_module
    from enricher.matching.blocking import block_keys
    from enricher.sample import generate

    monkeypatch.setattr(index_module, "QUERY_CAP", 6)

    def scanned(idx: MatchIndex, record: Any) -> list[Any]:
        found: dict[Any, None] = {}
        for key in block_keys(record, idx._tokens):
            block = idx._blocks.get(key)
            if not block:
                continue
            members = list(block)
            if len(block) > 6:
                start = record.sorted_core[:3]
                members = [m for m in block if idx._records[m].sorted_core[:3] == start][:6]
            found.update(dict.fromkeys(m for m in members if m != record.id))
        return list(found)

    records = [r for r, _ in generate(600, seed=3, near_names=0.3)]
    idx = MatchIndex.build(records[:400])
    rng = random.Random(5)
    narrowed_seen = False
    for step in range(600):
        if step % 3 == 2:
            idx.remove(rng.choice(records[:400])["id"])
        else:
            record = dict(rng.choice(records), id=rng.choice(records)["id"])  # changes, moves, new ids
            prepared = index_module.prepare(record)
            assert idx._neighbours(prepared) == scanned(idx, prepared)
            idx.upsert(record)
        narrowed_seen = narrowed_seen or bool(idx._narrowed)
        # Every big block is narrowed before a query meets it (no query pays for building it).
        assert set(idx._narrowed) == {k for k, b in idx._blocks.items() if len(b) > 6}
    assert narrowed_seen  # the test met big blocks
