"""What matching returns: evidence, candidate pairs, clusters and the run's result.

Plain dataclasses so they pickle, compare and print well (frozen, but for :class:`Evidence`, which a
1M register makes millions of); ``MatchResult.to_contract`` is the one place that knows the JSON shape
fixed by DESIGN.md (``enricher dedupe``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, overload

import orjson

from enricher.records import RecordId

if TYPE_CHECKING:
    from enricher.matching.learning import LearnedModel

__all__ = [
    "Band",
    "Candidate",
    "Cluster",
    "Evidence",
    "Explained",
    "MatchResult",
    "counts_text",
    "stages_text",
]

Band = Literal["merge", "review"]


@dataclass(slots=True)
class Evidence:
    """One feature's verdict on a pair: ``weight`` is its log2 Bayes factor (negative: evidence against),
    rounded to 3 decimals where it is made, as every output shows it. The fields are the contract's keys
    in its order, so orjson writes an Evidence as it stands (see :meth:`Candidate.to_contract`).

    Not frozen: a frozen dataclass sets each field through ``object.__setattr__``, three times the cost
    of a plain one, and a 1M register lists ~2.3M of these (0.6 s of the gather). Treat it as a value
    all the same: nothing changes an Evidence after it is made."""

    feature: str
    result: str
    weight: float
    explanation: str

    def to_contract(self) -> dict[str, Any]:
        return {
            "feature": self.feature,
            "result": self.result,
            "weight": round(self.weight, 3),
            "explanation": self.explanation,
        }


class Explained(Sequence[Evidence]):
    """A pair's evidence kept as the JSON written once, where the evidence is made, and read back from
    it on each use.

    A large full match explains its pairs while a forked process clusters them, and recording the
    candidates then writes each pair's JSON around this instead of walking its ~8 pieces of evidence
    again (1M records: the record step's JSON, ~4 s of ~13 s on a slow 2-core machine, moves beside
    the clustering). Only the JSON is kept: the Evidence objects beside it took ~1.3 KB a pair more
    (1M generated records: ~360k listed pairs, ~465 MB of the gather's peak), and what reads a pair's
    evidence after the match (a report, the contacts' rewording) reads few pairs. A value: equal to a
    list of the same evidence, never changed; a changed copy is a plain list (see ``contacts``)."""

    __slots__ = ("json",)

    def __init__(self, evidence: Iterable[Evidence] = ()) -> None:
        # Copied to its own size: orjson's bytes keep the buffer they were written in (~4 KB).
        self.json = memoryview(orjson.dumps(list(evidence))).tobytes()

    def _read(self) -> list[Evidence]:
        return [Evidence(**e) for e in orjson.loads(self.json)]

    def __len__(self) -> int:
        return len(self._read())

    @overload
    def __getitem__(self, k: int) -> Evidence: ...

    @overload
    def __getitem__(self, k: slice) -> list[Evidence]: ...

    def __getitem__(self, k: int | slice) -> Evidence | list[Evidence]:
        return self._read()[k]

    def __iter__(self) -> Iterator[Evidence]:
        return iter(self._read())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Explained):
            return self.json == other.json
        if isinstance(other, list):
            return self._read() == other
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # equal to lists, which have none

    def __repr__(self) -> str:
        return repr(self._read())

    def __reduce__(self) -> tuple[Any, ...]:
        return _written, (self.json,)


def _written(json: bytes) -> Explained:
    """An Explained as pickled: the JSON written of its evidence."""
    made = Explained.__new__(Explained)
    made.json = json
    return made


def _as_written(evidence: Sequence[Evidence]) -> Any:
    """Evidence as orjson writes it: its JSON as is when it was written already."""
    return orjson.Fragment(evidence.json) if isinstance(evidence, Explained) else evidence


@dataclass(frozen=True, slots=True)
class Candidate:
    """A proposed duplicate pair; ``score`` is the calibrated match probability in [0, 1]."""

    a: RecordId
    b: RecordId
    score: float
    band: Band
    evidence: Sequence[Evidence] = field(default_factory=list)
    note: str = ""
    """Why the pair is in its band where the evidence alone does not say: what makes it safe to merge,
    or what keeps strong evidence in review (clusters that would not join)."""

    def to_contract(self, *, plain: bool = True) -> dict[str, Any]:
        """The pair's JSON as plain data; ``plain=False`` leaves the evidence as :class:`Evidence`
        objects, which orjson writes as the same JSON without building a dict for each (a 1M register
        lists ~3M of them: writing the dedupe output took 5.4 s, most of it those dicts)."""
        out = {
            "a": self.a,
            "b": self.b,
            "score": round(self.score, 4),
            "band": self.band,
            "evidence": [e.to_contract() for e in self.evidence] if plain else _as_written(self.evidence),
        }
        if self.note:
            out["note"] = self.note
        return out

    @property
    def explanation(self) -> str:
        """The evidence as one readable paragraph, strongest first."""
        ordered = sorted(self.evidence, key=lambda e: -abs(e.weight))
        return " ".join(e.explanation for e in ordered if e.weight != 0.0)


@dataclass(frozen=True, slots=True)
class Cluster:
    """Records that are one entity; ``survivor`` is the record the others merge into."""

    ids: list[RecordId]
    survivor: RecordId
    explanation: str

    def __reduce__(self) -> tuple[type[Cluster], tuple[Any, ...]]:
        # A large match's clusters come back pickled from the process that clusters beside the evidence:
        # the arguments pickle in half the time of a slots dataclass's state (1M: 178k clusters, 0.63 ->
        # 0.33 s to write and 0.64 -> 0.49 s to read, both on the way the match waits for).
        return type(self), (self.ids, self.survivor, self.explanation)

    def to_contract(self) -> dict[str, Any]:
        return {"ids": list(self.ids), "survivor": self.survivor, "explanation": self.explanation}


@dataclass(slots=True)
class MatchResult:
    """Candidates best first, clusters of two or more, and run statistics (counts, timings, model)."""

    candidates: list[Candidate]
    clusters: list[Cluster]
    stats: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    """What was bounded for speed and what that left out, and what answers taught, in sentences."""
    questions: list[tuple[RecordId, RecordId]] = field(default_factory=list)
    """Pairs whose answers would teach the model most, most useful first."""
    learned: LearnedModel | None = None
    """The weights and per-kind answers this run used (to store with the decision store)."""

    def to_contract(self, *, plain: bool = True) -> dict[str, Any]:
        """The ``enricher dedupe`` output of DESIGN.md (evidence entries add ``explanation``; ``notes``
        is added when something was bounded); ``plain=False``: for orjson, see
        :meth:`Candidate.to_contract`."""
        out: dict[str, Any] = {
            "candidates": [c.to_contract(plain=plain) for c in self.candidates],
            "clusters": [c.to_contract() for c in self.clusters],
        }
        if self.notes:
            out["notes"] = list(self.notes)
        if self.questions:
            out["questions"] = [{"a": a, "b": b} for a, b in self.questions]
        return out


def counts_text(stats: dict[str, Any]) -> str:
    """What a match found, as the dedupe CLI and a full match's gather both say it."""
    return (
        f"{stats.get('records', 0)} records, {stats.get('pairs_compared', 0)} pairs compared, "
        f"{stats.get('merge', 0)} merge + {stats.get('review', 0)} review candidates, "
        f"{stats.get('clusters', 0)} clusters"
    )


def stages_text(timings: dict[str, float]) -> str:
    """A match's stages and their seconds ("normalise 54.5s, block 8.7s, ...")."""
    return ", ".join(f"{stage} {seconds:.1f}s" for stage, seconds in timings.items())
