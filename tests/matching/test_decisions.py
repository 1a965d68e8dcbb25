"""Decision memory: canonical pair order, protocol, replacement of earlier decisions."""

from __future__ import annotations

import pytest

from enricher.matching import DecisionMemory, InMemoryDecisions, Judgement, pair_key


def test_pair_key_is_canonical_for_ints_strings_and_mixed() -> None:
    assert pair_key(7, 2) == pair_key(2, 7) == (2, 7)
    assert pair_key(10, 9) == (9, 10)  # numeric, not lexical
    assert pair_key("b", "a") == ("a", "b")
    assert pair_key("a", 3) == pair_key(3, "a") == (3, "a")


def test_in_memory_decisions() -> None:
    memory = InMemoryDecisions()
    assert isinstance(memory, DecisionMemory)
    memory.reject(1, 2)
    assert memory.judgement(2, 1) is Judgement.REJECTED
    memory.approve(2, 1)
    assert memory.judgement(1, 2) is Judgement.APPROVED
    assert memory.judgement(1, 3) is None
    assert len(memory) == 1
    with pytest.raises(ValueError, match="two different records"):
        memory.reject(4, 4)
