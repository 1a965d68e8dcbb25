"""``match``: normalise -> block -> compare -> learn weights (EM) -> score -> band -> cluster."""

from __future__ import annotations

import itertools
import math
import multiprocessing
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any, NamedTuple, overload

import numpy as np
import numpy.typing as npt

from enricher.forking import run_beside
from enricher.matching import features as _features
from enricher.matching.bands import (
    BY_IDENTIFIERS,
    MERGE_THRESHOLD,
    REVIEW_THRESHOLD,
    SAME_NAME,
    SAME_PLACE,
    levels_in,
    merge_reason_text,
    merge_reasons,
    rare_names,
)
from enricher.matching.batches import (
    Collected,
    can_fork,
    default_workers,
    no_gc,
    prepare_keyed,
)
from enricher.matching.blocking import DEFAULT_CAP, DEFAULT_WINDOW, candidate_pairs, name_ranks, ranks_among
from enricher.matching.cluster import Link, cluster_links
from enricher.matching.decisions import DecisionMemory, Judgement
from enricher.matching.features import FEATURES, NULL, Feature
from enricher.matching.learning import (
    LEARNED,
    Label,
    LearnedModel,
    apply_verdicts,
    calibrate,
    check_labels,
    choose_questions,
)
from enricher.matching.profiles import Profiles, build_profiles
from enricher.matching.records import Prepared, RawRecord
from enricher.matching.results import Band, Candidate, Cluster, Evidence, Explained, MatchResult
from enricher.matching.scoring import (
    TF_FIELDS,
    Model,
    fit,
    fit_tf_reference,
    pattern_codes,
    probability,
    tf_adjustment,
)
from enricher.matching.table import NameWords, Table
from enricher.records import JsonlFile, RecordId, pair_key

