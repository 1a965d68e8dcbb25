"""A full match split over processes: normalise slices of records, plan once, compare slices of the
*pair space*, gather once.

A large register is first listed in the run directory: its records' JSON (:func:`stage`), or only
their ids (:func:`stage_ids`), each part then reading its own slice of records from where the register
is kept (a ``read`` callable: the worker's Redis snapshot); each normalising part normalises one slice
of records and writes them (:func:`normalise_part`), and :func:`plan_normalised` collects them in
order, exactly as :func:`~.batches.prepare_keyed` would. A part takes a record's normalised values
from the run before (``previous``: :func:`latest_run`) when its JSON is unchanged since (:mod:`.reuse`).
The plan normalises (or collects) and blocks the register, learns the model from
:func:`~.engine.fit_sample` of the pairs (the very model a single process learns) and writes it all
to a run directory. Each part then compares one contiguous slice of the pairs and writes their levels
and scores; the gather reads the parts in order and finishes exactly as :func:`~.engine.match` does,
so the result is the single process's, pair for pair and cluster for cluster, however many parts
there were.

Files, not Redis: a 10M register's pair list and normalised records are gigabytes, which a shared
volume holds cheaply and Redis (memory) does not. Every file is written under a temporary name and
renamed, so a part that dies half-way leaves nothing a gather could mistake for a result.
"""

from __future__ import annotations

import bisect
import itertools
import json
import math
import os
import pickle
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple, cast

import numpy as np
import numpy.typing as npt

from enricher.errors import EnricherError
from enricher.forking import run_beside
from enricher.heap import release_freed
from enricher.matching import reuse
from enricher.matching.bands import MERGE_THRESHOLD, REVIEW_THRESHOLD
from enricher.matching.batches import PARALLEL_CHUNK, Chunk, collect_chunks, keyed_chunk, no_gc
from enricher.matching.blocking import DEFAULT_CAP, DEFAULT_WINDOW
from enricher.matching.decisions import DecisionMemory
from enricher.matching.engine import (
    BESIDE_RECORDS,
    Blocked,
    Scorer,
    block,
    block_prepared,
    compare_all,
    finish,
)
from enricher.matching.features import TEXT_COLUMNS
from enricher.matching.learning import check_labels
from enricher.matching.records import Prepared, RawRecord
from enricher.matching.results import MatchResult
from enricher.matching.scoring import Model
from enricher.matching.table import Table

__all__ = [
    "FORMAT",
    "FanOutError",
    "Normalised",
    "PairPlan",
    "PartNormalised",
    "compare_part",
    "gather",
    "latest_run",
    "normalise_part",
    "plan",
    "plan_normalised",
    "prune_runs",
    "record_slices",
    "stage",
    "stage_ids",
]

FORMAT = 6
"""Version of the plan files' contents (2: tables keep column sizes, not value dicts; 3: tables code
values as digests; 4: the table in a file of its own, the model's file with the fit's seconds; 5: the
pairs as two ``.npy`` files a comparing part maps, not one ``.npz`` every part read whole; 6: the
profiles' members as two arrays, not a list per profile). A run
planned by another version (a deploy between the plan and its parts) is a clear error, not an
AttributeError half-way through a part."""

_PLAN = "plan.pickle"
_TABLE = "table.pickle"
_COMPARE = "compare.pickle"
_LEFT = "pairs-left.npy"
_RIGHT = "pairs-right.npy"
_RECORDS = "records.bin"
_OFFSETS = "records.npy"
_IDS = "ids.bin"
_ID_OFFSETS = "ids.npy"
_PREVIOUS = "previous.json"

IntArray = npt.NDArray[np.int64]

Reader = Callable[[Sequence[bytes]], Sequence[bytes | None]]
"""Reads the JSON of the records a list of ids names, in order (None for one no longer there)."""

LEFT = "left the register during the run"
"""A listed record its part no longer found (deleted after the run listed the register)."""


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


