"""The one reader of JSON lines files (``enricher dedupe --input``, ``enricher report --input``, the sandbox's
``--data FILE.jsonl``): one counterparty object a line, each bad line reported with its number and skipped.

A good line is at most ``max_line_bytes`` long, a JSON object whose fields that matching reads are at most
``max_field_chars`` characters, and (``check_ids``) has an id the API could read (:func:`record_id`), not
seen before: ``1``, ``"1"``, ``" 1 "`` and ``"/counterparties/1"`` are one record. A UTF-8 BOM on the first
line (spreadsheet exports) and blank lines are passed over. An over-long line is read past in 64 KiB steps,
never held whole, so memory stays bounded on any input; a NUL byte means binary data, not JSON lines, and
the file is unreadable (:class:`~enricher.errors.InputError`) rather than skipped to an end that may never
come.

A file (not a pipe) can also be cut into slices of whole lines (:func:`line_slices`) that are read apart,
by the same rules (:func:`read_slice`), where matching normalises them: see :class:`JsonlFile`.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import orjson

from enricher.errors import InputError
from enricher.records.ids import IdError, RecordId, canonical_id
from enricher.records.model import Counterparty, record_id

__all__ = [
    "BOM",
    "MAX_FIELD_CHARS",
    "MAX_LINE_BYTES",
    "PROGRESS_BYTES",
    "JsonlFile",
    "LineSlice",
    "ProblemSink",
    "duplicate_id",
    "line_slices",
    "read_jsonl",
    "read_jsonl_lines",
    "read_lines",
    "read_slice",
]

MAX_LINE_BYTES = 1024 * 1024
MAX_FIELD_CHARS = 10_000
"""Defaults of ``ENRICHER_DEDUPE_MAX_LINE_BYTES`` and ``ENRICHER_DEDUPE_MAX_FIELD_CHARS``: far beyond
any real counterparty, and they keep one hostile line from costing seconds and gigabytes."""

PROGRESS_BYTES = 1 << 20
"""Report reading progress every MiB, not every line (a progress update costs ~1 µs)."""

BOM = b"\xef\xbb\xbf"
_NEWLINE = ord("\n")

MATCHED_FIELDS = (frozenset(Counterparty.model_fields) - {"iri"}) | {"@id", "phone", "website"}
"""The fields matching reads (the API's names, plus the aliases it accepts): the field cap applies to
these; others are carried along unread and are bounded by the line cap."""

ProblemSink = Callable[[int, str], None]
"""Told ``(line number, reason)`` for each line skipped."""


def read_lines(
    path: Path,
    problem: ProblemSink,
    advance: Callable[[int], None] | None = None,
    *,
    max_line_bytes: int = MAX_LINE_BYTES,
    max_field_chars: int | None = MAX_FIELD_CHARS,
    check_ids: bool = True,
) -> Iterator[tuple[int, bytes, dict[str, Any]]]:
    """Yield ``(line number, line as read, its object)`` per good line; ``problem(number, reason)``
    for each bad one; ``advance(bytes)`` now and then as the file is read."""
    with _open(path) as handle:
        yield from _checked(
            _bounded_lines(handle, path, max_line_bytes),
            problem,
            advance,
            max_line_bytes=max_line_bytes,
            max_field_chars=max_field_chars,
            check_ids=check_ids,
            seen=set() if check_ids else None,
        )


@dataclass(frozen=True, slots=True)
class LineSlice:
    """Consecutive lines of a file, cut where a line ends: read by themselves (see :func:`read_slice`)."""

    start: int
    """Byte offset of the first line."""
    lines: int
    """How many lines (as :func:`read_lines` counts them: an over-long line is one)."""
    first: int
    """The first line's number."""
    size: int
    """Bytes."""


@dataclass(frozen=True, slots=True)
class JsonlFile:
    """A JSON lines file for matching to read itself (``enricher dedupe --input``): its slices are read,
    checked and normalised side by side by the normalising processes (see :func:`line_slices`), with
    the rules of :func:`read_lines`. ``advance(bytes)`` as slices are done."""

    path: Path
    max_line_bytes: int = MAX_LINE_BYTES
    max_field_chars: int | None = MAX_FIELD_CHARS
    advance: Callable[[int], None] | None = field(default=None, compare=False)


SCAN_BYTES = 1 << 22
"""Bytes :func:`line_slices` reads at a time: memory stays bounded whatever the lines' length."""


def line_slices(path: Path, lines: int) -> Iterator[LineSlice]:
    """The file cut into slices of ``lines`` lines each (the last may have fewer), each as soon as
    it is found: the first slices are read while the rest of the file is scanned.

    Finding the line ends is numpy over 4 MiB blocks (a 550 MB file of 1M lines: 0.15-0.3 s), so that the
    lines can be read, parsed and checked where they are normalised, by several processes, rather than
    one line after another by the process that waits for them."""
    if lines < 1:
        raise ValueError("a slice holds one line at least")
    start = offset = 0
    count = 0
    first = 1
    ended = True  # the file so far ends with a newline
    with _open(path) as handle:
        while block := handle.read(SCAN_BYTES):
            ended = block.endswith(b"\n")
            ends = np.flatnonzero(np.frombuffer(block, dtype=np.uint8) == _NEWLINE) + offset + 1
            at = 0
            while count + len(ends) - at >= lines:
                end = int(ends[at + lines - count - 1])
                yield LineSlice(start, lines, first, end - start)
                at += lines - count
                first += lines
                start, count = end, 0
            count += len(ends) - at
            offset += len(block)
    if offset > start:  # the lines after the last full slice; the very last may lack its newline
        yield LineSlice(start, count + (0 if ended else 1), first, offset - start)


def read_slice(
    path: Path,
    piece: LineSlice,
    problem: ProblemSink,
    *,
    max_line_bytes: int = MAX_LINE_BYTES,
    max_field_chars: int | None = MAX_FIELD_CHARS,
) -> Iterator[tuple[int, bytes, dict[str, Any]]]:
    """:func:`read_lines` of one slice, ids checked but not against each other (the slices are read
    apart: whoever joins them keeps each id once, see ``matching.batches.collect_chunks``)."""
    with _open(path) as handle:
        handle.seek(piece.start)
        lines = itertools.islice(_bounded_lines(handle, path, max_line_bytes, piece.first), piece.lines)
        yield from _checked(
            lines,
            problem,
            None,
            max_line_bytes=max_line_bytes,
            max_field_chars=max_field_chars,
            check_ids=True,
            seen=None,
        )


def _open(path: Path) -> BinaryIO:
    try:
        return path.open("rb")
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None


def _checked(
    lines: Iterable[tuple[int, bytes | None, int]],
    problem: ProblemSink,
    advance: Callable[[int], None] | None,
    *,
    max_line_bytes: int,
    max_field_chars: int | None,
    check_ids: bool,
    seen: set[RecordId] | None,
) -> Iterator[tuple[int, bytes, dict[str, Any]]]:
    """The rules of a good line, for a whole file or a slice of one (``seen``: ids met so far, when
    repeats are to be skipped here)."""
    unreported = 0
    for number, raw, size in lines:
        if advance is not None:
            unreported += size
            if unreported >= PROGRESS_BYTES:
                advance(unreported)
                unreported = 0
        if raw is None:
            problem(number, f"longer than {max_line_bytes} bytes (ENRICHER_DEDUPE_MAX_LINE_BYTES)")
            continue
        if number == 1 and raw.startswith(BOM):
            raw = raw[len(BOM) :]  # a UTF-8 BOM (spreadsheet exports): not part of the first record
        if not raw.strip():
            continue
        try:
            record = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            problem(number, f"not JSON ({exc.__class__.__name__}: {str(exc)[:80]})")
            continue
        if not isinstance(record, dict):
            problem(number, "not a JSON object")
            continue
        too_long = (
            _long_field(record, max_field_chars)
            if max_field_chars is not None and len(raw) * _STR_GROWTH > max_field_chars
            else None
        )
        if too_long is not None:
            problem(
                number,
                f"field {too_long!r} is longer than {max_field_chars} characters "
                "(ENRICHER_DEDUPE_MAX_FIELD_CHARS)",
            )
            continue
        if check_ids:
            try:
                given = record_id(record)
                key = canonical_id(given)
            except IdError as exc:
                problem(number, f"no usable id ({exc})")
                continue
            if seen is not None:
                if key in seen:
                    problem(number, duplicate_id(given, key))
                    continue
                seen.add(key)
        yield number, raw, record
    if advance is not None and unreported:
        advance(unreported)


def duplicate_id(given: RecordId, key: RecordId) -> str:
    """Why a line whose id was met before is skipped."""
    return f"duplicate id {given!r} (record {key!r} again)"


def read_jsonl(
    path: Path,
    problems: list[str],
    advance: Callable[[int], None] | None = None,
    *,
    max_line_bytes: int = MAX_LINE_BYTES,
    max_field_chars: int = MAX_FIELD_CHARS,
) -> Iterator[dict[str, Any]]:
    """The good records of :func:`read_lines`; "line N: why" appended to ``problems`` for each bad line."""
    sink = _appender(problems)
    for _, _, record in read_lines(
        path, sink, advance, max_line_bytes=max_line_bytes, max_field_chars=max_field_chars
    ):
        yield record


def read_jsonl_lines(
    path: Path,
    problems: list[str],
    advance: Callable[[int], None] | None = None,
    *,
    max_line_bytes: int = MAX_LINE_BYTES,
    max_field_chars: int = MAX_FIELD_CHARS,
) -> Iterator[bytes]:
    """The good lines of :func:`read_jsonl` as they are (bytes), for input that can only be read in
    turn (a pipe): ``match`` parses them again in its normalising workers, which costs less than
    pickling each parsed dict over to them (1M records: ~3 s of the parent's time). A file is read by
    the workers themselves: see :class:`JsonlFile`."""
    sink = _appender(problems)
    for _, line, _ in read_lines(
        path, sink, advance, max_line_bytes=max_line_bytes, max_field_chars=max_field_chars
    ):
        yield line


def _appender(problems: list[str]) -> ProblemSink:
    return lambda number, reason: problems.append(f"line {number}: {reason}")


def _bounded_lines(
    handle: BinaryIO, path: Path, cap: int, first: int = 1
) -> Iterator[tuple[int, bytes | None, int]]:
    """(line number, line, bytes read) per line, numbered from ``first``; the line is None when longer
    than ``cap``."""
    number = first - 1
    while raw := handle.readline(cap + 1):
        number += 1
        if raw.endswith(b"\n") or len(raw) <= cap:
            yield number, raw, len(raw)
            continue
        size = len(raw)
        while True:
            if b"\0" in raw:
                raise InputError(f"cannot read {path}: binary data (a NUL byte on line {number})")
            if raw.endswith(b"\n"):
                break
            raw = handle.readline(1 << 16)
            if not raw:
                break
            size += len(raw)
        yield number, None, size


_STR_GROWTH = 5
"""How many times longer than its JSON text a parsed value's ``str()`` can be: 4.5 for a float written
short (``1e15`` is ``1000000000000000.0``); a string inside a list at most 4 (a DEL, one byte, prints as
``'\\x7f'``). So a line shorter than a fifth of the field cap cannot hold a field over it, and the
per-field walk (4 µs of the 8 µs a 1M-record file costs the reading process per line) is skipped."""


def _long_field(record: dict[str, Any], limit: int) -> str | None:
    """The first field matching reads whose value is longer than ``limit`` characters, if any."""
    for key, value in record.items():
        if key not in MATCHED_FIELDS or value is None or isinstance(value, bool | int | float):
            continue
        # Matching reads a non-string value as its str() (a list of names, a nested object).
        if len(value if isinstance(value, str) else str(value)) > limit:
            return key
    return None
