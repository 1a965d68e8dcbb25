"""Normalising speed in one process (µs a record), and a digest of every Prepared field.

    .venv/bin/python benchmarks/normalise_speed.py FILE.jsonl [--count N] [--repeats R] [--stride S]
    .venv/bin/python benchmarks/normalise_speed.py --digest FILE.jsonl ... [restaurants]

Speed: ``prepare_many`` over the file's first N lines (as bytes, as the dedupe CLI hands them to its
workers) in chunks of :data:`~enricher.matching.batches.PARALLEL_CHUNK`, memos emptied before each
repeat; CPU time (``time.process_time``), best and median of the repeats. Digest: sha256 of the repr of
``dataclasses.astuple`` of every record ``prepare_all`` keeps (one process, then two), to prove that a
speed-up changes no value. ``restaurants`` reads the shared Fodor's/Zagat's CSVs as the scorer does.

Figures (2 shared cores, alternating runs; ``/tmp/g1m.jsonl --count 250000 --stride 2``, i.e. one of
two workers on 1M generated records): 49.2/50.4 µs a record at 3f2a502 -> 45.8/45.4 µs at fe500ee.
Where the rest goes (per record): names ~12 (rigour plus Python), phones ~7 (phonenumbers.parse ~12 µs
for a number written nationally), tax ids ~7 (stdnum), streets ~3.6, websites ~2.8, orjson ~2-5.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import gc
import hashlib
import itertools
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def lines(path: str, count: int | None = None) -> list[Any]:
    if path == "restaurants":
        sys.path.insert(0, str(ROOT / "benchmarks"))
        from matching_real import scorer

        return list(scorer().restaurants()[0])
    with open(path, "rb") as handle:
        return [line for line in itertools.islice(handle, count) if line.strip()]


def clear_memos() -> None:
    """Empty every memo of the normalisers: each repeat starts as a fresh process would."""
    from enricher.matching import normalize, records

    for module in (normalize, records):
        for value in vars(module).values():
            if isinstance(value, functools._lru_cache_wrapper):
                value.cache_clear()
            clear = getattr(value, "clear_memo", None)
            if callable(clear):
                clear()


def speed(path: str, count: int, repeats: int, stride: int) -> None:
    from enricher.matching.batches import PARALLEL_CHUNK
    from enricher.matching.records import prepare_many

    data = lines(path, count * stride)
    # Every stride-th chunk: what one of ``stride`` workers sees (its memos meet fewer repeats).
    chunks = [data[k : k + PARALLEL_CHUNK] for k in range(0, len(data), PARALLEL_CHUNK * stride)]
    data = [line for chunk in chunks for line in chunk]
    prepare_many(data[:50])  # imports and tables loaded, as in a forked worker
    figures = []
    gc.disable()
    for _ in range(repeats):
        clear_memos()
        started = time.process_time()
        for chunk in chunks:
            prepare_many(chunk)
        figures.append((time.process_time() - started) / len(data) * 1e6)
    gc.enable()
    print(
        f"{path}: {len(data)} records (every {stride}. chunk), prepare_many µs/record (CPU): "
        f"best {min(figures):.1f}, median {statistics.median(figures):.1f} "
        f"({', '.join(f'{f:.1f}' for f in figures)})"
    )


def digest(path: str) -> None:
    from enricher.matching.batches import prepare_all

    data = lines(path)
    out = []
    for workers in (1, 2):
        clear_memos()
        prepared, problems = prepare_all(data, workers=workers)
        # repr, not pickle: a pickle's bytes also depend on which equal values are one object.
        sha = hashlib.sha256()
        for record in prepared:
            sha.update(repr(dataclasses.astuple(record)).encode() + b"\n")
        sha.update(repr(problems).encode())
        out.append(sha.hexdigest()[:16])
    print(f"{path}: {len(data)} records, digest {out[0]} (1 process) {out[1]} (2 processes)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("files", nargs="+")
    parser.add_argument("--digest", action="store_true", help="digest of every Prepared field instead")
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--stride", type=int, default=1, help="time every STRIDE-th chunk (1 worker of N)")
    args = parser.parse_args()
    for path in args.files:
        if args.digest:
            digest(path)
        else:
            speed(path, args.count, args.repeats, args.stride)


if __name__ == "__main__":
    main()
