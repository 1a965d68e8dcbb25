"""Normalising many records: in chunks, by worker processes for large inputs, each id once.

Records whose id repeats (in any spelling the API reads as one: ``1``, ``"1"``, ``"/counterparties/1"``)
are kept once and the others reported, as :func:`enricher.records.read_lines` does for a file read
whole; a file read in slices (:class:`~enricher.records.JsonlFile`) is reported by line the same way.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import replace
from typing import Any, NamedTuple, TypeVar

import numpy as np
import numpy.typing as npt

from enricher.matching.blocking import static_key_codes
from enricher.matching.records import Prepared, RawRecord, prepare_many
from enricher.matching.table import ColumnPart, Columns, column_part
from enricher.records import (
    JsonlFile,
    LineSlice,
    RecordId,
    canonical_id,
    duplicate_id,
    line_slices,
    read_slice,
)

__all__ = [
    "PARALLEL_CHUNK",
    "Chunk",
    "Collected",
    "LinesChunk",
    "can_fork",
    "collect_chunks",
    "default_workers",
    "keyed_chunk",
    "no_gc",
    "prepare_all",
    "prepare_chunk",
    "prepare_keyed",
    "prepare_lines",
]

IntArray = npt.NDArray[np.int64]
T = TypeVar("T")
U = TypeVar("U")

PARALLEL_CHUNK = 5000
"""Records per normalising task (and per progress update)."""


class Chunk(NamedTuple):
    """A chunk's prepared records (or error messages) and, when asked for, what can be built of them
    where they are normalised (worker processes: no time of the process that waits)."""

    items: list[Prepared | str]
    owner: IntArray
    """Static blocking keys: the index in ``items`` of each key's record..."""
    code: IntArray
    """... and the key's code."""
    columns: ColumnPart | None = None
    """The table columns of the chunk's records (not its error messages)."""


class LinesChunk(NamedTuple):
    """A chunk of a file's slice (:func:`prepare_lines`), with what names its problems by line."""

    chunk: Chunk
    lines: IntArray
    """Each item's line number."""
    skipped: tuple[tuple[int, str], ...]
    """The slice's bad lines: (line number, why)."""


class Collected(NamedTuple):
    """Chunks joined as one register (see :func:`collect_chunks`)."""

    prepared: list[Prepared]
    problems: list[str]
    static_keys: tuple[IntArray, IntArray]
    """(position, key code) of every kept record's static blocking keys."""
    columns: Columns | None
    """The kept records' table columns; None when a chunk came without them."""


def prepare_chunk(chunk: list[RawRecord], keys: bool = False) -> Chunk:
    """Normalise a chunk; a record that cannot be used becomes its error message. With ``keys``, also
    the static blocking keys and the table columns."""
    items = prepare_many(chunk)
    if not keys:
        empty = np.zeros(0, dtype=np.int64)
        return Chunk(items, empty, empty)
    return keyed_chunk(items)


def keyed_chunk(items: list[Prepared | str], taken: Sequence[tuple[Chunk, int] | None] = ()) -> Chunk:
    """A chunk of normalised records (or error messages) with their static blocking keys and table
    columns. ``taken``: per item, the chunk and position it was taken from unchanged (a run before's:
    see :mod:`.reuse`), whose keys and columns it takes too (they follow from the record alone); None
    for an item normalised here, whose are built."""
    good = [k for k, item in enumerate(items) if not isinstance(item, str)]
    built = [k for k in good if not taken or taken[k] is None]
    records: list[Prepared] = [items[k] for k in built]  # type: ignore[misc]
    owner, code = static_key_codes(records)
    owner = np.asarray(built, dtype=np.int64)[owner] if len(owner) else owner
    if len(built) == len(good):
        return Chunk(items, owner, code, column_part(records))
    return _with_taken(Chunk(items, owner, code, column_part(records)), good, built, taken)


