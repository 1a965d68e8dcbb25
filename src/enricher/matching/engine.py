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
from enricher.matching.bands import (
    BY_IDENTIFIERS,
    MERGE_THRESHOLD,
    REVIEW_THRESHOLD,
    SAME_NAME,
    merge_reason_text,
    merge_reasons,
    rare_names,
)
from enricher.matching.blocking import DEFAULT_CAP, DEFAULT_WINDOW, candidate_pairs
from enricher.matching.cluster import Link, build_clusters
from enricher.matching.decisions import DecisionMemory, Judgement, pair_key
from enricher.matching.features import FEATURES, NULL, Feature
from enricher.matching.profiles import Profiles, build_profiles
from enricher.matching.records import Prepared, RawRecord, Table, prepare_many
from enricher.matching.results import Candidate, Cluster, Evidence, MatchResult
from enricher.matching.scoring import (
    TF_FIELDS,
    Model,
    fit,
    fit_tf_reference,
    probability,
    tf_adjustment,
)

__all__ = ["MAX_PARTNERS", "Scorer", "compare_all", "match", "no_gc", "prepare_all"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
LevelMatrix = npt.NDArray[np.int8]

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
    decided = list(decisions.pairs()) if decisions is not None else []
    apart = {x for a, b, _ in decided for x in (a, b)}
    profiles = build_profiles(prepared, keep_apart=apart)
    nodes = profiles.representatives
    table = Table(nodes)
    left, right, block_stats = candidate_pairs(nodes, cap=cap, window=window, weights=profiles.sizes)
    # A profile that stands for several records also pairs with itself: its records are identical.
    alone = np.flatnonzero((profiles.sizes > 1) & has_keys(nodes)).astype(np.int64)
    left, right = np.concatenate((left, alone)), np.concatenate((right, alone))
    lap("block")
    scorer, levels = Scorer.fit(table, left, right)
    lap("compare_fit")
    score = scorer.total(levels, left)
    lap("score")

    rare = rare_names(table, left, right)
    listed = np.flatnonzero(
        (score >= review_threshold)
        | (merge_reasons(score, levels, scorer.model.features, merge_threshold, rare) == SAME_NAME)
    )
    listed = listed[np.argsort(-score[listed], kind="stable")]
    bands = merge_reasons(score[listed], levels[listed], scorer.model.features, merge_threshold, rare[listed])
    weights = scorer.weights(levels[listed], left[listed]).tolist()
    pairs = list(
        zip(
            left[listed].tolist(),
            right[listed].tolist(),
            score[listed].tolist(),
            levels[listed].tolist(),
            weights,
            bands.tolist(),
            strict=True,
        )
    )
    refusals: dict[tuple[int, int], str] = {}
    clusters = _clusters(prepared, profiles, pairs, scorer, decided, refusals)
    cluster_of = {rid: k for k, c in enumerate(clusters) for rid in c.ids}
    lap("cluster")
    candidates, cut = _expand(prepared, profiles, pairs, scorer, cluster_of, decisions, apart, refusals)
    lap("candidates")
    total = time.perf_counter() - started
    stats: dict[str, Any] = {
        "records": len(prepared),
        "profiles": len(nodes),
        "skipped": problems,
        **block_stats,
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
    }
    notes = []
    if cut:
        notes.append(
            f"{cut} candidate pairs were not listed: at most {MAX_PARTNERS} candidates are listed per record "
            "(records entered many times); their clusters are complete."
        )
    if block_stats.get("windowed_only_blocks"):
        notes.append(
            f"{block_stats['windowed_only_blocks']} large blocks were compared by name order only (the "
            "alike-name budget was spent): alike names that sort far apart in them were not compared."
        )
    return MatchResult(candidates, clusters, stats, notes)


ScoredPair = tuple[int, int, float, list[int], list[float], int]
"""A listed profile pair: node a, node b (equal: the records of one profile), score, levels, weights,
and why the pair's own evidence puts it in the merge band (a :func:`merge_reasons` code, 0: it does not)."""


def has_keys(nodes: Sequence[Prepared]) -> npt.NDArray[np.bool_]:
    """Per node: whether it carries anything that identifies (a name or an identifier)."""
    return np.fromiter(
        (bool(n.core or n.tin or n.domain or n.phone or n.street) for n in nodes),
        dtype=bool,
        count=len(nodes),
    )


def _clusters(
    prepared: Sequence[Prepared],
    profiles: Profiles,
    pairs: Sequence[ScoredPair],
    scorer: Scorer,
    decided: Sequence[tuple[RecordId, RecordId, Judgement]],
    refusals: dict[tuple[int, int], str],
) -> list[Cluster]:
    """Clusters over profiles: merge-band links and approvals join, rejections and tax ids keep apart."""
    node_of = {prepared[m[0]].id: k for k, m in enumerate(profiles.members) if len(m) == 1}
    edges: list[Link] = []
    joined: list[int] = []
    rejected: set[tuple[RecordId, RecordId]] = set()
    for a, b, judgement in decided:
        if a in node_of and b in node_of:
            if judgement is Judgement.APPROVED:
                edges.append(Link(node_of[a], node_of[b], 1.0, "approved by a person"))
            else:
                rejected.add(pair_key(a, b))
    known: dict[tuple[int, int], float] = {}
    features = scorer.model.features
    for i, j, p, pair_levels, _, reason in pairs:
        known[(i, j)] = p
        if not reason:
            continue
        if i == j:
            joined.append(i)
            continue
        text = merge_reason_text(reason, pair_levels, features)
        edges.append(Link(i, j, p, text[0].upper() + text[1:], identifiers_only=reason == BY_IDENTIFIERS))
    edges.sort(key=lambda e: -e[2])
    members = [[prepared[r] for r in m] for m in profiles.members]
    return build_clusters(
        profiles.representatives,
        edges,
        scorer.score,
        members=members,
        joined=joined,
        rejected=rejected,
        known=known,
        refusals=refusals,
    )


MAX_PARTNERS = 50
"""Most candidates listed per record. A company entered hundreds of times would otherwise list tens of
thousands of identical pairs; its cluster stays complete, and ``not_listed`` says how many were cut."""


def _expand(
    prepared: Sequence[Prepared],
    profiles: Profiles,
    pairs: Sequence[ScoredPair],
    scorer: Scorer,
    cluster_of: Mapping[RecordId, int],
    decisions: DecisionMemory | None,
    apart: set[RecordId],
    refusals: Mapping[tuple[int, int], str],
) -> tuple[list[Candidate], int]:
    """Record pairs from profile pairs, best first. A pair is ``merge`` only when its own evidence says so
    and clustering put both records in one cluster (what is safe to approve in bulk is what the
    clusters merge); decided pairs are not proposed again."""
    listed: dict[int, int] = {}
    candidates: list[Candidate] = []
    cut = 0
    nodes = profiles.representatives
    features = scorer.model.features
    for i, j, p, pair_levels, pair_weights, reason in pairs:
        evidence = scorer.evidence(pair_levels, pair_weights, nodes[i], nodes[j])
        why = merge_reason_text(reason, pair_levels, features) if reason else ""
        mi, mj = profiles.members[i], profiles.members[j]
        record_pairs = itertools.combinations(mi, 2) if i == j else itertools.product(mi, mj)
        for x, y in record_pairs:
            a, b = prepared[x], prepared[y]
            decided = a.id in apart and b.id in apart and decisions is not None
            if decided and decisions is not None and decisions.judgement(a.id, b.id) is not None:
                continue
            if listed.get(x, 0) >= MAX_PARTNERS or listed.get(y, 0) >= MAX_PARTNERS:
                cut += 1
                continue
            listed[x] = listed.get(x, 0) + 1
            listed[y] = listed.get(y, 0) + 1
            if not reason:
                candidates.append(Candidate(a.id, b.id, p, "review", evidence))
            elif a.id in cluster_of and cluster_of[a.id] == cluster_of.get(b.id):
                candidates.append(Candidate(a.id, b.id, p, "merge", evidence, f"Safe to merge: {why}."))
            else:
                kept = refusals.get((i, j), "stronger links put the records in different clusters")
                note = f"In review although {why}: {kept}."
                candidates.append(Candidate(a.id, b.id, p, "review", evidence, note))
    return candidates, cut
