"""A full match split over processes by the *pair space*: plan once, compare slices, gather once.

The plan normalises and blocks the register, learns the model from :func:`~.engine.fit_sample` of the
pairs (the very model a single process learns) and writes it all to a run directory. Each part then
compares one contiguous slice of the pairs and writes their levels and scores; the gather reads the
parts in order and finishes exactly as :func:`~.engine.match` does, so the result is the single
process's, pair for pair and cluster for cluster, however many parts there were.

Files, not Redis: a 10M register's pair list and normalised records are gigabytes, which a shared
volume holds cheaply and Redis (memory) does not. Every file is written under a temporary name and
renamed, so a part that dies half-way leaves nothing a gather could mistake for a result.
"""

from __future__ import annotations

import math
import os
import pickle
import shutil
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from enricher.errors import EnricherError
from enricher.matching.bands import MERGE_THRESHOLD, REVIEW_THRESHOLD
from enricher.matching.batches import no_gc
from enricher.matching.blocking import DEFAULT_CAP, DEFAULT_WINDOW
from enricher.matching.decisions import DecisionMemory
from enricher.matching.engine import Blocked, Scorer, block, compare_all, finish
from enricher.matching.learning import check_labels
from enricher.matching.records import RawRecord
from enricher.matching.results import MatchResult
from enricher.matching.scoring import Model

__all__ = ["FanOutError", "PairPlan", "compare_part", "gather", "plan", "prune_runs"]

_PLAN = "plan.pickle"
_PAIRS = "pairs.npz"


class FanOutError(EnricherError):
    """A run directory is missing or unreadable (the run was pruned, or the volume is not shared)."""

    def __init__(self, directory: Path, what: str) -> None:
        super().__init__(f"match run {directory.name}: {what}")
        self.directory = directory


@dataclass(frozen=True, slots=True)
class PairPlan:
    """A planned run: where it lives, how many pairs it compares, and the slices to hand out."""

    directory: Path
    pairs: int
    records: int
    seconds: float

    def slices(self, size: int) -> list[tuple[int, int]]:
        """Contiguous ``[lo, hi)`` slices of at most ``size`` pairs (one empty slice for no pairs)."""
        parts = max(1, math.ceil(self.pairs / max(1, size)))
        step = math.ceil(self.pairs / parts) if self.pairs else 0
        return [(k * step, min(self.pairs, (k + 1) * step)) for k in range(parts)]


def _write(path: Path, write: Any) -> None:
    """Write through a temporary file in the same folder, then rename: readers never see half a file."""
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    with partial.open("wb") as handle:
        write(handle)
    partial.replace(path)


def plan(
    records: Iterable[RawRecord],
    directory: Path,
    *,
    decisions: DecisionMemory | None = None,
    labels: Iterable[tuple[Any, Any, bool]] = (),
    cap: int = DEFAULT_CAP,
    window: int = DEFAULT_WINDOW,
) -> PairPlan:
    """Normalise, block and learn once; write what the parts and the gather need to ``directory``."""
    started = time.perf_counter()
    directory.mkdir(parents=True, exist_ok=True)
    with no_gc():
        blocked, table = block(
            records, decisions=decisions, labels=check_labels(labels), cap=cap, window=window
        )
        clock = time.perf_counter()
        scorer = Scorer.learn(table, blocked.left, blocked.right, blocked.known)
        blocked.timings["fit"] = round(time.perf_counter() - clock, 3)
        _write(directory / _PAIRS, lambda f: np.savez(f, left=blocked.left, right=blocked.right))
        # The pairs live in their own file (parts map them); the pickle holds everything else.
        left, right = blocked.left, blocked.right
        blocked.left = blocked.right = np.zeros(0, dtype=np.int64)
        try:
            # The model as its JSON (its features are code, not data); the rest pickled as is.
            state = (blocked, scorer.table, scorer.model.to_json(), scorer.frequencies)
            _write(directory / _PLAN, lambda f: pickle.dump(state, f, pickle.HIGHEST_PROTOCOL))
        finally:
            blocked.left, blocked.right = left, right
    return PairPlan(directory, len(left), len(blocked.prepared), round(time.perf_counter() - started, 3))