def _with_taken(
    chunk: Chunk, good: list[int], built: list[int], taken: Sequence[tuple[Chunk, int] | None]
) -> Chunk:
    """``chunk``, whose keys and columns are those of its ``built`` items, with the keys and columns
    of the items it took from other chunks (``taken``) joined in item order."""
    owners, codes = [chunk.owner], [chunk.code]
    pool = Columns()
    pool.add(chunk.columns)  # type: ignore[arg-type]  # built here
    row = {k: r for r, k in enumerate(built)}  # each good item's row in the pool
    sources: dict[int, tuple[Chunk, list[int], list[int]]] = {}
    for k in good:
        if (source := taken[k]) is not None:
            entry = sources.setdefault(id(source[0]), (source[0], [], []))
            entry[1].append(k)
            entry[2].append(source[1])
    for other, mine, theirs in sources.values():
        # Their keys: those owned by the positions taken, owned now by the items that took them.
        position = np.full(len(other.items), -1, dtype=np.int64)
        position[theirs] = mine
        moved = position[other.owner]
        owners.append(moved[moved >= 0])
        codes.append(other.code[moved >= 0])
        # Their columns' rows (a chunk's columns hold its good items' rows, in order).
        rows = np.cumsum([not isinstance(item, str) for item in other.items]) - 1
        row.update(zip(mine, (rows[theirs] + pool.rows).tolist(), strict=True))
        pool.add(other.columns)  # type: ignore[arg-type]  # keyed: a part's chunks always are
    owner, code = np.concatenate(owners), np.concatenate(codes)
    order = np.argsort(owner, kind="stable")  # in item order, as when all are built
    picked = pool.take(np.asarray([row[k] for k in good], dtype=np.int64))
    return Chunk(chunk.items, owner[order], code[order], picked.part())


def prepare_lines(source: JsonlFile, piece: LineSlice, keys: bool = False) -> LinesChunk:
    """:func:`prepare_chunk` of a slice of a JSON lines file, read and checked here (the rules of
    :func:`~enricher.records.read_lines`): the process that waits for the chunks neither reads nor
    parses the lines, nor sends them over a pipe (1M records: its CPU while the workers normalise,
    6.2 -> 2.9 s)."""
    skipped: list[tuple[int, str]] = []
    numbers: list[int] = []
    records: list[RawRecord] = []
    for number, _, record in read_slice(
        source.path,
        piece,
        lambda number, why: skipped.append((number, why)),
        max_line_bytes=source.max_line_bytes,
        max_field_chars=source.max_field_chars,
    ):
        numbers.append(number)
        records.append(record)
    return LinesChunk(prepare_chunk(records, keys), np.asarray(numbers, dtype=np.int64), tuple(skipped))


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


def can_fork(workers: int) -> bool:
    """Whether work may be spread over ``workers`` forked processes: more than one asked, fork exists,
    and this process may have children (a Celery prefork worker's pool processes may not)."""
    return (
        workers > 1
        and "fork" in multiprocessing.get_all_start_methods()
        and not multiprocessing.current_process().daemon
    )


def _prepared_chunks(
    records: Iterable[RawRecord] | JsonlFile, workers: int, keys: bool = False
) -> Iterator[Chunk | LinesChunk]:
    """Chunks of prepared records in input order; large inputs are normalised by ``workers`` processes
    (a :class:`~enricher.records.JsonlFile` is read by them too, a slice each)."""
    if isinstance(records, JsonlFile):
        plain = replace(records, advance=None)  # what the workers are sent: a progress bar does not pickle
        sent: deque[LineSlice] = deque()

        def calls() -> Iterator[tuple[JsonlFile, LineSlice, bool]]:
            for piece in line_slices(records.path, PARALLEL_CHUNK):  # read while the rest is scanned
                sent.append(piece)
                yield plain, piece, keys

        for chunk in _in_order(prepare_lines, calls(), workers):
            done = sent.popleft()
            if records.advance is not None:
                records.advance(done.size)
            yield chunk
        return
    chunks = _chunks(records, PARALLEL_CHUNK)
    yield from _in_order(prepare_chunk, ((chunk, keys) for chunk in chunks), workers)


