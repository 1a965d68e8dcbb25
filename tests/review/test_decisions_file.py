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
    # 7 and "7" are one record to the API (issue 11): the snapshot is found either way.
    assert doc.snapshot(7) is not None and doc.snapshot("7") is doc.snapshot(7)


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
        (_doc({"kind": "pair", "ids": [1, 7], "decision": "merge"}), r"decisions\[0\]\.decision"),
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


# --- issue 11: ids read as the API reads them, contradictions and odd values refused ----------------


def _lines(*decisions: dict[str, Any], records: list[dict[str, Any]]) -> str:
    """A decisions file with one decision per line (as a script writes it): decision N is on line N+3."""
    head = json.dumps({"format": "enricher.merge-decisions", "version": 1, "records": records})
    body = ",\n".join(json.dumps(d) for d in decisions)
    return head[:-1] + ',\n"decisions": [\n' + body + "\n]}\n"


def _records(*ids: Any) -> list[dict[str, Any]]:
    return [{"id": i, "fingerprint": f"v1:{i}"} for i in ids]


@pytest.mark.parametrize("alias", ["1", " 1 ", "001", "/counterparties/1", "/api/counterparties/1"])
def test_a_record_merged_into_itself_is_refused_naming_the_line(tmp_path: Path, alias: str) -> None:
    text = _lines(
        {"kind": "pair", "ids": [7, 9], "decision": "approve", "survivor": 7},
        {"kind": "pair", "ids": [1, alias], "decision": "approve", "survivor": 1},
        records=_records(1, 7, 9, alias),
    )
    with pytest.raises(DecisionsFileError) as info:
        load_decisions(_write(tmp_path, text))
    message = str(info.value)
    assert "line 4" in message and "decisions[1]" in message, message
    assert "itself" in message and "\n" not in message


def test_one_record_named_two_ways_in_a_cluster_is_refused(tmp_path: Path) -> None:
    text = _lines(
        {"kind": "cluster", "ids": [7, "/counterparties/7", 9], "decision": "approve", "survivor": 9},
        records=_records(7, 9),
    )
    with pytest.raises(DecisionsFileError, match=r"line 3: decisions\[0\].*7.*itself"):
        load_decisions(_write(tmp_path, text))


def test_ids_are_read_as_the_api_reads_them(tmp_path: Path) -> None:
    doc = load_decisions(
        _write(
            tmp_path,
            _doc(
                {"kind": "pair", "ids": ["/counterparties/7", " 9 "], "decision": "approve", "survivor": "7"},
                records=_records(7, 9),
            ),
        )
    )
    assert doc.decisions[0].merge_steps() == [(7, 9)]
    assert doc.snapshot(7) is doc.snapshot("7") is doc.snapshot("/counterparties/7") is not None


def test_contradictory_approvals_are_refused(tmp_path: Path) -> None:
    text = _lines(
        {"kind": "pair", "ids": [4, 5], "decision": "approve", "survivor": 5},
        {"kind": "pair", "ids": [1, 7], "decision": "approve", "survivor": 1},
        {"kind": "pair", "ids": [4, 5], "decision": "approve", "survivor": 4},
        records=_records(1, 4, 5, 7),
    )
    with pytest.raises(DecisionsFileError) as info:
        load_decisions(_write(tmp_path, text))
    message = str(info.value)
    assert "line 5" in message and "decisions[2]" in message and "decisions[0]" in message, message
    assert "survivor" in message


def test_approvals_chained_through_a_record_must_agree_on_one_survivor(tmp_path: Path) -> None:
    # 1 -> 7 and 7 -> 9: in file order 7 is merged away first and then named as a survivor.
    text = _lines(
        {"kind": "pair", "ids": [1, 7], "decision": "approve", "survivor": 7},
        {"kind": "pair", "ids": [7, 9], "decision": "approve", "survivor": 9},
        records=_records(1, 7, 9),
    )
    with pytest.raises(DecisionsFileError, match=r"line 4: decisions\[1\].*survivor"):
        load_decisions(_write(tmp_path, text))


def test_the_same_approval_twice_is_fine(tmp_path: Path) -> None:
    doc = load_decisions(
        _write(
            tmp_path,
            _doc(
                {"kind": "cluster", "ids": [1, 7, 9], "decision": "approve", "survivor": 7},
                {"kind": "pair", "ids": [1, 7], "decision": "approve", "survivor": 7},
                records=_records(1, 7, 9),
            ),
        )
    )
    assert len(doc.decisions) == 2


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (" ", "empty or blank"),
        ("", "empty or blank"),
        (True, "true/false"),
        (1.5, "float"),
        (None, "required"),
        ([1], "list"),
    ],
)
def test_odd_ids_are_one_line_errors(tmp_path: Path, bad: Any, reason: str) -> None:
    text = _lines(
        {"kind": "pair", "ids": [bad, 2], "decision": "approve", "survivor": 2},
        records=_records(2),
    )
    with pytest.raises(DecisionsFileError) as info:
        load_decisions(_write(tmp_path, text))
    message = str(info.value)
    assert reason in message and "line 3" in message and "\n" not in message, message


def test_a_file_nested_100000_deep_is_a_one_line_error(tmp_path: Path) -> None:
    deep = '{"format": "enricher.merge-decisions", "version": 1, "decisions": ' + "[" * 100_000
    path = _write(tmp_path, deep + "]" * 100_000 + "}")
    with pytest.raises(DecisionsFileError, match="nested too deeply") as info:
        load_decisions(path)
    assert "\n" not in str(info.value)
