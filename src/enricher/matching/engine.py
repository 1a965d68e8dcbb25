"""``match``: normalise -> block -> compare -> learn weights (EM) -> score -> band -> cluster."""

from __future__ import annotations

import contextlib
import gc
import itertools
import multiprocessing
import os
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from enricher.flowtly.models import RecordId
from enricher.matching.blocking import DEFAULT_CAP, DEFAULT_WINDOW, candidate_pairs
from enricher.matching.cluster import build_clusters
from enricher.matching.decisions import DecisionMemory, Judgement, pair_key
from enricher.matching.features import FEATURES, NULL, Feature
from enricher.matching.records import Prepared, RawRecord, Table, prepare_many
from enricher.matching.results import Band, Candidate, Evidence, MatchResult
from enricher.matching.scoring import (
    TF_FIELDS,
    Model,
    fit,
    fit_tf_reference,
    probability,
    tf_adjustment,
)

__all__ = ["MERGE_THRESHOLD", "REVIEW_THRESHOLD", "Scorer", "band_of", "match", "prepare_all"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
LevelMatrix = npt.NDArray[np.int8]

MERGE_THRESHOLD = 0.99
"""Match probability from which a pair is safe to merge in bulk."""
REVIEW_THRESHOLD = 0.2
"""Match probability from which a person should look at a pair; below it pairs are not listed."""
PARALLEL_CHUNK = 5000
"""Records per normalising task (and per progress update)."""


def compare_all(
    table: Table, left: IntArray, right: IntArray, features: Sequence[Feature] = FEATURES
) -> LevelMatrix:
    """The level of every feature for every pair: rows are pairs, columns features."""
    out = np.empty((len(left), len(features)), dtype=np.int8)
    for column, feature in enumerate(features):
        out[:, column] = feature.compare(table, left, right)
    return out


NAME_AGREES = 3
"""Highest name level ("similar") that still counts as the same name for the merge band."""
NAME_AGREES_WITH_TIN = 4
"""With the same valid tax id (one legal entity by law), a "weak" name (typos, abbreviations) will do."""


def band_of(score: float, levels: Mapping[str, int], merge_threshold: float = MERGE_THRESHOLD) -> Band:
    """``merge`` only when safe to approve in bulk; everything else listed is ``review``.

    Safe means: the match probability reaches ``merge_threshold``, the names agree (a shared phone
    and address with different names is typically two businesses in one building, or one
    accountant's office; with the same valid tax id a weakly similar name is enough) and no two
    valid tax ids disagree (two legal entities).
    """
    name, tin = levels.get("name", -1), levels.get("tin", -1)
    agrees = NAME_AGREES_WITH_TIN if tin == 0 else NAME_AGREES
    if score >= merge_threshold and 0 <= name <= agrees and tin != 2:
        return "merge"
    return "review"


def merge_mask(
    score: FloatArray,
    levels: LevelMatrix,
    features: Sequence[Feature],
    merge_threshold: float = MERGE_THRESHOLD,
) -> npt.NDArray[np.bool_]:
    """``band_of`` for many pairs at once: True where the pair belongs to the merge band."""
    column = {f.name: k for k, f in enumerate(features)}
    name, tin = levels[:, column["name"]], levels[:, column["tin"]]
    agrees = np.where(tin == 0, NAME_AGREES_WITH_TIN, NAME_AGREES)
    return np.asarray((score >= merge_threshold) & (name >= 0) & (name <= agrees) & (tin != 2))


@dataclass(slots=True)
class Scorer:
    """A fitted model bound to a table: scores arbitrary pairs of its records and explains them."""

    table: Table
    model: Model
    frequencies: dict[str, FloatArray]
    """Per tf feature, per record: how many records carry its value."""

    @classmethod
    def fit(cls, table: Table, left: IntArray, right: IntArray) -> tuple[Scorer, LevelMatrix]:
        levels = compare_all(table, left, right)
        model = fit(levels)
        frequencies = {name: table.frequency(field) for name, field in TF_FIELDS.items()}
        scorer = cls(table, model, frequencies)
        fit_tf_reference(model, levels, scorer._pair_frequencies(left))
        return scorer, levels

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
        return [
            Evidence(f.name, f.result(int(level)), float(weight), f.explain(int(level), a, b))
            for f, level, weight in zip(self.model.features, levels, weights, strict=True)
            if level != NULL
        ]


def _prepare_chunk(chunk: list[RawRecord]) -> list[Prepared | str]:
    """Normalise a chunk; a record that cannot be used becomes its error message."""
    return prepare_many(chunk)


def _chunks(records: Iterable[Any], size: int) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for record in records:
        chunk.append(record)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def default_workers() -> int:
    """Processes for normalising: the CPUs this process may use, at most 4."""
    try:
        available = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        available = os.cpu_count() or 1
    return max(1, min(4, available))


def _prepared_chunks(records: Iterable[RawRecord], workers: int) -> Iterator[list[Prepared | str]]:
    """Chunks of prepared records in input order; large inputs are normalised by ``workers`` processes.

    The pool only starts once a second chunk exists (small inputs pay nothing), keeps a bounded number
    of chunks in flight (memory stays flat on a million records), and uses fork so that workers
    start warm (rigour's and phonenumbers' tables are already loaded).
    """
    chunks = _chunks(records, PARALLEL_CHUNK)
    first = next(chunks, None)
    if first is None:
        return
    second = next(chunks, None)
    parallel = (
        workers > 1
        and "fork" in multiprocessing.get_all_start_methods()
        and not multiprocessing.current_process().daemon  # e.g. inside a Celery prefork worker
    )
    if second is None or not parallel:
        yield _prepare_chunk(first)
        if second is not None:
            yield _prepare_chunk(second)
            for chunk in chunks:
                yield _prepare_chunk(chunk)
        return
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        pending: deque[Future[list[Prepared | str]]] = deque()
        for chunk in itertools.chain((first, second), chunks):
            pending.append(pool.submit(_prepare_chunk, chunk))
            if len(pending) >= 2 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def prepare_all(
    records: Iterable[RawRecord],
    progress: Callable[[int], None] | None = None,
    *,
    workers: int | None = None,
) -> tuple[list[Prepared], list[str]]:
    """Normalise every record; records without id or with a repeated id are skipped and reported."""
    prepared: list[Prepared] = []
    problems: list[str] = []
    seen: set[RecordId] = set()
    position = 0
    for chunk in _prepared_chunks(records, default_workers() if workers is None else workers):
        for item in chunk:
            position += 1
            if isinstance(item, str):
                problems.append(f"record {position}: {item}")
            elif item.id in seen:
                problems.append(f"record {position}: duplicate id {item.id!r}, skipped")
            else:
                seen.add(item.id)
                prepared.append(item)
        if progress is not None:
            progress(len(chunk))
    return prepared, problems


@contextlib.contextmanager
def no_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector: matching allocates millions of small acyclic objects
    (records, evidence), and every full collection would walk all of them again (-40% in the
    clustering stage at 300k records). Reference counting still frees everything as usual."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def match(
    records: Iterable[RawRecord],
    *,
    decisions: DecisionMemory | None = None,
    progress: Callable[[int], None] | None = None,
    merge_threshold: float = MERGE_THRESHOLD,
    review_threshold: float = REVIEW_THRESHOLD,
    cap: int = DEFAULT_CAP,
    window: int = DEFAULT_WINDOW,
) -> MatchResult:
    """Find duplicate counterparties: candidate pairs best first, clusters, and run statistics.

    ``records`` are Counterparty models or plain dicts with the API's field names (or JSON objects
    as bytes: see :data:`~enricher.matching.records.RawRecord`). ``progress`` is
    called with the number of records just normalised (an increment, for a progress bar).
    Pairs a person decided (``decisions``) are never proposed again; rejected pairs never join a
    cluster, approved ones always do.
    """
    with no_gc():
        return _match(
            records,
            decisions=decisions,
            progress=progress,
            merge_threshold=merge_threshold,
            review_threshold=review_threshold,
            cap=cap,
            window=window,
        )