__all__ = ["MAX_PARTNERS", "TIN_COLUMN", "Scorer", "compare_all", "match"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
LevelMatrix = npt.NDArray[np.int8]


def compare_all(
    table: Table, left: IntArray, right: IntArray, features: Sequence[Feature] = FEATURES
) -> LevelMatrix:
    """The level of every feature for every pair: rows are pairs, columns features."""
    out = np.empty((len(left), len(features)), dtype=np.int8)
    for column, feature in enumerate(features):
        out[:, column] = feature.compare(table, left, right)
    return out


PARALLEL_PAIRS = 1_000_000
"""Pairs from which :func:`compare_many` forks processes: below, forking costs more than it saves."""

_SHARED: tuple[Table, IntArray, IntArray] | None = None
"""What :func:`compare_many`'s forked processes compare (inherited, never pickled)."""


def _compare_slice(lo: int, hi: int) -> LevelMatrix:
    assert _SHARED is not None
    table, left, right = _SHARED
    _features.THREADS = 1  # the processes share the cores; rapidfuzz threads would only compete
    return compare_all(table, left[lo:hi], right[lo:hi])


def compare_many(table: Table, left: IntArray, right: IntArray, workers: int | None = None) -> LevelMatrix:
    """:func:`compare_all`, by forked processes for many pairs (each compares slices and sends back its
    levels; the table is shared through fork). Comparing is half numpy, half Python (abbreviations),
    and rapidfuzz's own threads cover only its part: 8.5M pairs took 20 s in one process."""
    workers = default_workers() if workers is None else workers
    if len(left) < PARALLEL_PAIRS or not can_fork(workers):
        return compare_all(table, left, right)
    global _SHARED
    compare_all(table, left[:1000], right[:1000])  # the table's lazy columns, built once before the fork
    step = math.ceil(len(left) / (4 * workers))  # a few slices each: one slow slice does not hold all
    bounds = [(lo, min(len(left), lo + step)) for lo in range(0, len(left), step)]
    _SHARED = (table, left, right)
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            parts = list(pool.map(_compare_slice, *zip(*bounds, strict=True)))
    finally:
        _SHARED = None
    return np.concatenate(parts)


BESIDE_RECORDS = 200_000
"""Records from which blocking orders the names in a forked process beside the profiles, and profiles
from which it finds part of the alike names of large blocks in one beside the other pairs; records from
which a fanned-out run's plan writes its files in one beside its learning (``fanout``): below, the
fork costs more than it saves."""

BESIDE_PAIRS = 50_000
"""Listed pairs from which :func:`finish` clusters in a forked process beside the evidence: below, the
fork (~0.1 s for a large process) and sending the clusters back cost more than they save."""

FIT_SAMPLE = 500_000
"""Compared pairs the model is learnt from, at most (every answered pair besides): EM on half a
million pairs estimates a few dozen parameters as well as on ten million, and a fanned-out run can
compare just these before its workers start."""


def fit_sample(pairs: int, known: FloatArray | None = None, size: int = FIT_SAMPLE) -> IntArray:
    """Which of ``pairs`` compared pairs the model learns from: all of them up to ``size``, else a
    seeded even sample of ``size`` plus every answered pair. The same for the same pairs, everywhere."""
    if pairs <= size:
        return np.arange(pairs, dtype=np.int64)
    chosen = np.zeros(pairs, dtype=bool)
    chosen[np.random.default_rng(0).choice(pairs, size=size, replace=False)] = True
    if known is not None:
        chosen |= ~np.isnan(known)
    return np.flatnonzero(chosen).astype(np.int64)


_ROUNDED_MAX = 1 << 16
"""Most weights a scorer's rounding memo keeps (see ``Scorer._rounded``); past it, it starts afresh."""


@dataclass(slots=True)
class Scorer:
    """A fitted model bound to a table: scores arbitrary pairs of its records and explains them."""

    table: Table
    model: Model
    frequencies: dict[str, FloatArray]
    """Per tf feature, per record: how many records carry its value."""
    _rounded: dict[float, float] = field(default_factory=dict, init=False, repr=False, compare=False)
    """Weights as evidence shows them (3 decimals), by weight: a model has few distinct weights (300k
    records: 92 among 680k pieces of evidence), and ``round`` costs more than the lookup."""

    @classmethod
    def fit(
        cls, table: Table, left: IntArray, right: IntArray, known: FloatArray | None = None
    ) -> tuple[Scorer, LevelMatrix]:
        """Compare the pairs and learn the model (``known``: answered pairs, 1/0; NaN elsewhere).

        The model is learnt from :func:`fit_sample` of the pairs, so that a run fanned out over workers
        (which compare their own slices only) learns exactly the model a single process learns.
        """
        levels = compare_many(table, left, right)
        rows = fit_sample(len(left), known)
        return cls._fitted(
            table, levels[rows], left[rows], known[rows] if known is not None else None
        ), levels

    @classmethod
    def learn(cls, table: Table, left: IntArray, right: IntArray, known: FloatArray | None = None) -> Scorer:
        """The model :meth:`fit` learns, comparing only the :func:`fit_sample` rows (a fanned-out run
        learns before its workers compare the rest)."""
        rows = fit_sample(len(left), known)
        levels = compare_all(table, left[rows], right[rows])
        return cls._fitted(table, levels, left[rows], known[rows] if known is not None else None)

    @classmethod
    def _fitted(cls, table: Table, levels: LevelMatrix, left: IntArray, known: FloatArray | None) -> Scorer:
        model = fit(levels, known=known)
        frequencies = {name: table.frequency(column) for name, column in TF_FIELDS.items()}
        scorer = cls(table, model, frequencies)
        fit_tf_reference(model, levels, scorer._pair_frequencies(left))
        return scorer

    def _pair_frequencies(self, left: IntArray) -> dict[str, FloatArray]:
        return {name: freq[left] for name, freq in self.frequencies.items()}

    def weights(self, levels: LevelMatrix, left: IntArray) -> FloatArray:
        """Per pair and feature, the log2 Bayes factor (tf-adjusted)."""
        return self.model.weight_matrix(levels) + tf_adjustment(
            self.model, levels, self._pair_frequencies(left)
        )

    def total(self, levels: LevelMatrix, left: IntArray) -> FloatArray:
        """Per pair, the match probability; computed in chunks so a million pairs stay small."""
        out = np.empty(len(left), dtype=np.float64)
        step = 250_000
        for start in range(0, len(left), step):
            part = slice(start, start + step)
            out[part] = self.model.prior_weight + self.weights(levels[part], left[part]).sum(axis=1)
        return probability(out)

    def score(self, left: IntArray, right: IntArray) -> FloatArray:
        """Match probability of arbitrary pairs of table positions."""
        return self.total(compare_all(self.table, left, right), left)

    def evidence(
        self,
        levels: Sequence[int] | npt.NDArray[np.int8],
        weights: Sequence[float] | FloatArray,
        a: Prepared,
        b: Prepared,
    ) -> list[Evidence]:
        """One Evidence per feature that has values on both sides, in feature order."""
        # As Python numbers: a numpy scalar costs ~0.1 µs more at each use (a 1M register: 2.3M each).
        levels = levels.tolist() if isinstance(levels, np.ndarray) else levels
        weights = weights.tolist() if isinstance(weights, np.ndarray) else weights
        rounded = self._rounded
        if len(rounded) > _ROUNDED_MAX:  # tf-adjusted weights of a huge register: stay small
            rounded.clear()
        out = []
        for f, level, weight in zip(self.model.features, levels, weights, strict=True):
            if level == NULL:
                continue
            shown = f.levels[level]
            kept = rounded.get(weight)
            if kept is None or weight == 0.0:  # 0.0 and -0.0 are one key, but not one JSON number
                kept = rounded[weight] = round(weight, 3)
            out.append(Evidence(f.name, shown.label, kept, shown.sentence(f.show, a, b)))
        return out


def match(
    records: Iterable[RawRecord] | JsonlFile,
    *,
    decisions: DecisionMemory | None = None,
    labels: Iterable[tuple[RecordId, RecordId, bool]] = (),
    progress: Callable[[int], None] | None = None,
    merge_threshold: float = MERGE_THRESHOLD,
    review_threshold: float = REVIEW_THRESHOLD,
    cap: int = DEFAULT_CAP,
    window: int = DEFAULT_WINDOW,
) -> MatchResult:
    """Find duplicate counterparties: candidate pairs best first, clusters, and run statistics.

    ``records`` are Counterparty models or plain dicts with the API's field names (or JSON objects
    as bytes: see :data:`~enricher.matching.records.RawRecord`), or a JSON lines file that the
    normalising processes read themselves (:class:`~enricher.records.JsonlFile`). ``progress`` is
    called with the number of records just normalised (an increment, for a progress bar).
    Pairs a person decided (``decisions``: a reviewer's store) are never proposed again; rejected pairs
    never join a cluster, approved ones always do. ``labels`` (a person's answers, "a", "b", same or
    not) are honoured the same way, but a pair labelled the same is listed in the merge band. Both
    teach the model (see :mod:`.learning`); :class:`~.learning.LabelError` when labels contradict.
    The result's ``questions`` are the pairs whose answers would teach it most.
    """
    checked = check_labels(labels)
    with no_gc():
        return _match(
            records,
            decisions=decisions,
            labels=checked,
            progress=progress,
            merge_threshold=merge_threshold,
            review_threshold=review_threshold,
            cap=cap,
            window=window,
        )


class ScoredPair(NamedTuple):
    """A listed profile pair (``i == j``: the records of one profile) and why it is in its band."""

    i: int
    j: int
    score: float
    reason: int
    """A :func:`~.bands.merge_reasons` code, or :data:`LEARNED`; 0: not safe to merge in bulk."""
    why: str
    """The sentence for ``reason``, or why people's answers keep the pair in review."""
    label: bool | None
    """A labels file's answer on this very pair, if any."""


@dataclass(slots=True)
class Blocked:
    """A register normalised, grouped into profiles and blocked: the profile pairs to compare
    (``left``/``right``, positions in ``profiles.representatives``) and what people answered."""

    prepared: list[Prepared]
    problems: list[str]
    profiles: Profiles
    left: IntArray
    right: IntArray
    known: FloatArray
    """Per pair: 1/0 where a person answered, NaN elsewhere."""
    answers: list[tuple[RecordId, RecordId, bool]]
    taught: dict[tuple[RecordId, RecordId], bool]
    """A labels file's answers, by pair key."""
    apart: set[RecordId]
    """Records some answer names (each is its own profile)."""
    answered: int
    """Answers whose two records are both in the input."""
    unblocked: int
    """Answered pairs blocking had not paired (compared anyway)."""
    block_stats: dict[str, Any]
    timings: dict[str, float]
    started: float


def block(
    records: Iterable[RawRecord] | JsonlFile,
    *,
    decisions: DecisionMemory | None,
    labels: Sequence[Label],
    progress: Callable[[int], None] | None = None,
    cap: int = DEFAULT_CAP,
    window: int = DEFAULT_WINDOW,
) -> tuple[Blocked, Table]:
    """Normalise, build profiles and list the pairs to compare (every answered pair among them)."""
    started = time.perf_counter()
    collected = prepare_keyed(records, progress)
    normalised = time.perf_counter() - started
    return block_prepared(
        collected,
        decisions=decisions,
        labels=labels,
        cap=cap,
        window=window,
        timings={"normalise": round(normalised, 3)},
        started=started,
    )


def block_prepared(
    collected: Collected,
    *,
    decisions: DecisionMemory | None,
    labels: Sequence[Label],
    cap: int = DEFAULT_CAP,
    window: int = DEFAULT_WINDOW,
    timings: dict[str, float] | None = None,
    started: float | None = None,
) -> tuple[Blocked, Table]:
    """:func:`block` of records already normalised (:func:`~.batches.collect_chunks`, e.g. by the
    parts of a fanned-out run); ``timings`` and ``started`` carry the stages before it."""
    timings = dict(timings or {})
    clock = time.perf_counter()
    started = clock if started is None else started
    prepared, problems, (key_owner, key_code), columns = collected
    decided = [(a, b, j is Judgement.APPROVED) for a, b, j in (decisions.pairs() if decisions else ())]
    # A label names records as its writer spelt the ids: 7 and "7" are the record the input calls 7.
    spelt = {str(p.id): p.id for p in prepared} if labels else {}  # 1M records: 0.34 s, only for labels
    taught: dict[tuple[RecordId, RecordId], bool] = {}
    for lab in labels:
        a, b = spelt.get(str(lab.a), lab.a), spelt.get(str(lab.b), lab.b)
        taught[pair_key(a, b)] = lab.match
    answers = [*decided, *((a, b, m) for (a, b), m in taught.items())]
    apart = {x for a, b, _ in answers for x in (a, b)}
    large = len(prepared) >= BESIDE_RECORDS

    def ranked() -> IntArray:
        return name_ranks([p.sorted_core for p in prepared])

    def profiled() -> tuple[Profiles, IntArray, Table, tuple[IntArray, IntArray], NameWords]:
        identities = columns.identities() if columns is not None else None  # before take() empties them
        profiles = build_profiles(prepared, keep_apart=apart, identities=identities)
        # The workers' static keys and columns, of the records that stand for their profile.
        first = profiles.members.first
        table = Table(profiles.representatives, columns=columns.take(first) if columns is not None else None)
        stands = np.zeros(len(prepared), dtype=bool)
        stands[first] = True
        mine = stands[key_owner]
        return (
            profiles,
            first,
            table,
            (profiles.of_record[key_owner[mine]], key_code[mine]),
            table.name_words(),
        )

    # The names' order and the profiles need nothing of each other (1M generated records, one after the
    # other: ~0.6 s and ~1.9 s): on a large register the order is found in a forked process beside.
    ranks, (profiles, first, table, static, words) = (
        run_beside(ranked, profiled) if large else (None, profiled())
    )
    nodes = profiles.representatives
    left, right, block_stats = candidate_pairs(
        nodes,
        cap=cap,
        window=window,
        weights=profiles.sizes,
        static=static,
        words=words,
        beside=run_beside if len(nodes) >= BESIDE_RECORDS else None,
        ranks=ranks_among(ranks, first) if ranks is not None else None,
    )
    # A profile that stands for several records also pairs with itself: its records are identical.
    alone = np.flatnonzero((profiles.sizes > 1) & has_keys(table)).astype(np.int64)
    # Answered pairs are always compared: the model learns from them, and blocking may have missed them.
    node_of = (
        {
            prepared[f].id: k
            for k, (f, n) in enumerate(zip(first.tolist(), profiles.sizes.tolist(), strict=True))
            if n == 1
        }
        if answers
        else {}
    )
    answered = {
        (min(node_of[a], node_of[b]), max(node_of[a], node_of[b])): float(m)
        for a, b, m in answers
        if a in node_of and b in node_of
    }
    left, right = np.concatenate((left, alone)), np.concatenate((right, alone))
    asked = list(answered)
    unblocked = [pair for pair, at in zip(asked, _positions(left, right, asked), strict=True) if at < 0]
    left = np.concatenate((left, np.asarray([a for a, _ in unblocked], dtype=np.int64)))
    right = np.concatenate((right, np.asarray([b for _, b in unblocked], dtype=np.int64)))
    known = np.full(len(left), np.nan)
    if answered:
        known[_positions(left, right, asked)] = list(answered.values())
    timings["block"] = round(time.perf_counter() - clock, 3)
    blocked = Blocked(
        prepared,
        problems,
        profiles,
        left,
        right,
        known,
        answers,
        taught,
        apart,
        len(answered),
        len(unblocked),
        block_stats,
        timings,
        started,
    )
    return blocked, table


def _match(
    records: Iterable[RawRecord] | JsonlFile,
    *,
    decisions: DecisionMemory | None,
    labels: Sequence[Label],
    progress: Callable[[int], None] | None,
    merge_threshold: float,
    review_threshold: float,
    cap: int,
    window: int,
) -> MatchResult:
    blocked, table = block(
        records, decisions=decisions, labels=labels, progress=progress, cap=cap, window=window
    )
    clock = time.perf_counter()
    scorer, levels = Scorer.fit(table, blocked.left, blocked.right, blocked.known)
    blocked.timings["compare_fit"] = round(time.perf_counter() - clock, 3)
    return finish(
        blocked,
        scorer,
        levels,
        decisions=decisions,
        merge_threshold=merge_threshold,
        review_threshold=review_threshold,
    )


def finish(
    blocked: Blocked,
    scorer: Scorer,
    levels: LevelMatrix,
    *,
    decisions: DecisionMemory | None,
    merge_threshold: float = MERGE_THRESHOLD,
    review_threshold: float = REVIEW_THRESHOLD,
    score: FloatArray | None = None,
) -> MatchResult:
    """Score, band, cluster and list the compared pairs (``levels``: one row per blocked pair, in
    order; ``score``: their probabilities if already computed)."""
    timings = blocked.timings
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = round(now - clock, 3)
        clock = now

    prepared, profiles, left, right, known = (
        blocked.prepared,
        blocked.profiles,
        blocked.left,
        blocked.right,
        blocked.known,
    )
    answers, taught, apart = blocked.answers, blocked.taught, blocked.apart
    nodes = profiles.representatives
    table = scorer.table
    if score is None:
        score = scorer.total(levels, left)
    lap("score")

    features = scorer.model.features
    codes = pattern_codes(levels)
    calibration = calibrate(codes, score, known)
    reasons = merge_reasons(score, levels, features, merge_threshold, rare_names(table, left, right))
    rule_based = levels_in(reasons, RULE_BASED)
    reasons, refuted = apply_verdicts(reasons, codes, levels[:, TIN_COLUMN], calibration)
    labelled = ~np.isnan(known)
    listed = np.flatnonzero((score >= review_threshold) | (reasons > 0) | labelled)
    listed = listed[np.argsort(-score[listed], kind="stable")]
    listed_levels = levels[listed]
    # The listed pairs' levels and weights stay arrays: as Python lists kept with each pair until the
    # match ends they took ~600 bytes a pair (1M generated records: ~360k pairs, ~200 MB of the peak).
    weights = scorer.weights(listed_levels, left[listed])
    pairs = []
    reason_texts: dict[tuple[int, int], str] = {}  # one per reason and evidence pattern, not per pair
    # The listed rows' columns as Python lists at once: item by item, numpy scalars cost ~1 µs each.
    columns = zip(
        left[listed].tolist(),
        right[listed].tolist(),
        reasons[listed].tolist(),
        listed_levels.tolist(),
        score[listed].tolist(),
        refuted[listed].tolist(),
        labelled[listed].tolist(),
        codes[listed].tolist(),
        strict=True,
    )
    for i, j, code, pair_levels, pair_score, pair_refuted, pair_labelled, pattern in columns:
        why = ""
        if 0 < code < LEARNED:
            why = reason_texts.get((code, pattern), "")
            if not why:
                why = reason_texts[code, pattern] = merge_reason_text(code, pair_levels, features)
        if code == LEARNED or pair_refuted:
            why = calibration.kinds[pattern].sentence()
        label = taught.get(pair_key(nodes[i].id, nodes[j].id)) if i != j and pair_labelled else None
        pairs.append(ScoredPair(i, j, pair_score, code, why, label))
    del columns  # the listed rows as lists: freed before the evidence is made

    def clustered() -> tuple[list[Cluster], dict[tuple[int, int], str]]:
        refusals: dict[tuple[int, int], str] = {}
        return _clusters(prepared, profiles, pairs, scorer, answers, refusals), refusals

    def explained() -> list[Explained | None]:
        out: list[Explained | None] = []
        step = 65_536  # the rows as Python lists a slice at a time (numpy scalars cost ~1 µs each)
        for lo in range(0, len(pairs), step):
            rows = zip(
                pairs[lo : lo + step],
                listed_levels[lo : lo + step].tolist(),
                weights[lo : lo + step].tolist(),
                strict=True,
            )
            out.extend(
                None
                if pair.label is False
                else Explained(scorer.evidence(pair_levels, pair_weights, nodes[pair.i], nodes[pair.j]))
                for pair, pair_levels, pair_weights in rows
            )
        return out

    # Clustering and the listed pairs' evidence need nothing of each other: on a large register the
    # clusters are built in a forked process beside the evidence and its JSON (1M records on a slow
    # 2-core machine, one after the other: 10.3 s and 11.8 s).
    (clusters, refusals), evidence = run_beside(clustered, explained, fork=len(pairs) >= BESIDE_PAIRS)
    cluster_of = {rid: k for k, c in enumerate(clusters) for rid in c.ids}
    lap("cluster")
    candidates, cut = _expand(prepared, profiles, pairs, evidence, cluster_of, decisions, apart, refusals)
    questions = [
        _record_pair(prepared, profiles, int(left[row]), int(right[row]))
        for row in choose_questions(
            codes, score, reasons, rule_based, known, calibration, review_threshold=review_threshold
        )
    ]
    lap("candidates")
    total = time.perf_counter() - blocked.started
    stats: dict[str, Any] = {
        "records": len(prepared),
        "profiles": len(nodes),
        "skipped": blocked.problems,
        **blocked.block_stats,
        "candidates": len(candidates),
        "merge": sum(1 for c in candidates if c.band == "merge"),
        "review": sum(1 for c in candidates if c.band == "review"),
        "not_listed": cut,
        "clusters": len(clusters),
        "largest_cluster": max((len(c.ids) for c in clusters), default=0),
        "seconds": round(total, 3),
        "records_per_second": round(len(prepared) / total, 1) if total > 0 else None,
        "timings": timings,
        "model": scorer.model.describe(),
        "thresholds": {"merge": merge_threshold, "review": review_threshold},
        "learned": {
            **calibration.summary(),
            "labels": len(answers),
            "labels_not_in_input": len(answers) - blocked.answered,
            "labelled_pairs_blocking_missed": blocked.unblocked,
            "weights_moved": weight_changes(fit(levels), scorer.model) if blocked.answered else [],
        },
    }
    notes = []
    if cut:
        notes.append(
            f"{cut} candidate pairs were not listed: at most {MAX_PARTNERS} candidates are listed per record "
            "(records entered many times); their clusters are complete."
        )
    if blocked.block_stats.get("windowed_only_blocks"):
        notes.append(
            f"{blocked.block_stats['windowed_only_blocks']} large blocks were compared by name order only "
            "(the alike-name budget was spent): alike names that sort far apart in them were not compared."
        )
    if answers:
        notes.append(learned_sentence(stats["learned"]))
    learned = LearnedModel(scorer.model, calibration, answers=len(answers))
    return MatchResult(candidates, clusters, stats, notes, questions, learned)


RULE_BASED = (BY_IDENTIFIERS, SAME_PLACE, SAME_NAME)
"""Merge reasons that rest on a rule rather than on agreeing names and the probability threshold."""
TIN_COLUMN = next(k for k, f in enumerate(FEATURES) if f.name == "tin")


def weight_changes(before: Model, after: Model, top: int = 3) -> list[str]:
    """The levels whose weight the answers moved most: "street equal now +7.9 (was +6.2)"."""
    moved = []
    for feature in after.features:
        old, new = before.weights(feature.name), after.weights(feature.name)
        for k, level in enumerate(feature.levels):
            if abs(new[k] - old[k]) >= 0.1:
                moved.append(
                    (
                        abs(new[k] - old[k]),
                        f"{feature.name} {level.label} now {new[k]:+.1f} (was {old[k]:+.1f})",
                    )
                )
    return [text for _, text in sorted(moved, reverse=True)[:top]]


def learned_sentence(learned: Mapping[str, Any]) -> str:
    """What the answers taught, in one sentence (stderr, the report, the output's notes)."""
    moved = "; ".join(learned["weights_moved"])
    text = (
        f"Learnt from {learned['labels']} answers: weights refit" + (f" ({moved})" if moved else "") + "; "
        f"{learned['kinds_confirmed']} kinds of pair confirmed as the same company "
        f"({learned['pairs_confirmed']} pairs), {learned['kinds_refuted']} kinds refuted "
        f"({learned['pairs_refuted']} pairs)."
    )
    if learned["labelled_pairs_blocking_missed"]:
        missed = learned["labelled_pairs_blocking_missed"]
        text += f" {missed} answered pairs had not met in blocking and were compared."
    return text


def _record_pair(
    prepared: Sequence[Prepared], profiles: Profiles, i: int, j: int
) -> tuple[RecordId, RecordId]:
    """The records a question about profile pair (i, j) names (two members when i == j)."""
    if i == j:
        first, second = profiles.members[i][:2]
        return prepared[first].id, prepared[second].id
    return prepared[profiles.members[i][0]].id, prepared[profiles.members[j][0]].id


def _positions(left: IntArray, right: IntArray, pairs: Sequence[tuple[int, int]]) -> IntArray:
    """Where each of ``pairs`` (lower, higher) is among the compared pairs, -1 where it is not: by
    sorted codes, not a dict of millions of pairs."""
    if not pairs:
        return np.zeros(0, dtype=np.int64)
    size = int(max(left.max(initial=0), right.max(initial=0), *(b for _, b in pairs))) + 1
    codes = left * size + right
    order = np.argsort(codes, kind="stable")
    wanted = np.asarray([a * size + b for a, b in pairs], dtype=np.int64)
    at = np.minimum(np.searchsorted(codes[order], wanted), max(len(codes) - 1, 0))
    if len(codes) == 0:
        return np.full(len(wanted), -1, dtype=np.int64)
    return np.where(codes[order][at] == wanted, order[at], -1).astype(np.int64)


def has_keys(table: Table) -> npt.NDArray[np.bool_]:
    """Per record of ``table``: whether it carries anything that identifies (a name or an identifier).
    From the coded columns, where an empty value is missing (1M records: 0.35 s of Python -> ~10 ms)."""
    found = np.zeros(table.size, dtype=bool)
    for name in ("core", "tin", "domain", "phone", "street"):
        found |= table.codes[name] >= 0
    return found


def _clusters(
    prepared: Sequence[Prepared],
    profiles: Profiles,
    pairs: Sequence[ScoredPair],
    scorer: Scorer,
    answers: Sequence[tuple[RecordId, RecordId, bool]],
    refusals: dict[tuple[int, int], str],
) -> list[Cluster]:
    """Clusters over profiles: merge-band links and "same" answers join; "different" answers and valid
    tax ids keep apart."""
    links: list[Link] = []
    joined: list[int] = []
    known: dict[tuple[int, int], float] = {}
    for pair in pairs:
        known[(pair.i, pair.j)] = pair.score
        if not pair.reason:
            continue
        if pair.i == pair.j:
            joined.append(pair.i)
            continue
        why = pair.why[0].upper() + pair.why[1:]
        links.append(Link(pair.i, pair.j, pair.score, why, identifiers_only=pair.reason == BY_IDENTIFIERS))
    return cluster_links(
        profiles.representatives,
        links,
        answers,
        scorer.score,
        members=_Members(prepared, profiles.members),
        joined=joined,
        known=known,
        refusals=refusals,
        weights=profiles.sizes.tolist(),
        filled=scorer.table.filled().tolist(),
    )


class _Records(Sequence[Prepared]):
    """The records one profile stands for, read from the register when iterated: its size costs
    nothing (clustering weighs every node it meets, and with answers every node)."""

    __slots__ = ("_prepared", "_rows")

    def __init__(self, prepared: Sequence[Prepared], rows: Sequence[int]) -> None:
        self._prepared = prepared
        self._rows = rows

    def __len__(self) -> int:
        return len(self._rows)

    def __iter__(self) -> Iterator[Prepared]:
        return (self._prepared[r] for r in self._rows)

    @overload
    def __getitem__(self, k: int) -> Prepared: ...
    @overload
    def __getitem__(self, k: slice) -> Sequence[Prepared]: ...
    def __getitem__(self, k: int | slice) -> Prepared | Sequence[Prepared]:
        if isinstance(k, slice):
            return [self._prepared[r] for r in self._rows[k]]
        return self._prepared[self._rows[k]]


class _Members(Sequence[Sequence[Prepared]]):
    """The records each profile stands for, made when clustering asks for a profile's: it asks for
    those its links name (1M records: 351k of 916k profiles), and a forked clustering process that
    listed them all would also copy every record's memory page (it writes their reference counts)."""

    def __init__(self, prepared: Sequence[Prepared], members: Sequence[Sequence[int]]) -> None:
        self._prepared = prepared
        self._members = members

    def __len__(self) -> int:
        return len(self._members)

    @overload
    def __getitem__(self, k: int) -> Sequence[Prepared]: ...
    @overload
    def __getitem__(self, k: slice) -> Sequence[Sequence[Prepared]]: ...
    def __getitem__(self, k: int | slice) -> Sequence[Prepared] | Sequence[Sequence[Prepared]]:
        if isinstance(k, slice):
            return [self[x] for x in range(*k.indices(len(self)))]
        return _Records(self._prepared, self._members[k])


MAX_PARTNERS = 50
"""Most candidates listed per record. A company entered hundreds of times would otherwise list tens of
thousands of identical pairs; its cluster stays complete, and ``not_listed`` says how many were cut."""


def _expand(
    prepared: Sequence[Prepared],
    profiles: Profiles,
    pairs: Sequence[ScoredPair],
    evidences: Sequence[Sequence[Evidence] | None],
    cluster_of: Mapping[RecordId, int],
    decisions: DecisionMemory | None,
    apart: set[RecordId],
    refusals: Mapping[tuple[int, int], str],
) -> tuple[list[Candidate], int]:
    """Record pairs from profile pairs, best first. A pair is ``merge`` only when its own evidence says so
    and clustering put both records in one cluster (what is safe to approve in bulk is what the
    clusters merge); a reviewer's decided pairs are not proposed again; a labelled pair is listed as
    its label says (the same: merge; different: not at all). ``evidences``: each pair's, None for a
    pair labelled different."""
    listed: dict[int, int] = {}
    candidates: list[Candidate] = []
    cut = 0
    for pair, evidence in zip(pairs, evidences, strict=True):
        if evidence is None:  # labelled different
            continue
        mi, mj = profiles.members[pair.i], profiles.members[pair.j]
        record_pairs = itertools.combinations(mi, 2) if pair.i == pair.j else itertools.product(mi, mj)
        for x, y in record_pairs:
            a, b = prepared[x], prepared[y]
            decided = a.id in apart and b.id in apart and decisions is not None
            if pair.label is None and decided and decisions is not None and decisions.judgement(a.id, b.id):
                continue
            if listed.get(x, 0) >= MAX_PARTNERS or listed.get(y, 0) >= MAX_PARTNERS:
                cut += 1
                continue
            listed[x] = listed.get(x, 0) + 1
            listed[y] = listed.get(y, 0) + 1
            together = a.id in cluster_of and cluster_of[a.id] == cluster_of.get(b.id)
            if pair.label:
                band: Band = "merge" if together else "review"
                note = "A person said these are the same company."
                if not together:
                    note += f" {refusals.get((pair.i, pair.j), 'Clustering kept them apart')}."
                candidates.append(Candidate(a.id, b.id, pair.score, band, evidence, note))
            elif not pair.reason:
                note = f"In review: {pair.why}." if pair.why else ""
                candidates.append(Candidate(a.id, b.id, pair.score, "review", evidence, note))
            elif together:
                candidates.append(
                    Candidate(a.id, b.id, pair.score, "merge", evidence, f"Safe to merge: {pair.why}.")
                )
            else:
                kept = refusals.get((pair.i, pair.j), "stronger links put the records in different clusters")
                note = f"In review although {pair.why}: {kept}."
                candidates.append(Candidate(a.id, b.id, pair.score, "review", evidence, note))
    return candidates, cut
