"""The decisions file: the versioned contract between the HTML report and ``merges apply``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from enricher.review import DecisionsFileError, load_decisions


def _write(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "decisions.json"
    path.write_text(json.dumps(data) if not isinstance(data, str) else data, encoding="utf-8")
    return path


def _doc(*decisions: dict[str, Any], records: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "format": "enricher.merge-decisions",
        "version": 1,
        "reportId": "r1",
        "records": records
        if records is not None
        else [{"id": i, "fingerprint": f"v1:{i}"} for i in (1, 7, 9, "x1", "x2")],
        "decisions": list(decisions),
    }


def test_a_valid_file_reads_with_ids_as_given(tmp_path: Path) -> None:
    doc = load_decisions(
        _write(
            tmp_path,
            _doc(
                {
                    "kind": "cluster",
                    "ids": [1, 7, 9],
                    "decision": "approve",
                    "survivor": 7,
                    "extra": "ignored",
                },
                {"kind": "pair", "ids": ["x1", "x2"], "decision": "reject"},
                {"kind": "pair", "ids": [1, 9], "decision": "skip"},
            ),
        )
    )
    approve, reject, skip = doc.decisions
    assert approve.merge_steps() == [(7, 1), (7, 9)]
    assert reject.rejected_pairs() == [("x1", "x2")]
    assert skip.merge_steps() == [] and skip.rejected_pairs() == []
    assert [d.decision for d in doc.acted()] == ["approve", "reject"]
    assert doc.snapshot(7) is not None and doc.snapshot("7") is None


def test_a_cluster_rejection_covers_its_listed_pairs_or_all_pairs(tmp_path: Path) -> None:
    doc = load_decisions(
        _write(
            tmp_path,
            _doc(
                {"kind": "cluster", "ids": [1, 7, 9], "decision": "reject", "pairs": [[1, 7]]},
                {"kind": "cluster", "ids": [1, 7, 9], "decision": "reject"},
            ),
        )
    )
    assert doc.decisions[0].rejected_pairs() == [(1, 7)]
    assert doc.decisions[1].rejected_pairs() == [(1, 7), (1, 9), (7, 9)]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("{not json", "not a JSON decisions file"),
        ([], "expected a JSON object"),
        ({"format": "something-else", "version": 1}, "not an enricher decisions file"),
        ({**_doc(), "version": 2}, "version 2 is not supported"),
        (_doc({"kind": "pair", "ids": [1, 7], "decision": "approve"}), "needs a survivor"),
        (_doc({"kind": "pair", "ids": [1, 7], "decision": "approve", "survivor": 9}), "not one of ids"),
        (_doc({"kind": "pair", "ids": [1, 7, 9], "decision": "reject"}), "exactly two ids"),
        (_doc({"kind": "pair", "ids": [1, 1], "decision": "reject"}), "repeat"),
        (_doc({"kind": "pair", "ids": [1, 7], "decision": "merge"}), "decisions.0.decision"),
        (
            _doc({"kind": "pair", "ids": [1, 7], "decision": "approve", "survivor": 7}, records=[]),
            "without a fingerprint",
        ),
        (
            _doc({"kind": "cluster", "ids": [1, 7, 9], "decision": "reject", "pairs": [[1, 5]]}),
            "not a pair of ids",
        ),
        (
            _doc(
                {"kind": "pair", "ids": [1, 7], "decision": "approve", "survivor": 7},
                {"kind": "pair", "ids": [7, 9], "decision": "approve", "survivor": 7},
                {"kind": "pair", "ids": [9, 1], "decision": "reject"},
            ),
            "rejects 9 and 1, which approved decisions merge together",
        ),
    ],
)
def test_bad_files_are_refused_naming_what_is_wrong(tmp_path: Path, data: Any, message: str) -> None:
    path = _write(tmp_path, data)
    with pytest.raises(DecisionsFileError, match=message) as info:
        load_decisions(path)
    assert str(path) in str(info.value)


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DecisionsFileError, match="cannot read"):
        load_decisions(tmp_path / "nope.json")
