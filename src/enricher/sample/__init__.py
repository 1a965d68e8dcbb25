"""Seeded sample data: realistic European counterparties with planted duplicates and known truth.

``generate(count, seed=...)`` streams ``(record, entity_key)`` pairs; records sharing an entity key
are true duplicates. ``bundled_sample_path()`` is the 400-record demo set the sandbox serves.
"""

from __future__ import annotations

from enricher.sample._generator import FIELD_VARIANTS, NAME_VARIANTS, SampleRecord, generate, iter_sample
from enricher.sample._io import (
    BUNDLED_COUNT,
    BUNDLED_DUPLICATE_RATE,
    BUNDLED_SEED,
    bundled_sample_path,
    bundled_truth_path,
    write_sample,
)
from enricher.sample._taxids import TAX_SCHEMES

__all__ = [
    "BUNDLED_COUNT",
    "BUNDLED_DUPLICATE_RATE",
    "BUNDLED_SEED",
    "FIELD_VARIANTS",
    "NAME_VARIANTS",
    "TAX_SCHEMES",
    "SampleRecord",
    "bundled_sample_path",
    "bundled_truth_path",
    "generate",
    "iter_sample",
    "write_sample",
]
