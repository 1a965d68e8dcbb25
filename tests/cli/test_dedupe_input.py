"""``enricher dedupe`` on awkward input files: BOMs, binary data, pipes, unwritable outputs."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

RECORDS = [
    {"id": 1, "name": "Acme Sp. z o.o.", "tin": "PL 526-025-02-74", "addressCity": "Warszawa"},
    {"id": 2, "name": "ACME sp. z o. o.", "tin": "5260250274", "addressCity": "Warsaw"},
]


def _limit_memory() -> None:
    # 3 GiB of address space: an unbounded reader fails here instead of taking the machine down.
    resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))


def _dedupe(
    *args: str, cwd: Path, stdin: bytes | None = None, limit_memory: bool = False, **settings: str
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ENRICHER_")}
    env.update(settings)
    return subprocess.run(
        [sys.executable, "-m", "enricher", "dedupe", *args],
        cwd=cwd,
        env=env,
        input=stdin.decode() if stdin is not None else None,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=_limit_memory if limit_memory else None,
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


def test_an_oversize_line_is_reported_and_skipped(tmp_path: Path) -> None:
    """Issue 11: a per-line cap (ENRICHER_DEDUPE_MAX_LINE_BYTES); the other lines are matched."""
    huge = dict(RECORDS[0], id=3, name="Acme " + "word " * 2000)
    (tmp_path / "in.jsonl").write_bytes(_jsonl([RECORDS[0], huge, RECORDS[1]]))
    proc = _dedupe(
        "--input", "in.jsonl", "--output", "out.json", cwd=tmp_path, ENRICHER_DEDUPE_MAX_LINE_BYTES="4096"
    )
    assert proc.returncode == 0, proc.stderr
    assert "line 2: longer than 4096 bytes" in proc.stderr, proc.stderr
    assert [c["ids"] for c in json.loads((tmp_path / "out.json").read_text())["clusters"]] == [[1, 2]]


def test_an_oversize_field_is_reported_and_skipped(tmp_path: Path) -> None:
    long_name = dict(RECORDS[0], id=3, name="Acme " + "x" * 300)
    long_city = dict(RECORDS[0], id=4, addressCity="W" * 300)
    notes = dict(RECORDS[0], id=5, notes="n" * 300)  # a field matching does not read is not capped
    (tmp_path / "in.jsonl").write_bytes(_jsonl([RECORDS[0], long_name, long_city, notes, RECORDS[1]]))
    proc = _dedupe(
        "--input", "in.jsonl", "--output", "out.json", cwd=tmp_path, ENRICHER_DEDUPE_MAX_FIELD_CHARS="200"
    )
    assert proc.returncode == 0, proc.stderr
    assert "line 2: field 'name' is longer than 200 characters" in proc.stderr, proc.stderr
    assert "line 3: field 'addressCity' is longer than 200 characters" in proc.stderr, proc.stderr
    assert "line 4" not in proc.stderr
    ids = {i for c in json.loads((tmp_path / "out.json").read_text())["clusters"] for i in c["ids"]}
    assert ids == {1, 2, 5}


def test_the_caps_are_generous_by_default(tmp_path: Path) -> None:
    # A long but real record (a 2,000-character name, a 100 KB line) is read as usual.
    long = dict(RECORDS[1], name="ACME " + "Handel " * 280, notes="n" * 100_000)
    (tmp_path / "in.jsonl").write_bytes(_jsonl([RECORDS[0], long]))
    proc = _dedupe("--input", "in.jsonl", "--output", "out.json", cwd=tmp_path)
    assert proc.returncode == 0 and "skipped" not in proc.stderr, proc.stderr


def test_endless_input_without_newlines_stops_with_one_line(tmp_path: Path) -> None:
    """``--input /dev/zero`` used to grow without bound; now the first line hits the cap and is binary."""
    proc = _dedupe("--input", "/dev/zero", "--output", "out.json", cwd=tmp_path, limit_memory=True)
    assert proc.returncode != 0
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr[-2000:]
    assert "/dev/zero" in proc.stderr and "binary" in proc.stderr
    assert not (tmp_path / "out.json").exists()


def test_a_missing_output_folder_is_an_error_naming_it(tmp_path: Path) -> None:
    """Issue 11: --output in a folder that does not exist is refused, not created (README says so)."""
    (tmp_path / "in.jsonl").write_bytes(_jsonl(RECORDS))
    proc = _dedupe(
        "--input", "in.jsonl", "--output", str(tmp_path / "nonexistent" / "x" / "out.json"), cwd=tmp_path
    )
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and f"folder {tmp_path / 'nonexistent' / 'x'} does not exist" in lines[0], (
        proc.stderr
    )
    assert not (tmp_path / "nonexistent").exists()


def test_the_default_output_folder_is_created(tmp_path: Path) -> None:
    # Without --output the result goes to $ENRICHER_OUT_DIR/dedupe.json, out/ made as the other commands do.
    (tmp_path / "in.jsonl").write_bytes(_jsonl(RECORDS))
    proc = _dedupe("--input", "in.jsonl", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "out" / "dedupe.json").is_file()


def test_a_file_read_in_slices_matches_and_reports_as_a_pipe(tmp_path: Path) -> None:
    """A file is read, a slice each, by the normalising processes; a pipe line by line. On 12k lines (three
    slices, so forked workers) with bad lines and repeated ids across slices, both give the same output
    and name the same skipped lines, in order."""
    lines = []
    for k in range(12_000):
        if k % 997 == 5:
            lines.append(b"not json")
        elif k % 1499 == 7:
            lines.append(b'{"id": 42, "name": "Again"}')  # at line 8 first: line 43's own id 42 repeats it
        elif k % 2503 == 11:
            lines.append(b"")
        else:
            company = k // 3  # three records a company: pairs and clusters to find
            lines.append(
                json.dumps(
                    {"id": k, "name": f"Company {company} Sp. z o.o.", "addressCity": "Warszawa"}
                ).encode()
            )
    body = b"\n".join(lines) + b"\n"
    (tmp_path / "in.jsonl").write_bytes(body)
    by_file = _dedupe("--input", "in.jsonl", "--output", "file.json", cwd=tmp_path)
    by_pipe = _dedupe("--input", "/dev/stdin", "--output", "pipe.json", cwd=tmp_path, stdin=body)
    assert by_file.returncode == 0 and by_pipe.returncode == 0, by_file.stderr + by_pipe.stderr
    skipped = [[line for line in p.stderr.splitlines() if " skipped " in line] for p in (by_file, by_pipe)]
    assert skipped[0] == skipped[1]
    assert len(skipped[0]) == 13 + 9, skipped[0]  # not JSON, and id 42 again
    assert any("line 43: duplicate id 42" in line for line in skipped[0])
    assert any("line 10501: duplicate id 42" in line for line in skipped[0])  # the third slice
    assert (tmp_path / "file.json").read_bytes() == (tmp_path / "pipe.json").read_bytes()
    assert len(json.loads((tmp_path / "file.json").read_text())["clusters"]) > 3000


def test_binary_data_in_a_later_slice_names_its_line_as_a_pipe_does(tmp_path: Path) -> None:
    """The slice that meets a NUL byte (read by a forked worker) stops the run with the line's number in
    the file, not in its slice."""
    good = [json.dumps({"id": k, "name": f"Company {k}"}).encode() for k in range(12_000)]
    body = b"\n".join(good) + b"\n" + b"\0" * (2 << 20) + b"\n" + good[0] + b"\n"
    (tmp_path / "in.jsonl").write_bytes(body)
    by_file = _dedupe("--input", "in.jsonl", "--output", "out.json", cwd=tmp_path)
    by_pipe = _dedupe("--input", "/dev/stdin", "--output", "out.json", cwd=tmp_path, stdin=body)
    assert by_file.returncode != 0 and by_pipe.returncode != 0
    assert by_file.stderr.strip().splitlines() == [
        "enricher: cannot read in.jsonl: binary data (a NUL byte on line 12001)"
    ]
    assert by_pipe.stderr.strip().endswith("binary data (a NUL byte on line 12001)"), by_pipe.stderr
    assert not (tmp_path / "out.json").exists()
