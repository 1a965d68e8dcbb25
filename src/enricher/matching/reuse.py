"""A full match's normalised records, kept for the next run: a nightly match normalises what changed.

A record's normalised values (:class:`~.records.Prepared`), its static blocking keys and its table
columns follow from its JSON and from the code that makes them: this package's and its libraries'
(phonenumbers' metadata, python-stdnum's, rigour's forms, tldextract's suffix list). A run's
normalising parts keep, beside the chunks they wrote, a digest of each record's JSON and of that code
(:func:`normaliser`); the next run's parts take a record's values, keys and columns from there when its
JSON is byte for byte the one normalised then, and normalise the others.

Normalising is most of a full match's work (1M records: ~110-140 s of the parts' ~140-170 s of task
time), and a register changes little from one night to the next. Nothing needs invalidating: a changed
record is another JSON, a deploy that changes how records are normalised, keyed or coded is another
code digest, and either is normalised afresh. 128-bit digests: two different JSONs of one id agree by
chance about once in 10^38 comparisons.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
from xxhash import xxh3_64_intdigest, xxh3_128_digest

from enricher.matching.records import Prepared, prepare_many

__all__ = ["NORMALISING", "digests", "id_digests", "normaliser", "prepare_reusing"]

NORMALISING = ("phonenumbers", "python-stdnum", "rigour", "tldextract", "anyascii", "enricher")
"""The distributions whose code decides a record's normalised values (enricher: its version)."""

_SOURCES = ("normalize.py", "records.py", "blocking.py", "table.py", "digests.py", "batches.py")
"""This package's modules that make a normalised chunk (records, keys, columns, and the chunk itself),
digested as they are: a changed rule without a new version number is still another normaliser."""


@functools.cache
def normaliser() -> str:
    """A digest of the code that normalises, keys and codes records: equal in two processes that make
    the same chunks of the same records."""
    h = hashlib.sha256()
    for name in NORMALISING:
        try:
            h.update(f"{name}={importlib.metadata.version(name)};".encode())
        except importlib.metadata.PackageNotFoundError:
            h.update(f"{name}=?;".encode())
    here = Path(__file__).resolve().parent
    for source in _SOURCES:
        h.update((here / source).read_bytes())
    ids = here.parent / "records"
    for path in sorted(ids.glob("*.py")):  # how ids are read and checked
        h.update(path.read_bytes())
    return h.hexdigest()[:32]


def digests(lines: Sequence[bytes]) -> list[bytes]:
    """Each record's JSON digest (16 bytes)."""
    return [xxh3_128_digest(line) for line in lines]


def id_digests(ids: Sequence[bytes]) -> npt.NDArray[np.uint64]:
    """Each id's 64-bit digest: where a run looks up the previous run's position of an id."""
    return np.fromiter(map(xxh3_64_intdigest, ids), dtype=np.uint64, count=len(ids))


def prepare_reusing(
    lines: Sequence[bytes], kept: Sequence[Prepared | None]
) -> tuple[list[Prepared | str], int]:
    """:func:`~.records.prepare_many` of ``lines``, but a record whose values ``kept`` holds (those of
    its unchanged JSON, by its index in ``lines``) takes them; the items, and how many were taken."""
    items: list[Prepared | str | None] = list(kept)
    misses = [k for k, item in enumerate(items) if item is None]
    for k, item in zip(misses, prepare_many([lines[k] for k in misses]), strict=True):
        items[k] = item
    return items, len(lines) - len(misses)  # type: ignore[return-value]