def _pickle(path: Path, value: Any, *, first: bool = False) -> None:
    _write(path, lambda f: pickle.dump(value, f, pickle.HIGHEST_PROTOCOL), first=first)


def _write(path: Path, write: Any, *, first: bool = False) -> None:
    """Write through a temporary file in the same folder, then rename: readers never see half a file.
    With ``first``, a file already there stays (a hard link, which fails rather than replace it)."""
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    with partial.open("wb") as handle:
        write(handle)
    if not first:
        partial.replace(path)
        return
    try:
        os.link(partial, path)
    except FileExistsError:
        pass
    finally:
        partial.unlink()


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
    # The register is freed (with _plan_blocked's frame) before the collector runs again: see no_gc.
    with no_gc():
        return _plan_blocked(
            directory,
            started,
            *block(records, decisions=decisions, labels=check_labels(labels), cap=cap, window=window),
        )


def _plan_blocked(directory: Path, started: float, blocked: Blocked, table: Table) -> PairPlan:
    # Its records, as a normalising part would have written them (the gather reads them there).
    whole = (0, len(blocked.prepared))
    chunk = (blocked.prepared, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
    _pickle(_norm_path(directory, *whole), [chunk])
    return _learn_and_write(directory, blocked, table, started, [whole])


def record_slices(count: int, size: int) -> list[tuple[int, int]]:
    """Contiguous ``[lo, hi)`` slices of ``count`` records for normalising parts: at most ``size``
    records each, rounded to whole chunks of :data:`~.batches.PARALLEL_CHUNK` (so the parts cut the
    register where :func:`~.batches.prepare_keyed` does, and their collected result is its result)."""
    step = max(PARALLEL_CHUNK, (max(1, size) // PARALLEL_CHUNK) * PARALLEL_CHUNK)
    return [(lo, min(count, lo + step)) for lo in range(0, count, step)] or [(0, 0)]


def stage(records: Sequence[bytes], directory: Path) -> int:
    """Write the register's records (each one JSON object, as the snapshot holds it) to the run
    directory, for the normalising parts to read their slices from; the number of records."""
    return _stage(records, directory, _RECORDS, _OFFSETS)


def stage_ids(ids: Sequence[bytes], directory: Path, *, previous: Path | None = None) -> int:
    """Write the register's ids, in order, to the run directory: each normalising part reads its
    slice's records itself (``read``), so no one process holds or writes the whole register (1M
    records: ~4 s less in the one process that lists them, and 550 MB not written); the count.

    ``previous``: an earlier run (:func:`latest_run`) whose normalised records the parts take for
    records whose JSON has not changed since (see :mod:`.reuse`)."""
    count = _stage(ids, directory, _IDS, _ID_OFFSETS)
    if previous is not None and previous.resolve() != directory.resolve():
        _write(directory / _PREVIOUS, lambda f: f.write(json.dumps({"run": previous.name}).encode()))
    return count


def latest_run(root: Path) -> Path | None:
    """The newest run under ``root`` that listed its register's ids (whose normalised records a new
    run can reuse), or None."""
    if not root.is_dir():
        return None
    runs = [p for p in root.iterdir() if (p / _ID_OFFSETS).is_file()]
    return max(runs, key=lambda p: p.stat().st_mtime, default=None)


def _stage(blobs: Sequence[bytes], directory: Path, name: str, offsets_name: str) -> int:
    directory.mkdir(parents=True, exist_ok=True)
    offsets = np.zeros(len(blobs) + 1, dtype=np.int64)
    np.cumsum([len(r) for r in blobs], out=offsets[1:])
    _write(directory / name, lambda f: f.writelines(blobs))
    _write(directory / offsets_name, lambda f: np.save(f, offsets))
    return len(blobs)


def _staged(directory: Path, name: str, offsets_name: str, lo: int, hi: int) -> list[bytes]:
    """Blobs ``[lo, hi)`` of a staged file (records or ids)."""
    try:
        offsets = np.load(directory / offsets_name, mmap_mode="r")
        start, end = int(offsets[lo]), int(offsets[hi])
        with (directory / name).open("rb") as handle:
            handle.seek(start)
            data = handle.read(end - start)
        bounds = np.asarray(offsets[lo : hi + 1]) - start
    except FileNotFoundError as exc:
        raise FanOutError(directory, f"{Path(exc.filename or '').name or 'a file'} is missing") from exc
    except (ValueError, OSError, IndexError) as exc:
        raise FanOutError(directory, f"staged records unreadable ({type(exc).__name__}: {exc})") from exc
    return [data[a:b] for a, b in itertools.pairwise(bounds.tolist())]


def _norm_path(directory: Path, lo: int, hi: int) -> Path:
    return directory / f"norm-{lo}-{hi}.pickle"


class Normalised(list[Chunk]):
    """A normalising part's chunks, with what the next run needs to reuse them: each record's JSON
    digest, the normaliser that made them (:mod:`.reuse`), and how many records it took from the run
    before (``reused``)."""

    __slots__ = ("digests", "normaliser", "reused")

    def __init__(self, chunks: Iterable[Chunk], digests: list[bytes], normaliser: str, reused: int) -> None:
        super().__init__(chunks)
        self.digests = digests
        self.normaliser = normaliser
        self.reused = reused

    def __reduce__(self) -> tuple[Any, ...]:
        return Normalised, (list(self), self.digests, self.normaliser, self.reused)


class PartNormalised(NamedTuple):
    """What a normalising part did: records normalised, of which reused from the run before."""

    records: int
    reused: int


def normalise_part(directory: Path, lo: int, hi: int, *, read: Reader | None = None) -> PartNormalised:
    """Normalise records ``[lo, hi)`` of a staged run and write them (with their static blocking keys
    and table columns); the record count, and how many records' values it took from the run before.
    A run that staged only ids reads its records with ``read``.

    Idempotent: the first file written for a slice stands. A part run again (redelivered, perhaps
    after the plan blocked its records) leaves it: a run that listed only ids would read the register
    as it is by then, and the gather must find the records the plan blocked."""
    path = _norm_path(directory, lo, hi)
    if path.is_file():
        return PartNormalised(hi - lo, 0)
    with no_gc():  # the chunks are freed (written, a temporary) before the collector runs again
        part = _normalise(directory, lo, hi, read)
        _pickle(path, part, first=True)
    return PartNormalised(hi - lo, part.reused)


def _normalise(directory: Path, lo: int, hi: int, read: Reader | None) -> Normalised:
    gone: list[tuple[int, bytes]] = []
    ids: list[bytes] | None = None
    if (directory / _RECORDS).is_file() or not (directory / _IDS).is_file():
        lines = _staged(directory, _RECORDS, _OFFSETS, lo, hi)
    elif read is None:
        raise FanOutError(
            directory, f"records {lo}-{hi}: the run listed only their ids, and their normalised file is gone"
        )
    else:
        ids = _staged(directory, _IDS, _ID_OFFSETS, lo, hi)
        found = read(ids)
        if len(found) != len(ids):
            raise FanOutError(directory, f"asked for {len(ids)} records, read {len(found)}")
        # A record deleted since the run listed it is kept in its place, as a problem: the slices
        # still cut the register where a single process would.
        gone = [(k, rid) for k, (rid, line) in enumerate(zip(ids, found, strict=True)) if line is None]
        lines = [b"" if line is None else line for line in found]
    found_digests = reuse.digests(lines)
    kept = _reusable(directory, ids, found_digests) if ids is not None else [None] * len(lines)
    chunks, reused = [], 0
    for k in range(0, len(lines), PARALLEL_CHUNK):
        sources = kept[k : k + PARALLEL_CHUNK]
        items, taken = reuse.prepare_reusing(
            lines[k : k + PARALLEL_CHUNK],
            [None if s is None else cast(Prepared, s[0].items[s[1]]) for s in sources],  # never a str
        )
        chunks.append(keyed_chunk(items, sources))
        reused += taken
    for k, rid in gone:
        text = rid.decode(errors="replace")
        chunks[k // PARALLEL_CHUNK].items[k % PARALLEL_CHUNK] = f"record {text} {LEFT}"
    return Normalised(chunks, found_digests, reuse.normaliser(), reused)


_POSITIONS: dict[str, tuple[npt.NDArray[np.uint64], IntArray]] = {}
"""This process's index of the last previous run it reused: its ids' 64-bit digests, sorted, and
their positions (16 bytes a record, where a dict of the ids held ~140; a worker process normalises
several parts of a run, and 1M ids take ~0.5 s to read and index)."""


def _reusable(
    directory: Path, ids: Sequence[bytes], found: Sequence[bytes]
) -> list[tuple[Chunk, int] | None]:
    """Per record of ``ids`` (its JSON digests ``found``), where the run before keeps its normalised
    values (a chunk of its, and the position there) when that run normalised the same JSON with the
    same normaliser; None elsewhere. The previous run is a cache: one that is gone, unreadable or of
    another version reuses nothing."""
    kept: list[tuple[Chunk, int] | None] = [None] * len(ids)
    try:
        name = json.loads((directory / _PREVIOUS).read_bytes())["run"]
        if not isinstance(name, str) or Path(name).name != name:  # a sibling run's name, nothing else
            return kept
        previous = directory.parent / name
        where = _previous_positions(previous, ids).tolist()
        done = sorted(_slice_bounds(previous))
    except (OSError, ValueError, KeyError, TypeError, FanOutError):
        return kept
    starts = [lo for lo, _ in done]
    wanted: dict[int, list[int]] = {}
    for k, at in enumerate(where):
        s = bisect.bisect_right(starts, at) - 1
        if at >= 0 and s >= 0 and at < done[s][1]:
            wanted.setdefault(s, []).append(k)
    mine = reuse.normaliser()
    for s, records in wanted.items():
        lo, hi = done[s]
        try:
            part = _unpickled(previous, _norm_path(previous, lo, hi).name)
        except FanOutError:
            continue
        if not isinstance(part, Normalised) or part.normaliser != mine or len(part.digests) != hi - lo:
            continue
        located = [(chunk, j) for chunk in part for j in range(len(chunk.items))]
        for k in records:
            at = where[k] - lo
            chunk, j = located[at]
            # The digest says the JSON is the one normalised then (an id whose digest met another's
            # finds another record's JSON here, and normalises afresh).
            if part.digests[at] == found[k] and not isinstance(chunk.items[j], str):
                kept[k] = (chunk, j)
    return kept


def _previous_positions(previous: Path, ids: Sequence[bytes]) -> IntArray:
    """Each id's position in the register ``previous`` listed; -1 for an id it did not list."""
    key = str(previous.resolve())
    if key not in _POSITIONS:
        offsets = np.load(previous / _ID_OFFSETS, mmap_mode="r")
        listed = reuse.id_digests(_staged(previous, _IDS, _ID_OFFSETS, 0, len(offsets) - 1))
        order = np.argsort(listed, kind="stable")
        _POSITIONS.clear()
        _POSITIONS[key] = (listed[order], order)
    keys, order = _POSITIONS[key]
    if not len(keys):
        return np.full(len(ids), -1, dtype=np.int64)
    asked = reuse.id_digests(ids)
    at = np.minimum(np.searchsorted(keys, asked), len(keys) - 1)
    return np.where(keys[at] == asked, order[at], -1)


def _slice_bounds(directory: Path) -> list[tuple[int, int]]:
    """The ``[lo, hi)`` slices whose normalised records a run directory holds."""
    bounds = []
    for path in directory.glob("norm-*-*.pickle"):
        lo, hi = path.stem.split("-")[1:3]
        bounds.append((int(lo), int(hi)))
    return bounds


def plan_normalised(
    directory: Path,
    slices: Sequence[tuple[int, int]],
    *,
    read: Reader | None = None,
    decisions: DecisionMemory | None = None,
    labels: Iterable[tuple[Any, Any, bool]] = (),
    cap: int = DEFAULT_CAP,
    window: int = DEFAULT_WINDOW,
) -> tuple[PairPlan, list[tuple[int, int]]]:
    """:func:`plan` from the normalising parts' files, in order; a slice with no file (its part failed
    for good) is normalised here (``read``: as :func:`normalise_part`). The plan, and the slices this
    step normalised itself."""
    started = time.perf_counter()
    redone: list[tuple[int, int]] = []

    def chunks() -> Iterable[Chunk | tuple[Any, ...]]:
        for lo, hi in slices:
            path = _norm_path(directory, lo, hi)
            part = _normalised_slice(directory, lo, hi) if path.is_file() else None
            if part is None or not all(len(c) > 3 and c[3] is not None for c in part):
                # Missing, or written by an older version (a deploy during the run): its chunks have no
                # columns and its key codes meet no key of this version's.
                part = _normalise(directory, lo, hi, read)
                redone.append((lo, hi))
                _pickle(path, part)  # where the gather reads it
            yield from part

    with no_gc():  # the register is freed (a temporary) before the collector runs again
        planned = _learn_and_write(
            directory,
            *block_prepared(
                collect_chunks(chunks()),
                decisions=decisions,
                labels=check_labels(labels),
                cap=cap,
                window=window,
                timings={"normalise": round(time.perf_counter() - started, 3)},
                started=started,
            ),
            started,
            list(slices),
        )
    return planned, redone


def _learn_and_write(
    directory: Path, blocked: Blocked, table: Table, started: float, normalised: list[tuple[int, int]]
) -> PairPlan:
    """Learn the model from the blocked pairs and write the plan in four files: the pairs; the table
    without its records; the model (with the pairs and the table, what the comparing parts need); what
    the gather needs besides (profiles, answers, statistics). No file holds the normalised records
    again: the gather reads them from the ``normalised`` slices' files (1M records: 6 s less to write
    here, 4 s less for each process that compares to read).

    On a large register a forked process writes the pairs, the table and the gather's plan while this
    one learns: none of them needs the model (1M on a slow 2-core machine: 4.4 s of writing, forked,
    beside 5.6 s of learning; the plan 25-28 -> 22-24 s). The fit's seconds are kept with the model,
    the one file written after it, and the gather adds them to the plan's timings."""
    detached = table.detached(TEXT_COLUMNS)  # its columns built here, before any fork: once for both

    def write() -> None:
        _write(directory / _LEFT, lambda f: np.save(f, blocked.left))
        _write(directory / _RIGHT, lambda f: np.save(f, blocked.right))
        _pickle(directory / _TABLE, (FORMAT, detached))
        kept = blocked.left, blocked.right, blocked.prepared, blocked.profiles.representatives
        blocked.left = blocked.right = np.zeros(0, dtype=np.int64)
        blocked.prepared, blocked.profiles.representatives = [], []
        try:
            _pickle(directory / _PLAN, (FORMAT, blocked, normalised))
        finally:
            blocked.left, blocked.right, blocked.prepared, blocked.profiles.representatives = kept

    def learn() -> float:
        clock = time.perf_counter()
        scorer = Scorer.learn(table, blocked.left, blocked.right, blocked.known)
        seconds = round(time.perf_counter() - clock, 3)
        # The model as its JSON (its features are code, not data); the rest pickled as is.
        _pickle(directory / _COMPARE, (FORMAT, scorer.model.to_json(), scorer.frequencies, seconds))
        return seconds

    _, blocked.timings["fit"] = run_beside(write, learn, fork=len(blocked.prepared) >= BESIDE_RECORDS)
    return PairPlan(
        directory, len(blocked.left), len(blocked.prepared), round(time.perf_counter() - started, 3)
    )


_LOADED: dict[tuple[str, int, int], tuple[Scorer, Any, dict[str, float]]] = {}
"""This process's last loaded comparing plan, by (run directory, file's inode and mtime: a rewritten
plan is a new file). A worker process compares several parts of a run, and reading the plan costs more
than comparing a part (300k records: 2.1 s of CPU against 1.7 s). One run at most; the gather takes it,
and a process that compared no part for :data:`KEEP_PLAN` seconds lets it go."""
_LOADED_LOCK = threading.Lock()

KEEP_PLAN = 60.0
"""Seconds a process keeps a run's comparing plan after its last part. A run's parts come one after
another, runs hours apart: a process that compared parts would otherwise hold the plan (the table: 414
MiB at 1M, ~4 GB at 10M) until the next run's first part."""
_forget: threading.Timer | None = None


def _keep_plan_a_while() -> None:
    """(Re)start the countdown after which this process lets its comparing plan go."""
    global _forget
    if _forget is not None:
        _forget.cancel()
    _forget = threading.Timer(KEEP_PLAN, _forget_plan)
    _forget.daemon = True  # never keeps a worker process from ending
    _forget.start()


def _forget_plan() -> None:
    with _LOADED_LOCK:
        if not _LOADED:
            return
        _LOADED.clear()
    release_freed()  # the plan's pages back to the system, not only to the heap


def _load(directory: Path, *, keep: bool = True) -> tuple[Scorer, Any, dict[str, float]]:
    """The run's comparing plan (scorer, pairs, the learning's timings), from this process's cache
    when it read it already; ``keep=False`` (the gather, which changes what it loads and is the run's
    last user) takes it out."""
    key: tuple[str, int, int] | None
    try:
        found = (directory / _COMPARE).stat()
        key = (str(directory.resolve()), found.st_ino, found.st_mtime_ns)
    except OSError:
        key = None
    with _LOADED_LOCK:
        if key is not None and key in _LOADED:
            return _LOADED[key] if keep else _LOADED.pop(key)
    loaded = _read(directory)
    with _LOADED_LOCK:
        _LOADED.clear()
        if keep and key is not None:
            _LOADED[key] = loaded
    return loaded


def _planned(directory: Path, name: str) -> tuple[Any, ...]:
    """A plan file's contents after its format version, which must be this version's."""
    loaded = _unpickled(directory, name)
    if not isinstance(loaded, tuple) or not loaded or loaded[0] != FORMAT:
        raise FanOutError(
            directory, f"{name} was written by another version of enricher; run match-all again"
        )
    return loaded[1:]


def _unpickled(directory: Path, name: str) -> Any:
    try:
        with (directory / name).open("rb") as handle:
            return pickle.load(handle)  # noqa: S301 - written by plan() or normalise_part()
    except FileNotFoundError as exc:
        raise FanOutError(directory, f"{name} is missing") from exc
    except (AttributeError, ImportError) as exc:  # names a class this version no longer has
        raise FanOutError(
            directory, f"{name} was written by another version of enricher; run match-all again"
        ) from exc
    except (pickle.UnpicklingError, EOFError, ValueError, OSError) as exc:
        raise FanOutError(directory, f"{name} unreadable ({type(exc).__name__}: {exc})") from exc


def _read(directory: Path) -> tuple[Scorer, Any, dict[str, float]]:
    model, frequencies, seconds = _planned(directory, _COMPARE)
    (table,) = _planned(directory, _TABLE)
    pairs = {"left": _mapped(directory, _LEFT), "right": _mapped(directory, _RIGHT)}
    return Scorer(table, Model.from_json(model), frequencies), pairs, {"fit": seconds}


def _mapped(directory: Path, name: str) -> IntArray:
    """One side of the run's pairs, memory-mapped: a comparing part reads the pages of its own slice
    only (1M records: 8.5M pairs, 130 MiB that every part's process held whole; ~1.3 GB at 10M)."""
    try:
        side = np.load(directory / name, mmap_mode="r")
    except FileNotFoundError as exc:
        raise FanOutError(directory, f"{name} is missing") from exc
    except (ValueError, OSError) as exc:
        raise FanOutError(directory, f"{name} unreadable ({type(exc).__name__}: {exc})") from exc
    if side.ndim != 1 or side.dtype != np.int64:
        raise FanOutError(directory, f"{name} unreadable (not one column of pair positions)")
    return cast(IntArray, side)


def _read_blocked(directory: Path, scorer: Scorer) -> Blocked:
    """The gather's plan: the blocked register with its normalised records read back from the parts'
    files (a slice whose file is gone is normalised again from the staged records)."""
    blocked, normalised = _planned(directory, _PLAN)

    def chunks() -> Iterable[Chunk | tuple[Any, ...]]:
        return (chunk for lo, hi in normalised for chunk in _normalised_slice(directory, lo, hi))

    # A plan that kept every record (each usable, each id once) needs no id read again (1M: ~1 s less).
    prepared: list[Any] = [] if blocked.problems else [item for chunk in chunks() for item in chunk[0]]
    if blocked.problems or any(isinstance(item, str) for item in prepared):
        # The plan skipped records (or a part's file no longer holds what it read): skip as it did.
        prepared = collect_chunks(chunks(), columns=False).prepared  # the table is in the comparing plan
    if len(prepared) != len(blocked.profiles.of_record):
        raise FanOutError(
            directory, f"{len(prepared)} normalised records, the plan has {len(blocked.profiles.of_record)}"
        )
    blocked.prepared = prepared
    blocked.profiles.representatives = [prepared[p] for p in blocked.profiles.members.first.tolist()]
    scorer.table.attach(blocked.profiles.representatives)
    return blocked  # type: ignore[no-any-return]


def _normalised_slice(directory: Path, lo: int, hi: int) -> Sequence[Chunk | tuple[Any, ...]]:
    """The chunks a normalising part wrote for records ``[lo, hi)`` (normalised again if it is gone and
    the run staged its records; a run that staged only ids cannot read the register as it was)."""
    path = _norm_path(directory, lo, hi)
    if not path.is_file():
        return _normalise(directory, lo, hi, None)
    part: Sequence[Chunk | tuple[Any, ...]] = _unpickled(directory, path.name)  # older: plain tuples
    return part


def _part_path(directory: Path, lo: int, hi: int) -> Path:
    return directory / f"part-{lo}-{hi}.npz"


def compare_part(directory: Path, lo: int, hi: int) -> int:
    """Compare pairs ``[lo, hi)`` of a planned run and write their levels and scores; the pair count.

    Idempotent: a redelivered part writes the same file again."""
    with no_gc():
        scorer, pairs, _ = _load(directory)
        _compare(directory, scorer, pairs, lo, hi)
    _keep_plan_a_while()
    return hi - lo


def _compare(directory: Path, scorer: Scorer, pairs: Any, lo: int, hi: int) -> None:
    left, right = np.array(pairs["left"][lo:hi]), np.array(pairs["right"][lo:hi])  # the slice's pages
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
        scorer, pairs, learnt = _load(directory, keep=False)
        blocked = _read_blocked(directory, scorer)
        # The gather uses every pair, several times: read whole, as the plan held them, and the maps let
        # go (their pages would count twice while the gather holds everything else).
        blocked.left, blocked.right = np.array(pairs["left"]), np.array(pairs["right"])
        pairs = {"left": blocked.left, "right": blocked.right}
        blocked.timings.update(learnt)  # after normalise and block, as a single process times them
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
