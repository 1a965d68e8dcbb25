"""Learning from people: answers about pairs in, a better band out, the most useful questions back.

Two things learn from labels (a person's "same company" / "different" on a pair, from a labels file or
from the decisions a reviewer took):

* the weights: EM runs semi-supervised, each labelled pair held at its answer (``scoring.fit(known=)``);
  a label counts as one pair, so a handful of answers stays close to the unsupervised fit;
* the band, per *evidence pattern* (the pair's levels on every feature, see
  ``scoring.pattern_codes``): pairs that show the same evidence are one kind of pair, and answers about
  some of them speak for all. A kind is *confirmed* when people said "same" to :data:`CONFIRM` of them
  and "different" to none: its pairs join the merge band. It is *refuted* when at least
  :data:`REFUTE` answers say "different" and they are at least as many as the "same" ones: its pairs
  leave the merge band. One odd answer never flips a kind; it only decides its own pair.

Questions are the pairs whose answers would teach most: kinds with many undecided pairs whose band an
answer could change (review pairs the model finds likely; merges that rest on a rule and not yet on
people), :data:`PER_KIND` pairs of each kind, most useful kinds first, so that answers spread over
different kinds of evidence instead of a hundred copies of one pattern.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from enricher.errors import EnricherError
from enricher.matching.scoring import Model, unique_patterns
from enricher.records import RecordId, pair_key

__all__ = [
    "CONFIRM",
    "LEARNED",
    "PER_KIND",
    "REFUTE",
    "Calibration",
    "Kind",
    "Label",
    "LabelError",
    "LearnedModel",
    "apply_verdicts",
    "calibrate",
    "check_labels",
    "choose_questions",
]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

CONFIRM = 3
""""Same" answers (and no "different") that confirm a kind of pair for the merge band."""
REFUTE = 2
""""Different" answers (at least as many as "same") that take a kind of pair out of the merge band."""
PER_KIND = 3
"""Questions asked about one kind of pair at most (enough to confirm it)."""
MAX_QUESTIONS = 100


class LabelError(EnricherError):
    """Labels that contradict each other; the message names the pairs."""


@dataclass(frozen=True, slots=True)
class Label:
    """A person's answer about one pair (ids in canonical pair order)."""

    a: RecordId
    b: RecordId
    match: bool


def check_labels(labels: Iterable[tuple[RecordId, RecordId, bool]]) -> list[Label]:
    """The labels once each, in pair order; :class:`LabelError` when they contradict each other.

    Two answers on one pair must agree, and the "same" answers must not join what a "different"
    answer separates (1~2 same, 2~3 same, 1~3 different cannot all be honoured by any clustering).
    """
    answers: dict[tuple[RecordId, RecordId], bool] = {}
    for a, b, match in labels:
        if a == b:
            raise LabelError(f"a label needs two different records, got {a!r} twice")
        key = pair_key(a, b)
        if key in answers and answers[key] != match:
            raise LabelError(f"pair {key[0]!r}, {key[1]!r} is labelled both a match and not a match")
        answers[key] = match
    same: dict[RecordId, list[RecordId]] = defaultdict(list)
    for (a, b), match in answers.items():
        if match:
            same[a].append(b)
            same[b].append(a)
    for (a, b), match in answers.items():
        if not match:
            path = _path(same, a, b)
            if path:
                chain = " ~ ".join(repr(x) for x in path)
                raise LabelError(
                    f"labels contradict: {a!r} and {b!r} are labelled different, "
                    f"but {chain} are labelled the same"
                )
    return [Label(a, b, match) for (a, b), match in answers.items()]


def _path(graph: Mapping[RecordId, list[RecordId]], start: RecordId, goal: RecordId) -> list[RecordId]:
    """A chain of "same" answers from ``start`` to ``goal`` (breadth first), or [] when there is none."""
    came: dict[RecordId, RecordId | None] = {start: None}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        if node == goal:
            path = [node]
            while came[path[-1]] is not None:
                path.append(came[path[-1]])  # type: ignore[arg-type]
            return path[::-1]
        for other in graph.get(node, ()):
            if other not in came:
                came[other] = node
                queue.append(other)
    return []