def _load(directory: Path) -> tuple[Blocked, Scorer, Any]:
    try:
        with (directory / _PLAN).open("rb") as handle:
            blocked, table, model, frequencies = pickle.load(handle)  # noqa: S301 - written by plan()
        pairs = np.load(directory / _PAIRS)
    except FileNotFoundError as exc:
        raise FanOutError(directory, f"{Path(exc.filename or '').name or 'a file'} is missing") from exc
    except (pickle.UnpicklingError, EOFError, ValueError, OSError) as exc:
        raise FanOutError(directory, f"unreadable ({type(exc).__name__}: {exc})") from exc
    return blocked, Scorer(table, Model.from_json(model), frequencies), pairs


def _part_path(directory: Path, lo: int, hi: int) -> Path:
    return directory / f"part-{lo}-{hi}.npz"


def compare_part(directory: Path, lo: int, hi: int) -> int:
    """Compare pairs ``[lo, hi)`` of a planned run and write their levels and scores; the pair count.

    Idempotent: a redelivered part writes the same file again."""
    with no_gc():
        _, scorer, pairs = _load(directory)
        _compare(directory, scorer, pairs, lo, hi)
    return hi - lo


def _compare(directory: Path, scorer: Scorer, pairs: Any, lo: int, hi: int) -> None:
    left, right = pairs["left"][lo:hi], pairs["right"][lo:hi]
    levels = compare_all(scorer.table, left, right)
    score = scorer.total(levels, left)
    _write(_part_path(directory, lo, hi), lambda f: np.savez(f, levels=levels, score=score))


def gather(
    directory: Path,
    slices: Sequence[tuple[int, int]],
    *,
    decisions: DecisionMemory | None = None,
    merge_threshold: float = MERGE_THRESHOLD,
    review_threshold: float = REVIEW_THRESHOLD,
) -> tuple[MatchResult, list[tuple[int, int]]]:
    """Finish a run from its parts, in order; a part with no file (failed for good) is compared here.

    Returns the result and the slices this step compared itself."""
    with no_gc():
        blocked, scorer, pairs = _load(directory)
        blocked.left, blocked.right = pairs["left"], pairs["right"]
        # The plan ran in another process: the run's clock restarts here, less the plan's stages.
        blocked.started = time.perf_counter() - sum(blocked.timings.values())
        levels, scores, redone = [], [], []
        for lo, hi in slices:
            path = _part_path(directory, lo, hi)
            if not path.is_file():
                _compare(directory, scorer, pairs, lo, hi)  # the plan is loaded already
                redone.append((lo, hi))
            with np.load(path) as part:
                levels.append(part["levels"])
                scores.append(part["score"])
        if sum(hi - lo for lo, hi in slices) != len(blocked.left):
            raise FanOutError(
                directory, f"the parts cover {sum(h - lo for lo, h in slices)} of {len(blocked.left)} pairs"
            )
        width = len(scorer.model.features)
        result = finish(
            blocked,
            scorer,
            np.concatenate(levels) if levels else np.zeros((0, width), dtype=np.int8),
            decisions=decisions,
            merge_threshold=merge_threshold,
            review_threshold=review_threshold,
            score=np.concatenate(scores) if scores else np.zeros(0),
        )
    return result, redone


def prune_runs(root: Path, *, keep: int = 2) -> list[Path]:
    """Delete all but the ``keep`` newest run directories under ``root`` (a gather may be redelivered,
    so a run's files outlive it until later runs replace them)."""
    if not root.is_dir():
        return []
    runs = sorted((p for p in root.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime, reverse=True)
    removed = runs[keep:]
    for path in removed:
        shutil.rmtree(path, ignore_errors=True)
    return removed
