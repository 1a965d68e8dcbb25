"""The bundled sample is exactly what the generator makes for its seed, and ships in the package."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

from enricher.sample import (
    BUNDLED_COUNT,
    BUNDLED_DUPLICATE_RATE,
    BUNDLED_SEED,
    bundled_sample_path,
    bundled_truth_path,
    write_sample,
)


def test_bundled_sample_matches_the_generator(tmp_path: Path) -> None:
    records, truth = tmp_path / "s.jsonl", tmp_path / "t.csv"
    write_sample(
        records, BUNDLED_COUNT, seed=BUNDLED_SEED, truth_path=truth, duplicate_rate=BUNDLED_DUPLICATE_RATE
    )
    assert bundled_sample_path().read_bytes() == records.read_bytes()
    assert bundled_truth_path().read_bytes() == truth.read_bytes()


def test_bundled_sample_shape() -> None:
    lines = bundled_sample_path().read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    assert len(records) == BUNDLED_COUNT
    with bundled_truth_path().open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [int(r["id"]) for r in rows] == [r["id"] for r in records]
    groups = Counter(r["entity"] for r in rows)
    assert sum(1 for n in groups.values() if n > 1) >= 30
    # enrichment needs some "unchanged" cases: records that already have a brand name and logo
    branded = [r for r in records if r["displayName"] and r["logoUrl"]]
    assert len(branded) >= 3
    assert any(r["country"].startswith("/countries/") for r in records)
    assert any(not r["country"].startswith("/") for r in records)


def test_write_sample_without_truth_and_progress(tmp_path: Path) -> None:
    seen: list[int] = []
    count = write_sample(tmp_path / "x.jsonl", 25_000, seed=1, progress=seen.append)
    assert count == 25_000
    assert seen[-1] == 25_000 and seen[0] == 10_000
    assert len((tmp_path / "x.jsonl").read_text(encoding="utf-8").splitlines()) == 25_000
    assert not (tmp_path / "t.csv").exists()


def test_same_bytes_in_another_process_with_another_hash_seed(tmp_path: Path) -> None:
    """Nothing depends on str hashing or set order: a fresh interpreter writes identical bytes."""
    here, there = tmp_path / "here.jsonl", tmp_path / "there.jsonl"
    write_sample(here, 300, seed=21)
    code = f"from enricher.sample import write_sample; write_sample({str(there)!r}, 300, seed=21)"
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=120)
    assert here.read_bytes() == there.read_bytes()
