"""``enricher report`` and ``enricher merges apply`` as commands: files, paths printed, exit codes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from enricher.cli import main
from review._data import REGISTER


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ENRICHER_REDIS_URL", raising=False)
    monkeypatch.setenv("ENRICHER_STATE_DIR", str(tmp_path / "state"))
    return tmp_path


def test_report_from_a_jsonl_file_skips_malformed_lines(env: Path, capsys: Any) -> None:
    source = env / "records.jsonl"
    lines = [json.dumps(r) for r in REGISTER] + ["{broken", json.dumps({"id": [1, 2]})]
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["report", "--input", str(source), "--out-dir", "elsewhere"]) == 0
    captured = capsys.readouterr()
    assert captured.out.split() == [
        "elsewhere/review.html",
        "elsewhere/candidates.csv",
        "elsewhere/candidates.json",
    ]
    assert f"{source}:10: skipped" in captured.err and f"{source}:11: skipped" in captured.err
    data = json.loads((env / "elsewhere" / "candidates.json").read_text(encoding="utf-8"))
    assert any({c["a"], c["b"]} == {1, 7} for c in data["candidates"])


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "not a JSON decisions file"),
        (json.dumps({"format": "enricher.merge-decisions", "version": 9}), "version 9 is not supported"),
    ],
)
def test_merges_apply_refuses_a_bad_decisions_file_with_exit_2(
    env: Path, capsys: Any, content: str, message: str
) -> None:
    path = env / "d.json"
    path.write_text(content, encoding="utf-8")
    assert main(["merges", "apply", "--decisions", str(path)]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_merges_apply_exits_1_when_a_merge_failed(
    env: Path, capsys: Any, sandbox_factory: Any, monkeypatch
) -> None:
    sandbox = sandbox_factory([dict(r) for r in REGISTER])
    monkeypatch.setenv("ENRICHER_FLOWTLY_URL", sandbox.api_url)
    monkeypatch.setenv("ENRICHER_FLOWTLY_TOKEN", sandbox.token)
    monkeypatch.setenv("ENRICHER_FLOWTLY_RETRIES", "0")
    from enricher.review import fingerprint, identity

    recs = [r for r in REGISTER if r["id"] in (3, 4)]
    doc = {
        "format": "enricher.merge-decisions",
        "version": 1,
        "records": [{"id": r["id"], "fingerprint": fingerprint(r), "identity": identity(r)} for r in recs],
        "decisions": [{"kind": "pair", "ids": [3, 4], "decision": "approve", "survivor": 3}],
    }
    path = env / "d.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    sandbox.faults.rate_500 = 1.0
    assert main(["merges", "apply", "--decisions", str(path), "--execute"]) == 1
    out = capsys.readouterr().out
    assert "FAILED: 4 into 3" in out and "run the same command again" in out
    sandbox.faults.rate_500 = 0.0
    assert main(["merges", "apply", "--decisions", str(path), "--execute"]) == 0
    assert "merged: 4 into 3" in capsys.readouterr().out
    assert sandbox.store.merge_log == [(3, 4)]


def test_a_second_applier_is_refused_while_one_runs(
    env: Path, capsys: Any, sandbox_factory: Any, monkeypatch
) -> None:
    from enricher.config import load_settings
    from enricher.state import open_state

    sandbox = sandbox_factory([dict(r) for r in REGISTER])
    monkeypatch.setenv("ENRICHER_FLOWTLY_URL", sandbox.api_url)
    monkeypatch.setenv("ENRICHER_FLOWTLY_TOKEN", sandbox.token)
    path = env / "d.json"
    path.write_text(
        json.dumps({"format": "enricher.merge-decisions", "version": 1, "records": [], "decisions": []}),
        encoding="utf-8",
    )
    state = open_state(load_settings())
    try:
        with state.locks.hold("merges-apply", ttl=60):
            assert main(["merges", "apply", "--decisions", str(path), "--execute"]) == 1
            assert "another 'merges apply --execute' is running" in capsys.readouterr().err
            assert main(["merges", "apply", "--decisions", str(path)]) == 0  # a dry run needs no lock
    finally:
        state.close()
    assert main(["merges", "apply", "--decisions", str(path), "--execute"]) == 0


# --- issue 11 -----------------------------------------------------------------------------------


def _decisions(*decisions: dict[str, Any], ids: tuple[Any, ...]) -> str:
    from enricher.review import fingerprint, identity

    recs = [
        {"id": i, "fingerprint": fingerprint(r), "identity": identity(r)}
        for r in REGISTER
        for i in ids
        if r["id"] == i
    ]
    head = json.dumps({"format": "enricher.merge-decisions", "version": 1, "records": recs})
    return head[:-1] + ',\n"decisions": [\n' + ",\n".join(json.dumps(d) for d in decisions) + "\n]}\n"


@pytest.mark.parametrize(
    ("decisions", "message"),
    [
        ([{"kind": "pair", "ids": [1, "/counterparties/1"], "decision": "approve", "survivor": 1}], "itself"),
        ([{"kind": "pair", "ids": [1, " 1 "], "decision": "approve", "survivor": " 1 "}], "itself"),
        (
            [
                {"kind": "pair", "ids": [3, 4], "decision": "approve", "survivor": 4},
                {"kind": "pair", "ids": [3, 4], "decision": "approve", "survivor": 3},
            ],
            "same survivor",
        ),
        ([{"kind": "pair", "ids": [" ", 4], "decision": "approve", "survivor": 4}], "blank"),
        ([{"kind": "pair", "ids": [True, 4], "decision": "approve", "survivor": 4}], "true/false"),
        ([{"kind": "pair", "ids": ["", 4], "decision": "approve", "survivor": 4}], "blank"),
    ],
)
def test_merges_apply_refuses_self_merges_contradictions_and_odd_ids_with_exit_2(
    env: Path, capsys: Any, sandbox_factory: Any, monkeypatch, decisions: list[dict[str, Any]], message: str
) -> None:
    sandbox = sandbox_factory([dict(r) for r in REGISTER])
    monkeypatch.setenv("ENRICHER_FLOWTLY_URL", sandbox.api_url)
    monkeypatch.setenv("ENRICHER_FLOWTLY_TOKEN", sandbox.token)
    path = env / "d.json"
    path.write_text(_decisions(*decisions, ids=(1, 3, 4)), encoding="utf-8")
    assert main(["merges", "apply", "--decisions", str(path), "--execute"]) == 2
    captured = capsys.readouterr()
    assert message in captured.err and "line " in captured.err, captured.err
    assert captured.err.count("\n") == 1 and "Traceback" not in captured.err
    assert sandbox.store.merges_applied == 0
    assert not [k for k in sandbox.store.requests if k.startswith("POST")]


def test_merges_apply_refuses_a_file_nested_100000_deep(env: Path, capsys: Any) -> None:
    path = env / "d.json"
    path.write_text(
        '{"format": "enricher.merge-decisions", "version": 1, "decisions": '
        + "[" * 100_000
        + "]" * 100_000
        + "}",
        encoding="utf-8",
    )
    assert main(["merges", "apply", "--decisions", str(path)]) == 2
    err = capsys.readouterr().err
    assert "nested too deeply" in err and err.count("\n") == 1