def _in_order(function: Callable[..., T], calls: Iterable[tuple[Any, ...]], workers: int) -> Iterator[T]:
    """``function(*call)`` for each call, results in order; by ``workers`` forked processes once a
    second call exists (small inputs pay nothing), a bounded number in flight (memory stays flat on a
    million records). Fork, so that workers start warm (rigour's and phonenumbers' tables loaded)."""
    calls = iter(calls)
    first = next(calls, None)
    if first is None:
        return
    second = next(calls, None)
    if second is None or not can_fork(workers):
        yield function(*first)
        if second is not None:
            yield function(*second)
            for call in calls:
                yield function(*call)
        return
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        pending: deque[Future[T]] = deque()
        for call in itertools.chain((first, second), calls):
            pending.append(pool.submit(function, *call))
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
    collected = prepare_keyed(records, progress, workers=workers, keys=False)
    return collected.prepared, collected.problems


def prepare_keyed(
    records: Iterable[RawRecord] | JsonlFile,
    progress: Callable[[int], None] | None = None,
    *,
    workers: int | None = None,
    keys: bool = True,
) -> Collected:
    """:func:`prepare_all`, and (with ``keys``) every kept record's static blocking keys and table
    columns."""
    chunks = _prepared_chunks(records, default_workers() if workers is None else workers, keys)
    return collect_chunks(chunks, progress, columns=keys)


def collect_chunks(
    chunks: Iterable[Chunk | LinesChunk | tuple[Any, ...]],
    progress: Callable[[int], None] | None = None,
    *,
    columns: bool = True,
) -> Collected:
    """Normalised chunks, in input order, as one register: each id kept once (the first), every other
    record reported by its position in the input (by its line, a file's slice: :class:`LinesChunk`,
    with the slice's bad lines, in line order); static keys renumbered to the kept records; with
    ``columns``, the kept records' table columns joined (None if a chunk has none: ``plan()`` writes
    its records' file for the gather without them, an older version wrote none)."""
    prepared: list[Prepared] = []
    problems: list[str] = []
    seen: set[RecordId] = set()
    owners: list[IntArray] = []
    codes: list[IntArray] = []
    joined: Columns | None = Columns() if columns else None
    position = 0
    for chunk in chunks:
        lines: IntArray | None = None
        found: list[tuple[int, str]] = []
        if isinstance(chunk, LinesChunk):
            # A file's slice names its problems by line, in line order, as a file read whole would.
            lines, found, chunk = chunk.lines, list(chunk.skipped), chunk.chunk
        items, owner, code = chunk[0], chunk[1], chunk[2]
        kept = np.full(len(items), -1, dtype=np.int64)
        rows: list[int] = []  # the kept ones among the chunk's records (its columns' rows)
        good = 0
        for k, item in enumerate(items):
            position += 1
            if isinstance(item, str):
                if lines is not None:
                    found.append((int(lines[k]), item))
                else:
                    problems.append(f"record {position}: {item}")
                continue
            if (key := canonical_id(item.id)) in seen:
                if lines is not None:
                    found.append((int(lines[k]), duplicate_id(item.id, key)))
                else:
                    problems.append(f"record {position}: duplicate id {item.id!r}, skipped")
            else:
                seen.add(key)
                kept[k] = len(prepared)
                prepared.append(item)
                rows.append(good)
            good += 1
        if len(owner):
            mapped = kept[owner]
            owners.append(mapped[mapped >= 0])
            codes.append(code[mapped >= 0])
        part = chunk[3] if len(chunk) > 3 else None
        if joined is not None:
            if part is None:
                joined = None
            else:
                joined.add(part, None if len(rows) == good else np.asarray(rows, dtype=np.int64))
        if found:
            problems.extend(f"line {number}: {why}" for number, why in sorted(found))
        if progress is not None:
            progress(len(items))
    empty = np.zeros(0, dtype=np.int64)
    static = (np.concatenate(owners) if owners else empty, np.concatenate(codes) if codes else empty)
    return Collected(prepared, problems, static, joined)


@contextlib.contextmanager
def no_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector: matching allocates millions of small acyclic objects
    (records, evidence), and every full collection would walk all of them again (-40% in the
    clustering stage at 300k records). Reference counting still frees everything as usual.

    What the pause made and is still alive when it ends is walked by the next collection, which comes
    with the first allocations after it (a 1M plan's register: ~0.5 s; a gather's result: ~3.8 s over
    three generations). Keep the pause until those objects are freed: hold only small results past it."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
