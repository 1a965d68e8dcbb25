"""Digests are the same on every host: pinned values, so that another xxhash build, another encoding or
a change of the key layout cannot silently make two hosts' parts of one run code keys apart."""

from __future__ import annotations

from enricher.matching.blocking import KIND_MASK, key_code
from enricher.matching.digests import digest, digest_codes
from enricher.matching.table import WORD_LENGTH_MASK, word_code


def test_digests_are_pinned() -> None:
    assert digest("acme") == 4948779126678378721  # XXH3-64 of b"acme", seed 0
    assert digest("ł\ud800") == 16835037366625435501  # a lone surrogate (JSON may carry one) is digested
    assert digest_codes(["acme", "", None], 3).tolist() == [4948779126678378721 >> 1, -1, -1]


def test_key_and_word_codes_are_pinned_and_carry_their_kind_and_length() -> None:
    tin = key_code("tPL5261040828")
    assert tin == -6187214084393960588
    assert tin & KIND_MASK == ord("t")
    word = word_code("acme")
    assert word == 5229596661967553540
    assert word & WORD_LENGTH_MASK == len("acme")
    # The word's rare-word key is the word code with its kind in the lowest byte.
    assert (word & ~KIND_MASK) | ord("n") == key_code("nacme")
    assert word_code("x" * 300) & WORD_LENGTH_MASK == 255  # lengths stop at 255
