"""Reading the sandbox's records from JSON (a list or a Hydra collection) or JSONL, and writing them back.

JSONL is read line by line, so a 100k-record file never sits in memory twice. A line or member that
is not a JSON object is skipped with a warning naming where it was; an unreadable file is an error.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from enricher.errors import ConfigError, InputError
from enricher.flowtly.hydra import members
from enricher.records import read_lines

__all__ = ["bundled_clients_path", "bundled_records_path", "read_records", "write_records"]

log = logging.getLogger(__name__)

_JSONL_SUFFIXES = (".jsonl", ".ndjson")


def bundled_records_path() -> Path:
    """The bundled sample register (looked up when needed, so this module loads without it)."""
    try:
        sample = importlib.import_module("enricher.sample")
        path = Path(sample.bundled_sample_path())
    except (ImportError, AttributeError) as exc:
        raise ConfigError(
            "ENRICHER_FLOWTLY_URL", f"unset, and the bundled sample is not available ({exc})"
        ) from None
    if not path.is_file():
        raise ConfigError("ENRICHER_FLOWTLY_URL", f"unset, and the bundled sample {path} is missing")
    return path


def bundled_clients_path() -> Path | None:
    """The bundled sample's clients (with contacts), or None when this build has none."""
    try:
        path = Path(importlib.import_module("enricher.sample").bundled_clients_path())
    except (ImportError, AttributeError):
        return None
    return path if path.is_file() else None


def read_records(path: Path) -> Iterator[dict[str, Any]]:
    """The records of ``path``: JSONL by suffix, else one JSON document (a list or a Hydra collection);
    a ``.json`` file that turns out to hold several documents is read as JSONL."""
    if path.suffix.lower() in _JSONL_SUFFIXES:
        yield from _read_jsonl(path)
        return
    try:
        with path.open("rb") as fh:
            document = json.load(fh)
    except OSError as exc:
        raise ConfigError("--data", f"cannot read {path}: {exc.strerror or exc}") from None
    except json.JSONDecodeError as exc:
        if exc.msg == "Extra data":
            yield from _read_jsonl(path)
            return
        raise ConfigError("--data", f"{path} is not JSON (line {exc.lineno}: {exc.msg})") from None
    if isinstance(document, dict):
        try:
            items = members(document)
        except ValueError as exc:
            raise ConfigError("--data", f"{path}: {exc}") from None
        if not items and "id" in document:
            items = [document]
    elif isinstance(document, list):
        items = document
    else:
        raise ConfigError("--data", f"{path} must hold a list of records or a Hydra collection")
    for index, item in enumerate(items):
        if isinstance(item, dict):
            yield item
        else:
            log.warning("%s: record %d is not a JSON object; skipped", path, index)


def _read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    """The objects of a JSON lines file (:func:`enricher.records.read_lines`, ids left to the store)."""

    def skipped(number: int, reason: str) -> None:
        log.warning("%s:%d: %s; skipped", path, number, reason)

    try:
        for _, _, item in read_lines(path, skipped, max_field_chars=None, check_ids=False):
            yield item
    except InputError as exc:
        raise ConfigError("--data", str(exc)) from None


def write_records(path: Path, records: Iterable[Mapping[str, Any]]) -> int:
    """Write records atomically (temp file + rename): JSONL by suffix, else a JSON list. Returns the count."""
    tmp = path.with_name(f".{path.name}.tmp")
    count = 0
    jsonl = path.suffix.lower() in _JSONL_SUFFIXES
    with tmp.open("w", encoding="utf-8") as fh:
        if not jsonl:
            fh.write("[\n")
        for record in records:
            if not jsonl and count:
                fh.write(",\n")
            fh.write(json.dumps(record, ensure_ascii=False))
            if jsonl:
                fh.write("\n")
            count += 1
        if not jsonl:
            fh.write("\n]\n")
    os.replace(tmp, path)
    return count