def _match(
    records: Iterable[RawRecord],
    *,
    decisions: DecisionMemory | None = None,
    progress: Callable[[int], None] | None = None,
    merge_threshold: float = MERGE_THRESHOLD,
    review_threshold: float = REVIEW_THRESHOLD,
    cap: int = DEFAULT_CAP,
    window: int = DEFAULT_WINDOW,
) -> MatchResult:
    timings: dict[str, float] = {}
    started = clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = round(now - clock, 3)
        clock = now

    prepared, problems = prepare_all(records, progress)
    lap("normalise")
    table = Table(prepared)
    left, right, block_stats = candidate_pairs(prepared, cap=cap, window=window)
    lap("block")
    scorer, levels = Scorer.fit(table, left, right)
    lap("compare_fit")
    score = scorer.total(levels, left)
    lap("score")

    listed = np.flatnonzero(score >= review_threshold)
    listed = listed[np.argsort(-score[listed], kind="stable")]
    bands = merge_mask(score[listed], levels[listed], scorer.model.features, merge_threshold)
    weights = scorer.weights(levels[listed], left[listed]).tolist()
    candidates: list[Candidate] = []
    edges: list[tuple[int, int, float, str]] = []
    rejected: set[tuple[RecordId, RecordId]] = set()
    rows = zip(
        left[listed].tolist(),
        right[listed].tolist(),
        score[listed].tolist(),
        levels[listed].tolist(),
        weights,
        bands.tolist(),
        strict=True,
    )
    for i, j, p, pair_levels, pair_weights, is_merge in rows:
        a, b = prepared[i], prepared[j]
        judgement = decisions.judgement(a.id, b.id) if decisions is not None else None
        if judgement is Judgement.REJECTED:
            rejected.add(pair_key(a.id, b.id))
            continue
        if judgement is Judgement.APPROVED:
            edges.append((i, j, 1.0, "approved by a person"))
            continue
        evidence = scorer.evidence(pair_levels, pair_weights, a, b)
        candidates.append(Candidate(a.id, b.id, p, "merge" if is_merge else "review", evidence))
        if is_merge:
            top = max(evidence, key=lambda e: e.weight)
            edges.append((i, j, p, top.explanation.rstrip(".")))
    edges.sort(key=lambda e: -e[2])
    known = dict(
        zip(
            zip(left[listed].tolist(), right[listed].tolist(), strict=True),
            score[listed].tolist(),
            strict=True,
        )
    )
    clusters = build_clusters(prepared, edges, scorer.score, rejected=rejected, known=known)
    lap("cluster")
    total = time.perf_counter() - started
    stats: dict[str, Any] = {
        "records": len(prepared),
        "skipped": problems,
        **block_stats,
        "candidates": len(candidates),
        "merge": sum(1 for c in candidates if c.band == "merge"),
        "review": sum(1 for c in candidates if c.band == "review"),
        "clusters": len(clusters),
        "seconds": round(total, 3),
        "records_per_second": round(len(prepared) / total, 1) if total > 0 else None,
        "timings": timings,
        "model": scorer.model.describe(),
        "thresholds": {"merge": merge_threshold, "review": review_threshold},
    }
    return MatchResult(candidates, clusters, stats)