@dataclass(slots=True)
class Kind:
    """One evidence pattern: how many scored pairs show it, their mean probability, and the answers."""

    pairs: int = 0
    mean: float = 0.0
    same: int = 0
    different: int = 0

    @property
    def verdict(self) -> int:
        """+1 confirmed for the merge band, -1 refuted, 0 undecided."""
        if self.same >= CONFIRM and self.different == 0:
            return 1
        if self.different >= REFUTE and self.different >= self.same:
            return -1
        return 0

    def sentence(self) -> str:
        answered = self.same + self.different
        if self.verdict > 0:
            return f"people said pairs like this are the same company ({self.same} of {answered} answered)"
        if self.verdict < 0:
            return f"people said pairs like this are different ({self.different} of {answered} answered)"
        return ""


@dataclass(slots=True)
class Calibration:
    """What people said per kind of pair (evidence pattern code -> :class:`Kind`)."""

    kinds: dict[int, Kind] = field(default_factory=dict)
    """Fixed once calibrated (:func:`calibrate`, :meth:`from_json`): the decided kinds are read once."""
    _decided: dict[int, int] | None = field(default=None, init=False, repr=False, compare=False)

    def verdicts(self, codes: IntArray) -> npt.NDArray[np.int8]:
        """Per pair code: +1 confirmed, -1 refuted, 0 undecided."""
        if self._decided is None:
            # Once, not per call: a 1M register has ~10k kinds, and match-one asks for each query
            # (3.4 ms of a query's ~5 ms).
            self._decided = {code: kind.verdict for code, kind in self.kinds.items() if kind.verdict}
        decided = self._decided
        if not decided:
            return np.zeros(len(codes), dtype=np.int8)
        lookup = np.zeros(len(codes), dtype=np.int8)
        for verdict in (1, -1):
            lookup[np.isin(codes, [c for c, v in decided.items() if v == verdict])] = verdict
        return lookup

    @property
    def answers(self) -> int:
        return sum(k.same + k.different for k in self.kinds.values())

    def summary(self) -> dict[str, Any]:
        confirmed = [k for k in self.kinds.values() if k.verdict > 0]
        refuted = [k for k in self.kinds.values() if k.verdict < 0]
        return {
            "answers": self.answers,
            "kinds_answered": sum(1 for k in self.kinds.values() if k.same + k.different),
            "kinds_confirmed": len(confirmed),
            "pairs_confirmed": sum(k.pairs for k in confirmed),
            "kinds_refuted": len(refuted),
            "pairs_refuted": sum(k.pairs for k in refuted),
        }

    def to_json(self) -> dict[str, list[float]]:
        return {str(code): [k.pairs, k.mean, k.same, k.different] for code, k in self.kinds.items()}

    @classmethod
    def from_json(cls, data: Mapping[str, Sequence[float]]) -> Calibration:
        return cls(
            {int(code): Kind(int(v[0]), float(v[1]), int(v[2]), int(v[3])) for code, v in data.items()}
        )


def calibrate(codes: IntArray, scores: FloatArray, known: FloatArray) -> Calibration:
    """Count pairs, mean probability and answers per kind (``known``: 1/0 answered, NaN not)."""
    kinds: dict[int, Kind] = {}
    if len(codes) == 0:
        return Calibration(kinds)
    unique, inverse, counts = unique_patterns(codes)
    sums = np.bincount(inverse, weights=scores, minlength=len(unique))
    answered = ~np.isnan(known)
    same = np.bincount(inverse[answered], weights=known[answered], minlength=len(unique))
    total = np.bincount(inverse[answered], minlength=len(unique))
    for k, code in enumerate(unique.tolist()):
        kinds[int(code)] = Kind(
            int(counts[k]), float(sums[k] / counts[k]), int(same[k]), int(total[k] - same[k])
        )
    return Calibration(kinds)


