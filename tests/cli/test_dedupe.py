"""``enricher dedupe --input FILE.jsonl --output OUT.json``: the fixed contract, bad lines, bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from enricher.cli import main
from enricher.matching import match
from enricher.matching.batches import PARALLEL_CHUNK
from enricher.records import read_jsonl, read_jsonl_lines
from enricher.sample import generate
from matching._register import REGISTER


def write_jsonl(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_contract_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", [json.dumps(r, ensure_ascii=False) for r in REGISTER])
    out = tmp_path / "sub" / "out.json"
    out.parent.mkdir()  # --output goes into an existing folder (issue 11)
    assert main(["dedupe", "--input", str(source), "--output", str(out)]) == 0
    data = json.loads(out.read_text())
    assert {"candidates", "clusters"} <= set(data) <= {"candidates", "clusters", "questions", "notes"}
    assert data["candidates"]
    for candidate in data["candidates"]:
        assert candidate["band"] in ("merge", "review")
        assert 0 <= candidate["score"] <= 1
        assert all("explanation" in e for e in candidate["evidence"])
    ids = {c["a"] for c in data["candidates"]} | {c["b"] for c in data["candidates"]}
    assert "crm-77" in ids and 1 in ids  # echoed as given: str stays str, int stays int
    assert "pairs compared" in capsys.readouterr().err


def test_malformed_lines_are_reported_with_line_numbers_and_skipped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = [
        json.dumps(REGISTER[3]),
        "{not json",
        "[1, 2]",
        json.dumps({"name": "no id"}),
        json.dumps({"id": None, "name": "null id"}),
        json.dumps({"id": True, "name": "bool id"}),
        json.dumps({"id": "  ", "name": "blank id"}),
        json.dumps(dict(REGISTER[4], id=4)),  # duplicate id
        "",
        json.dumps(REGISTER[4]),
    ]
    source = write_jsonl(tmp_path / "in.jsonl", lines)
    (tmp_path / "in.jsonl").write_bytes(source.read_bytes() + b"\xff\xfe garbage\n")
    out = tmp_path / "out.json"
    assert main(["dedupe", "--input", str(source), "--output", str(out)]) == 0
    err = capsys.readouterr().err
    for number in (2, 3, 4, 5, 6, 7, 8, 11):
        assert f"line {number}:" in err
    assert "duplicate id 4" in err
    data = json.loads(out.read_text())
    assert [(c["a"], c["b"]) for c in data["candidates"]] == [(4, 5)]


def test_unreadable_input_exits_non_zero_with_one_line(tmp_path: Path) -> None:
    for target in (tmp_path / "missing.jsonl", tmp_path):
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "enricher",
                "dedupe",
                "--input",
                str(target),
                "--output",
                str(tmp_path / "o.json"),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        assert proc.returncode != 0
        assert len(proc.stderr.strip().splitlines()) == 1
        assert "cannot read" in proc.stderr
        assert "Traceback" not in proc.stderr


def test_empty_input_writes_an_empty_result(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", [])
    out = tmp_path / "out.json"
    assert main(["dedupe", "--input", str(source), "--output", str(out)]) == 0
    assert json.loads(out.read_text()) == {"candidates": [], "clusters": []}


@pytest.mark.integration
def test_api_mode_reads_the_configured_flowtly(
    sandbox_factory: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    records = [r for r in REGISTER if isinstance(r["id"], int)]
    server = sandbox_factory(records)  # type: ignore[operator]
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ENRICHER_FLOWTLY_URL", server.api_url)
    monkeypatch.setenv("ENRICHER_FLOWTLY_TOKEN", server.token)
    monkeypatch.setenv("ENRICHER_OUT_DIR", str(tmp_path / "out"))
    assert main(["dedupe"]) == 0
    data = json.loads((tmp_path / "out" / "dedupe.json").read_text())
    merge = {frozenset({c["a"], c["b"]}) for c in data["candidates"] if c["band"] == "merge"}
    assert frozenset({4, 5}) in merge and frozenset({8, 9}) in merge


def test_thresholds_come_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", [json.dumps(r, ensure_ascii=False) for r in REGISTER])
    out = tmp_path / "out.json"
    monkeypatch.setenv("ENRICHER_MATCH_MERGE_THRESHOLD", "1.0")
    monkeypatch.setenv("ENRICHER_MATCH_REVIEW_THRESHOLD", "0.999999")
    assert main(["dedupe", "--input", str(source), "--output", str(out)]) == 0
    data = json.loads(out.read_text())
    assert all(c["score"] >= 0.999999 for c in data["candidates"])
    monkeypatch.setenv("ENRICHER_MATCH_MERGE_THRESHOLD", "2")
    assert main(["dedupe", "--input", str(source), "--output", str(out)]) == 2  # a bad value: exit 2


def test_raw_lines_match_parsed_records_and_progress_covers_the_file(tmp_path: Path) -> None:
    """The CLI hands match() the checked lines as bytes (workers parse them): the same good lines as
    read_jsonl (BOM dropped), the same problems, and reading progress still adds up to the whole file."""
    lines = [json.dumps(r, ensure_ascii=False) for r in REGISTER]
    lines[2:2] = ["{not json", "[1, 2]", json.dumps({"name": "no id"}), "", lines[0]]
    source = write_jsonl(tmp_path / "in.jsonl", lines)
    source.write_bytes(b"\xef\xbb\xbf" + source.read_bytes())  # a BOM: the first record still counts
    parsed_problems: list[str] = []
    raw_problems: list[str] = []
    progress: list[int] = []
    parsed = list(read_jsonl(source, parsed_problems))
    raw = list(read_jsonl_lines(source, raw_problems, progress.append))
    assert [orjson.loads(line) for line in raw] == parsed == REGISTER
    assert raw_problems == parsed_problems and len(raw_problems) == 4
    assert sum(progress) == source.stat().st_size


def test_cli_on_a_parallel_sized_input_equals_match_on_dicts(tmp_path: Path) -> None:
    """Above one normalising chunk the CLI's raw lines go through worker processes: the written
    result must be exactly what match() gives for the parsed records in one process."""
    records = [record for record, _ in generate(PARALLEL_CHUNK + 700, seed=5)]
    source = write_jsonl(tmp_path / "in.jsonl", [json.dumps(r, ensure_ascii=False) for r in records])
    out = tmp_path / "out.json"
    assert main(["dedupe", "--input", str(source), "--output", str(out)]) == 0
    expected = match(records).to_contract()
    assert orjson.loads(out.read_bytes()) == orjson.loads(orjson.dumps(expected))


def test_labels_are_honoured_and_questions_come_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from matching.test_learning import register

    records = register()
    source = write_jsonl(tmp_path / "in.jsonl", [json.dumps(r) for r in records])
    out = tmp_path / "out.json"
    assert main(["dedupe", "--input", str(source), "--output", str(out)]) == 0
    first = json.loads(out.read_text())
    questions = [(q["a"], q["b"]) for q in first["questions"]]
    assert questions and len(set(questions)) == len(questions)
    # Answer the first three "the same" (ids spelt as strings, as a script may write them), and one
    # merge pair "different".
    merged = next(c for c in first["candidates"] if c["band"] == "merge")
    answers = [{"a": str(a), "b": str(b), "match": True} for a, b in questions[:3]]
    answers.append({"a": merged["a"], "b": merged["b"], "match": False})
    labels = write_jsonl(tmp_path / "labels.jsonl", [json.dumps(x) for x in answers] + ["{bad"])
    assert main(["dedupe", "--input", str(source), "--output", str(out), "--labels", str(labels)]) == 0
    err = capsys.readouterr().err
    assert "skipped labels line 5: not valid JSON" in err and "Learnt from 4 answers" in err
    second = json.loads(out.read_text())
    bands = {frozenset((c["a"], c["b"])): c["band"] for c in second["candidates"]}
    assert all(bands.get(frozenset(q)) == "merge" for q in questions[:3])
    assert frozenset((merged["a"], merged["b"])) not in bands
    assert not {frozenset(q) for q in questions[:3]} & {
        frozenset((q["a"], q["b"])) for q in second.get("questions", [])
    }


def test_contradictory_labels_stop_the_run_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", [json.dumps(r, ensure_ascii=False) for r in REGISTER])
    labels = write_jsonl(
        tmp_path / "labels.jsonl",
        [json.dumps({"a": 1, "b": 2, "match": True}), json.dumps({"a": 2, "b": 1, "match": False})],
    )
    code = main(
        ["dedupe", "--input", str(source), "--output", str(tmp_path / "o.json"), "--labels", str(labels)]
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert err == ["enricher dedupe: pair 1, 2 is labelled both a match and not a match"]
    assert not (tmp_path / "o.json").exists()
