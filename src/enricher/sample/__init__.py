"""Seeded sample data: realistic European counterparties with planted duplicates and known truth.

``generate(count, seed=...)`` streams ``(record, entity_key)`` pairs; records sharing an entity key
are true duplicates. ``bundled_sample_path()`` is the 400-record demo set the sandbox serves;
``generate_clients`` and ``bundled_clients_path()`` the same for clients with their contacts.
"""

from __future__ import annotations

from enricher.sample._clients import generate_clients
from enricher.sample._generator import FIELD_VARIANTS, NAME_VARIANTS, SampleRecord, generate, iter_sample
from enricher.sample._io import (
    BUNDLED_CLIENTS,
    BUNDLED_COUNT,
    BUNDLED_DUPLICATE_RATE,
    BUNDLED_SEED,
    bundled_clients_path,
    bundled_sample_path,
    bundled_truth_path,
    write_clients,
    write_sample,
)
from enricher.sample._taxids import TAX_SCHEMES

__all__ = [
    "BUNDLED_CLIENTS",
    "BUNDLED_COUNT",
    "BUNDLED_DUPLICATE_RATE",
    "BUNDLED_SEED",
    "FIELD_VARIANTS",
    "NAME_VARIANTS",
    "TAX_SCHEMES",
    "SampleRecord",
    "bundled_clients_path",
    "bundled_sample_path",
    "bundled_truth_path",
    "generate",
    "generate_clients",
    "iter_sample",
    "write_clients",
    "write_sample",
]
