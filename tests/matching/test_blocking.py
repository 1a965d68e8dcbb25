"""Blocking: true duplicates meet in a block; giant blocks stay near linear."""

from __future__ import annotations

import pytest

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


def met(records: list, a: int, b: int) -> bool:  # type: ignore[type-arg]
    left, right, _ = candidate_pairs(records)
    return (min(a, b), max(a, b)) in set(zip(left.tolist(), right.tolist(), strict=True))


def test_the_same_building_meets_without_postcode_or_town() -> None:
    # Registers without postcodes or towns: the street and house number alone are a key.
    records = [
        prepare(
            {
                "id": 1,
                "name": "Centers For New Horizons - Effie Ellis",
                "addressStreetLine": "4301 S Cottage Grove Ave",
            }
        ),
        prepare({"id": 2, "name": "Effie Ellis II Early Care", "addressStreetLine": "4301 S. Cottage Grove"}),
    ]
    assert met(records, 0, 1)


def test_typos_initials_and_split_words_meet() -> None:
    names = [
        "Alcatel N.V.",
        "Alkatel",  # a typo in a one-word name: the same sound
        "STMicroelectronics",
        "ST Microelectronics NV",  # a split word: the same first letters
        "Chicago Youth Centers Roseland",
        "CYC Roseland Head Start",  # initials
    ]
    filler = [prepare({"id": 100 + k, "name": f"Firma {k:03d} Handel"}) for k in range(40)]
    records = [prepare({"id": k, "name": n}) for k, n in enumerate(names)] + filler
    assert met(records, 0, 1) and met(records, 2, 3) and met(records, 4, 5)


def test_a_word_no_one_else_has_is_not_chosen_as_a_key() -> None:
    # "Maatschhappij" (a typo) is this record's rarest word; it must key on words others share.
    typo = prepare({"id": 1, "name": "Shell Internationale Research Maatschhappij"})
    others = [
        prepare({"id": k, "name": f"Shell Internationale Research Maatschappij {k}"}) for k in range(2, 6)
    ]
    keys = block_keys(typo, token_counts([typo, *others]))
    assert "nmaatschhappij" not in keys
    assert {"nshell", "ninternationale", "nresearch", "nmaatschappij"} & set(keys)


def test_alike_names_in_a_large_block_meet_although_they_sort_apart() -> None:
    import numpy as np

    from enricher.matching.blocking import PREFILTER_NEIGHBOURS, _alike_blocks, _name_filtered

    def filtered(records, weights, owner, sizes, starts, budget):  # type: ignore[no-untyped-def]
        chosen, skipped = _alike_blocks(owner, sizes, starts, budget)
        return (*_name_filtered(records, weights, owner, chosen), skipped)

    # One large block, as the owners array after sorting by key: the pair (0, 59) is alike once
    # the split word is joined, but sorted neighbourhood would put 58 names between them.
    names = ["shell international researchmaatschappij"]
    names += [f"{chr(97 + k % 26)}{k:03d} unrelated words" for k in range(58)]
    names += ["shell internationale research maatschappij"]
    records = [prepare({"id": k, "name": n}) for k, n in enumerate(names)]
    owner = np.arange(len(records), dtype=np.int64)
    sizes, starts = np.asarray([len(records)]), np.asarray([0])
    weights = np.ones(len(records), dtype=np.int64)
    left, right, skipped = filtered(records, weights, owner, sizes, starts, budget=10**6)
    found = {(min(a, b), max(a, b)) for a, b in zip(np.concatenate(left), np.concatenate(right), strict=True)}
    assert (0, 59) in found and skipped == 0

    # A block of near-identical names stays linear: each name meets its few most alike.
    same = [prepare({"id": k, "name": f"Research Labs {k:04d}x"}) for k in range(300)]
    owner = np.arange(300, dtype=np.int64)
    left, _, _ = filtered(
        same, np.ones(300, dtype=np.int64), owner, np.asarray([300]), np.asarray([0]), 10**6
    )
    assert sum(len(x) for x in left) <= 300 * PREFILTER_NEIGHBOURS
    # Over budget, a block is left to the windows, and counted.
    _, _, skipped = filtered(
        same, np.ones(300, dtype=np.int64), owner, np.asarray([300]), np.asarray([0]), 1000
    )
    assert skipped == 1


_DIGEST = """
import hashlib, json, sys
from enricher.matching import match
from enricher.sample import generate
result = match([r for r, _ in generate(12000, seed=5, near_names=0.3)])
lines = [f"{c.a} {c.b} {c.band} {c.score:.12f}" for c in result.candidates]
stats = result.stats
digest = hashlib.sha256("\\n".join(lines).encode()).hexdigest()
print(json.dumps({"pairs": stats["pairs_compared"], "windowed_only": stats["windowed_only_blocks"],
                  "digest": digest}))
"""


