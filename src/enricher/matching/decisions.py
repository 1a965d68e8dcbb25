"""Memory of human decisions on pairs: rejected pairs are never proposed again, decided ones not re-proposed.

Matching only reads decisions through :class:`DecisionMemory`; the persistent store (file or Redis) lives
in ``enricher.state.decisions`` and satisfies the same protocol.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, runtime_checkable

from enricher.records import Judgement, RecordId, pair_key

__all__ = ["DecisionMemory", "InMemoryDecisions", "Judgement"]


@runtime_checkable
class DecisionMemory(Protocol):
    """Anything that can say what a person decided about a pair (None: undecided)."""

    def judgement(self, a: RecordId, b: RecordId) -> Judgement | None: ...

    def pairs(self) -> Iterable[tuple[RecordId, RecordId, Judgement]]:
        """Every decided pair: matching keeps their records apart from look-alikes and learns from them."""
        ...


class InMemoryDecisions:
    """A dict-backed :class:`DecisionMemory` for tests, one-off runs and the incremental index."""

    def __init__(self, items: Iterable[tuple[RecordId, RecordId, Judgement]] = ()) -> None:
        self._pairs: dict[tuple[RecordId, RecordId], Judgement] = {}
        for a, b, judgement in items:
            self.record(a, b, judgement)

    def record(self, a: RecordId, b: RecordId, judgement: Judgement) -> None:
        """Remember a decision; a later decision on the same pair replaces the earlier one."""
        if a == b:
            raise ValueError(f"a pair needs two different records, got {a!r} twice")
        self._pairs[pair_key(a, b)] = judgement

    def approve(self, a: RecordId, b: RecordId) -> None:
        self.record(a, b, Judgement.APPROVED)

    def reject(self, a: RecordId, b: RecordId) -> None:
        self.record(a, b, Judgement.REJECTED)

    def judgement(self, a: RecordId, b: RecordId) -> Judgement | None:
        return self._pairs.get(pair_key(a, b))

    def __len__(self) -> int:
        return len(self._pairs)

    def pairs(self) -> list[tuple[RecordId, RecordId, Judgement]]:
        return [(a, b, j) for (a, b), j in self._pairs.items()]
