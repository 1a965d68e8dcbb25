"""``enricher dedupe`` on awkward input files: BOMs, binary data, pipes, unwritable outputs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

RECORDS = [
    {"id": 1, "name": "Acme Sp. z o.o.", "tin": "PL 526-025-02-74", "addressCity": "Warszawa"},
    {"id": 2, "name": "ACME sp. z o. o.", "tin": "5260250274", "addressCity": "Warsaw"},
]


def _dedupe(*args: str, cwd: Path, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ENRICHER_")}
    return subprocess.run(
        [sys.executable, "-m", "enricher", "dedupe", *args],
        cwd=cwd,
        env=env,
        input=stdin.decode() if stdin is not None else None,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _jsonl(records: list[dict[str, object]]) -> bytes:
    return "".join(json.dumps(r) + "\r\n" for r in records).encode()


def test_bom_and_crlf_keep_the_first_record(tmp_path: Path) -> None:
    (tmp_path / "in.jsonl").write_bytes(b"\xef\xbb\xbf" + _jsonl(RECORDS))
    proc = _dedupe("--input", "in.jsonl", "--output", "out.json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "skipped" not in proc.stderr
    pairs = [(c["a"], c["b"]) for c in json.loads((tmp_path / "out.json").read_text())["candidates"]]
    assert pairs == [(1, 2)]


def test_binary_input_is_unreadable_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "in.jsonl").write_bytes(bytes(range(256)) * 40)
    proc = _dedupe("--input", "in.jsonl", "--output", "out.json", cwd=tmp_path)
    assert proc.returncode != 0
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert "in.jsonl" in proc.stderr and "no usable record" in proc.stderr
    assert not (tmp_path / "out.json").exists()


def test_some_bad_lines_are_skipped_not_fatal(tmp_path: Path) -> None:
    (tmp_path / "in.jsonl").write_bytes(_jsonl(RECORDS) + b"\xff\xfe garbage\n[1, 2]\n")
    proc = _dedupe("--input", "in.jsonl", "--output", "out.json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "line 3" in proc.stderr and "line 4" in proc.stderr


def test_reads_from_a_pipe(tmp_path: Path) -> None:
    proc = _dedupe("--input", "/dev/stdin", "--output", "out.json", cwd=tmp_path, stdin=_jsonl(RECORDS))
    assert proc.returncode == 0, proc.stderr
    clusters = json.loads((tmp_path / "out.json").read_text())["clusters"]
    assert [c["ids"] for c in clusters] == [[1, 2]]


def test_unwritable_output_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "in.jsonl").write_bytes(_jsonl(RECORDS))
    (tmp_path / "taken").write_text("a file, not a directory")
    for target in ("taken/out.json", str(tmp_path)):
        proc = _dedupe("--input", "in.jsonl", "--output", target, cwd=tmp_path)
        assert proc.returncode == 1
        assert proc.stderr.startswith("enricher: cannot write"), proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr


def test_one_record_written_several_ways_is_a_duplicate_id(tmp_path: Path) -> None:
    """Issue 11: 1, " 1 ", "001" and "/counterparties/1" are one record to the API, so one to dedupe."""
    lines = [
        dict(RECORDS[0], id=1),
        dict(RECORDS[1], id=2),
        dict(RECORDS[0], id=" 1 "),
        dict(RECORDS[0], id="/counterparties/1"),
        dict(RECORDS[0], id="001"),
    ]
    (tmp_path / "in.jsonl").write_bytes(_jsonl(lines))
    proc = _dedupe("--input", "in.jsonl", "--output", "out.json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    for number in (3, 4, 5):
        assert f"line {number}: duplicate id" in proc.stderr, proc.stderr
    assert [c["ids"] for c in json.loads((tmp_path / "out.json").read_text())["clusters"]] == [[1, 2]]