def choose_questions(
    codes: IntArray,
    scores: FloatArray,
    reasons: npt.NDArray[np.int8],
    rule_based: npt.NDArray[np.bool_],
    known: FloatArray,
    calibration: Calibration,
    *,
    review_threshold: float,
    limit: int = MAX_QUESTIONS,
) -> list[int]:
    """Rows (scored pairs) to ask about, most useful first.

    A kind's usefulness is how many of its pairs an answer could move: review pairs the model finds
    likely (an answer may carry them into the merge band), and merges that rest on a rule rather than
    on agreeing names and on no answer yet (an answer may take them out). Each kind offers up to
    :data:`PER_KIND` pairs (fewer once answered); kinds already confirmed or refuted offer none.
    """
    unanswered = np.isnan(known)
    review = (reasons == 0) & (scores >= review_threshold) & unanswered
    doubtful_merge = (reasons > 0) & rule_based & unanswered
    candidates = np.flatnonzero(review | doubtful_merge)
    if len(candidates) == 0:
        return []
    value: dict[int, float] = defaultdict(float)
    rows: dict[int, list[int]] = defaultdict(list)
    verdict = calibration.verdicts(codes[candidates])
    for row, decided in zip(candidates.tolist(), verdict.tolist(), strict=True):
        if decided:
            continue
        code = int(codes[row])
        value[code] += float(scores[row]) if reasons[row] == 0 else 0.5
        rows[code].append(row)
    out: list[int] = []
    for code in sorted(value, key=lambda c: (-value[c], c)):
        kind = calibration.kinds.get(code, Kind())
        room = max(0, PER_KIND - kind.same - kind.different)
        # Pairs of one kind spread over its scores: the likeliest, the least likely, then the middle.
        members = sorted(rows[code], key=lambda r: (-scores[r], r))
        spread = [members[0], members[-1], members[len(members) // 2]] if len(members) > 2 else members
        picked = list(dict.fromkeys(spread))[:room]
        out.extend(picked)
        if len(out) >= limit:
            break
    return out[:limit]


LEARNED = 6
"""The merge reason of a kind of pair people confirmed (after ``bands.merge_reasons``' own codes)."""


def apply_verdicts(
    reasons: npt.NDArray[np.int8], codes: IntArray, tin: npt.NDArray[np.int8], calibration: Calibration
) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.bool_]]:
    """The merge reasons after people's answers: confirmed kinds join the merge band (never across two
    valid different tax ids, ``tin`` level 2), refuted kinds leave it. Also returns which pairs were
    taken out, so their note can say why."""
    verdict = calibration.verdicts(codes)
    out = reasons.copy()
    out[(verdict > 0) & (reasons == 0) & (tin != 2)] = LEARNED
    refuted = (verdict < 0) & (reasons > 0)
    out[refuted] = 0
    return out, refuted


MODEL_FORMAT = "enricher.match-model"


@dataclass(slots=True)
class LearnedModel:
    """What a run learnt: the fitted weights and the per-kind answers. Stored with the decision store
    (versioned), so that match-one and the chunks of a full match band pairs as the full match did."""

    model: Model
    calibration: Calibration
    answers: int = 0
    version: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "format": MODEL_FORMAT,
            "version": self.version,
            "answers": self.answers,
            "model": self.model.to_json(),
            "calibration": self.calibration.to_json(),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LearnedModel:
        """A stored model read back; :class:`LabelError`-free, but ValueError on a foreign document."""
        if data.get("format") != MODEL_FORMAT:
            raise ValueError(f"not a stored match model (format {data.get('format')!r})")
        return cls(
            Model.from_json(data["model"]),
            Calibration.from_json(data.get("calibration", {})),
            int(data.get("answers", 0)),
            int(data.get("version", 0)),
        )
