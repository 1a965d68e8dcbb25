"""``enricher sample generate`` writes the records and the truth, through the real dispatcher."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from enricher.cli import main


def test_generate_writes_records_and_truth(tmp_path: Path) -> None:
    out, truth = tmp_path / "s.jsonl", tmp_path / "t.csv"
    code = main(
        ["sample", "generate", "--count", "120", "--seed", "3", "--output", str(out), "--truth", str(truth)]
    )
    assert code == 0
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in records] == list(range(1, 121))
    with truth.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["id", "entity"]
    assert len(rows) == 121


def test_duplicate_rate_option(tmp_path: Path) -> None:
    out, truth = tmp_path / "s.jsonl", tmp_path / "t.csv"
    main(
        [
            "sample",
            "generate",
            "--count",
            "300",
            "--output",
            str(out),
            "--truth",
            str(truth),
            "--duplicate-rate",
            "0",
        ]
    )
    with truth.open(encoding="utf-8", newline="") as handle:
        entities = [row["entity"] for row in csv.DictReader(handle)]
    assert len(set(entities)) == 300


def test_bad_arguments_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["sample", "generate", "--count", "-5", "--output", str(tmp_path / "x.jsonl")])
    assert exc.value.code == 2
    assert "--count" in capsys.readouterr().err
    code = main(["sample", "generate", "--count", "5", "--output", str(tmp_path / "missing" / "x.jsonl")])
    assert code == 2


@pytest.mark.slow
def test_progress_bar_goes_to_stderr_for_large_counts(tmp_path: Path) -> None:
    out = tmp_path / "s.jsonl"
    result = subprocess.run(
        [sys.executable, "-m", "enricher", "sample", "generate", "--count", "60000", "--output", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert result.stdout == ""
    assert "60000/60000" in result.stderr
    assert out.read_text(encoding="utf-8").count("\n") == 60000