@pytest.mark.slow
def test_the_same_register_gives_the_same_pairs_in_every_process() -> None:
    """Python salts string hashes per process: nothing a run decides may follow a hash's order (here:
    which rare words key a record, which large blocks the alike-name budget reaches first)."""
    import json
    import os
    import subprocess
    import sys

    runs = []
    for seed in ("1", "2", "3"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = subprocess.run(
            [sys.executable, "-c", _DIGEST], env=env, capture_output=True, text=True, check=True
        )
        runs.append(json.loads(out.stdout))
    assert runs[0]["windowed_only"] > 0  # the budget really ran out, so its order mattered
    assert runs[0] == runs[1] == runs[2]


def _blocks_by_lexsort(owner, key, rank):  # type: ignore[no-untyped-def]
    """The blocks of two or more, as the plain (slow) way finds them: the reference."""
    import numpy as np

    order = np.lexsort((rank[owner], key))
    owner, key = owner[order], key[order]
    starts = np.concatenate(([0], np.flatnonzero(np.diff(key)) + 1))
    sizes = np.diff(np.concatenate((starts, [len(key)])))
    shared = sizes >= 2
    members = np.concatenate([owner[s : s + n] for s, n in zip(starts[shared], sizes[shared], strict=True)])
    return members, key[starts[shared]], sizes[shared]


@pytest.mark.parametrize("packed_bits", [63, 8])
def test_shared_blocks_are_the_lexsorted_blocks(packed_bits: int, monkeypatch: pytest.MonkeyPatch) -> None:
    import numpy as np

    from enricher.matching import blocking

    # 8 bits cannot hold (block, rank): the fallback sort must give the same blocks.
    monkeypatch.setattr(blocking, "PACKED_BITS", packed_bits)
    rng = np.random.default_rng(3)
    owner = rng.integers(0, 500, size=3000).astype(np.int64)
    key = rng.integers(-(2**62), 2**62, size=400)[rng.integers(0, 400, size=3000)].astype(np.int64)
    key[:5] = [7, 8, 9, 10, 11]  # blocks of one: dropped
    rank = rng.permutation(500).astype(np.int64)
    members, block_key, starts, sizes = blocking.shared_blocks(owner, key, rank)
    want_members, want_key, want_sizes = _blocks_by_lexsort(owner, key, rank)
    assert np.array_equal(members, want_members)
    assert np.array_equal(block_key, want_key) and np.array_equal(sizes, want_sizes)
    assert np.array_equal(starts, np.concatenate(([0], np.cumsum(sizes)[:-1])))
    empty = np.zeros(0, dtype=np.int64)
    assert all(len(x) == 0 for x in blocking.shared_blocks(empty, empty, rank))
    assert all(len(x) == 0 for x in blocking.shared_blocks(owner[:3], np.asarray([1, 2, 3]), rank))


@pytest.mark.parametrize("order_bits", [32, 4])
def test_key_order_sorts_keys_that_share_their_top_bits(
    order_bits: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    import numpy as np

    from enricher.matching import blocking

    # 4 bits cannot hold 3000 positions: the plain argsort must give the same order.
    monkeypatch.setattr(blocking, "KEY_ORDER_BITS", order_bits)
    rng = np.random.default_rng(5)
    # Few distinct top bits, the rest random: keys that differ only where positions are packed, the
    # case the packed sort alone gets wrong; repeated keys and negative ones among them.
    top = rng.integers(-4, 4, size=3000).astype(np.int64) << 40
    key = top | rng.integers(0, 2**12, size=3000).astype(np.int64)
    key[::7] = key[0]
    order, ordered = blocking.key_order(key)
    assert np.array_equal(ordered, np.sort(key))
    assert np.array_equal(key[order], ordered)
    assert np.array_equal(np.sort(order), np.arange(len(key)))
    one = np.asarray([-3], dtype=np.int64)
    assert [a.tolist() for a in blocking.key_order(one)] == [[0], [-3]]


def test_unique_pairs_are_sorted_distinct_and_never_a_record_with_itself() -> None:
    import numpy as np

    from enricher.matching.blocking import unique_pairs

    rng = np.random.default_rng(5)
    parts = [(rng.integers(0, 40, size=n), rng.integers(0, 40, size=n)) for n in (0, 1, 50, 300)]
    left, right = unique_pairs(parts, 40)
    want = sorted({(min(a, b), max(a, b)) for x, y in parts for a, b in zip(x, y, strict=True) if a != b})
    assert list(zip(left.tolist(), right.tolist(), strict=True)) == want
    assert all(len(x) == 0 for x in unique_pairs([], 0))


def _rare_by_argsort(words):  # type: ignore[no-untyped-def]
    """The reference: a row-wise stable argsort of the rare-word sort key."""
    import numpy as np

    from enricher.matching.blocking import RARE_TOKENS, key_code

    ids, safe = words.ids, np.maximum(words.ids, 0)
    count = words.uses[safe]
    length = np.asarray([len(w) for w in words.spelt] + [0], dtype=np.float64)[safe]
    score = np.where(count < 2, 1e12, 0.0) + count * 1e4 - np.minimum(length, 255)
    score += np.where(ids >= 0, 0, 1e15)
    chosen = np.argsort(score, axis=1, kind="stable")[:, :RARE_TOKENS]
    return [
        (row, key_code("n" + words.spelt[ids[row, c]]))
        for row in range(len(ids))
        for c in chosen[row]
        if ids[row, c] >= 0
    ]


def test_rare_word_codes_choose_as_a_stable_sort_does() -> None:
    import numpy as np

    from enricher.matching.blocking import rare_word_codes
    from enricher.matching.table import NameWords, Table, word_code
    from enricher.sample import generate

    records = [prepare(r) for r, _ in generate(3000, seed=11, near_names=0.3)]
    records.append(prepare({"id": "long", "name": "Zakład " + "w" * 300 + " " + "v" * 400}))
    words = Table(records).name_words()  # found in the names: spelt
    before = words.ids.copy()
    owner, code = rare_word_codes(words)
    assert list(zip(owner.tolist(), code.tolist(), strict=True)) == _rare_by_argsort(words)
    assert np.array_equal(words.ids, before)  # read, not changed
    # Many ties (equal uses and lengths), unique words and missing ones, in every column.
    rng = np.random.default_rng(2)
    vocab = [f"w{k % 3}{'x' * (k % 2)}{k:02d}" for k in range(40)]
    ids = rng.integers(-1, 40, size=(2000, 8)).astype(np.int64)
    uses = np.append(rng.integers(0, 4, size=40).astype(np.float64), 1.0)
    tied = NameWords(ids, None, uses, np.zeros(41), np.zeros(41, dtype=bool), vocab)
    coded = tied._replace(coded=np.asarray([word_code(w) for w in vocab], dtype=np.int64), spelt=[])
    assert np.array_equal(rare_word_codes(coded)[1], rare_word_codes(tied)[1])
    owner, code = rare_word_codes(tied)
    assert list(zip(owner.tolist(), code.tolist(), strict=True)) == _rare_by_argsort(tied)


def test_name_ranks_order_as_the_first_24_characters_do() -> None:
    import numpy as np

    from enricher.matching.blocking import name_ranks

    names = ["zürich bank", "zurich bank", "ångström", "a" * 30 + "b", "a" * 30, "", "é" * 30 + "a", "é" * 24]
    names += ["ß", "日本", "\ud800x", "\ud7ffy", "\ue000", "abc", "abc\x00", "ab"]  # a lone surrogate, NUL
    want = np.empty(len(names), dtype=np.int64)
    want[np.argsort(np.asarray([n[:24] for n in names], dtype=str), kind="stable")] = np.arange(len(names))
    assert np.array_equal(name_ranks(names), want)
    assert len(name_ranks([])) == 0


def test_the_alike_names_found_in_a_forked_process_give_the_same_pairs() -> None:
    """Blocking finds the alike names of large blocks beside the other blocks' pairs (a forked process
    on a large register) and merges the two sorted runs: the pairs and statistics of one after the other."""
    import os
    from collections.abc import Callable
    from typing import Any

    import numpy as np

    from enricher.forking import run_beside
    from enricher.sample import generate

    records = [prepare(r) for r, _ in generate(6000, seed=13, near_names=0.3)]
    where: list[int] = []

    def forked(task: Callable[[], Any], here: Callable[[], Any]) -> tuple[Any, Any]:
        (pid, done), mine = run_beside(lambda: (os.getpid(), task()), here)
        where.append(pid)
        return done, mine

    in_turn = candidate_pairs(records, cap=4, window=2)
    beside = candidate_pairs(records, cap=4, window=2, beside=forked)
    assert where and where[0] != os.getpid()  # found in another process
    assert np.array_equal(in_turn[0], beside[0]) and np.array_equal(in_turn[1], beside[1])
    assert in_turn[2] == beside[2]
    assert in_turn[2]["large_blocks"] > 100  # cap 4: many blocks were filtered by name
    pairs = list(zip(in_turn[0].tolist(), in_turn[1].tolist(), strict=True))
    assert pairs == sorted(set(pairs)) and all(a < b for a, b in pairs)  # distinct, sorted, no self-pair


def test_ranks_among_some_names_are_their_own_name_ranks() -> None:
    """The profiles' name order, from the order of all records (found beside the profiles): ties keep
    the input order, as ranking the chosen names alone does."""
    import numpy as np

    from enricher.matching.blocking import name_ranks, ranks_among

    rng = np.random.default_rng(4)
    names = [f"{'ab'[k % 2]}{'x' * int(rng.integers(0, 30))}{k % 7}" for k in range(400)]  # many ties
    rows = np.flatnonzero(rng.random(400) < 0.6).astype(np.int64)
    assert np.array_equal(ranks_among(name_ranks(names), rows), name_ranks([names[r] for r in rows]))
