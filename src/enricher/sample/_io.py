"""Writing samples to disk, and the bundled demo sample shipped inside the package."""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any, TextIO

import orjson

from enricher.sample._clients import generate_clients
from enricher.sample._generator import generate

__all__ = [
    "BUNDLED_CLIENTS",
    "BUNDLED_COUNT",
    "BUNDLED_DUPLICATE_RATE",
    "BUNDLED_SEED",
    "bundled_clients_path",
    "bundled_sample_path",
    "bundled_truth_path",
    "write_clients",
    "write_sample",
]

BUNDLED_COUNT = 400
BUNDLED_SEED = 7
BUNDLED_DUPLICATE_RATE = 0.25
"""The parameters of ``enricher/data/sample.jsonl``; a test regenerates it to prove it has not drifted."""

BUNDLED_CLIENTS = 150
"""Clients in ``enricher/data/sample_clients.jsonl`` (seed 7, overlapping the bundled counterparties)."""

OVERLAP_FROM = 10_000
"""Clients copy counterparties from the first this many records of the counterparty file."""


def write_clients(
    path: str | Path,
    count: int,
    *,
    seed: int = 7,
    truth_path: str | Path | None = None,
    counterparties: str | Path | None = None,
    overlap: float = 0.1,
) -> int:
    """Write ``count`` clients (contacts embedded) as JSON lines, and optionally their truth CSV;
    a share ``overlap`` copy records of the ``counterparties`` file (their truth key names it)."""
    sources: list[dict[str, Any]] = []
    if counterparties is not None:
        with Path(counterparties).open("rb") as handle:
            for number, line in enumerate(handle):
                if number >= OVERLAP_FROM:
                    break
                if line.strip():
                    sources.append(orjson.loads(line))
    keys: list[str] = []
    with Path(path).open("wb") as out:
        for client, entity in generate_clients(count, seed=seed, counterparties=sources, overlap=overlap):
            out.write(orjson.dumps(client, option=orjson.OPT_APPEND_NEWLINE))
            keys.append(f"{client['id']},{entity}")
    if truth_path is not None:
        Path(truth_path).write_text("id,entity\n" + "".join(k + "\n" for k in keys), encoding="utf-8")
    return len(keys)


def bundled_clients_path() -> Path:
    """The demo clients shipped in the package: ``enricher/data/sample_clients.jsonl``."""
    return Path(str(resources.files("enricher") / "data" / "sample_clients.jsonl"))


def write_sample(
    path: str | Path,
    count: int,
    *,
    seed: int = 7,
    truth_path: str | Path | None = None,
    duplicate_rate: float = 0.25,
    near_names: float = 0.0,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write ``count`` records as compact JSON lines (UTF-8) and optionally the truth CSV.

    The truth file has the header ``id,entity``. ``progress`` is called with the number of records
    written so far, every 10,000 records and at the end. Returns the number of records written.
    """
    out = Path(path)
    truth_file = Path(truth_path) if truth_path is not None else None
    written = 0
    with out.open("wb") as records:
        truth = truth_file.open("w", encoding="utf-8", newline="\n") if truth_file is not None else None
        try:
            if truth is not None:
                truth.write("id,entity\n")
            keys: list[str] = []
            write, dumps = records.write, orjson.dumps
            for record, entity in generate(
                count, seed=seed, duplicate_rate=duplicate_rate, near_names=near_names
            ):
                # orjson is ~10x the stdlib encoder; written at once, each line's buffer is freed at once
                write(dumps(record, option=orjson.OPT_APPEND_NEWLINE))
                keys.append(f"{record['id']},{entity}")  # ints and E0000001-style keys: nothing to quote
                written += 1
                if len(keys) >= 10_000:
                    _flush(truth, keys)
                    if progress is not None:
                        progress(written)
            _flush(truth, keys)
        finally:
            if truth is not None:
                truth.close()
    if progress is not None:
        progress(written)
    return written


def _flush(truth: TextIO | None, keys: list[str]) -> None:
    if truth is not None and keys:
        truth.write("\n".join(keys) + "\n")
    keys.clear()


def bundled_sample_path() -> Path:
    """The demo sample shipped in the package (400 records, seed 7): ``enricher/data/sample.jsonl``."""
    return Path(str(resources.files("enricher") / "data" / "sample.jsonl"))


def bundled_truth_path() -> Path:
    """Its truth file (``id,entity``): ``enricher/data/sample_truth.csv``."""
    return Path(str(resources.files("enricher") / "data" / "sample_truth.csv"))
