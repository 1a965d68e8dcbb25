"""Blocking: true duplicates meet in a block; giant blocks stay near linear."""

from __future__ import annotations

from enricher.matching.blocking import block_keys, candidate_pairs, token_counts
from enricher.matching.records import prepare

from ._register import REGISTER, TRUE_PAIRS


def test_every_true_pair_of_the_register_shares_a_block() -> None:
    records = [prepare(r) for r in REGISTER]
    left, right, stats = candidate_pairs(records)
    found = {frozenset({records[i].id, records[j].id}) for i, j in zip(left, right, strict=True)}
    assert found >= TRUE_PAIRS
    assert stats["pairs_compared"] == len(found)
    assert all(i < j for i, j in zip(left, right, strict=True))


def test_keys_cover_tax_id_domain_phone_rare_words_and_address() -> None:
    record = prepare(REGISTER[2])  # orlen sa, website, phone, street
    keys = block_keys(record, token_counts([record]))
    kinds = {k[0] for k in keys}
    assert {"d", "p", "l", "n"} <= kinds


def test_a_giant_block_is_windowed_not_squared() -> None:
    # 3,000 records that all share the word "transport": all-pairs would be 4.5 million.
    records = [prepare({"id": k, "name": f"Transport {k:05d}"}) for k in range(3000)]
    left, _, stats = candidate_pairs(records, cap=25, window=5)
    assert stats["large_blocks"] >= 1
    assert len(left) <= 3000 * 5 * 3


def test_no_keys_no_pairs() -> None:
    records = [prepare({"id": 1}), prepare({"id": 2})]
    left, right, _ = candidate_pairs(records)
    assert len(left) == 0 and len(right) == 0
