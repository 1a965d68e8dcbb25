"""Loading sandbox records from files and writing them back."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from enricher.errors import ConfigError
from enricher.flowtly.sandbox.loader import read_records, write_records


def test_json_list(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    path.write_text(json.dumps([{"id": 1}, {"id": 2}]))
    assert list(read_records(path)) == [{"id": 1}, {"id": 2}]


@pytest.mark.parametrize("key", ["hydra:member", "member"])
def test_hydra_collection(tmp_path: Path, key: str) -> None:
    path = tmp_path / "r.json"
    path.write_text(json.dumps({"@type": "hydra:Collection", key: [{"@id": "/counterparties/4"}]}))
    assert list(read_records(path)) == [{"@id": "/counterparties/4"}]


def test_jsonl_skips_bad_lines_with_their_number(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "r.jsonl"
    path.write_text('{"id": 1}\n\n{broken\n[1, 2]\n{"id": 5}\n')
    with caplog.at_level(logging.WARNING):
        assert list(read_records(path)) == [{"id": 1}, {"id": 5}]
    assert f"{path}:3: not JSON" in caplog.text
    assert f"{path}:4: not a JSON object" in caplog.text


def test_json_suffix_holding_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    path.write_text('{"id": 1}\n{"id": 2}\n')
    assert [r["id"] for r in read_records(path)] == [1, 2]


@pytest.mark.parametrize(("text", "message"), [("{nope", "is not JSON"), ("42", "must hold a list")])
def test_unreadable_files_are_config_errors(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "r.json"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        list(read_records(path))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        list(read_records(tmp_path / "absent.jsonl"))


@pytest.mark.parametrize("name", ["out.jsonl", "out.json"])
def test_write_back_round_trip(tmp_path: Path, name: str) -> None:
    records: list[dict[str, Any]] = [{"id": 1, "name": "Zażółć"}, {"id": 2, "name": None}]
    path = tmp_path / name
    assert write_records(path, records) == 2
    assert list(read_records(path)) == records
    assert not list(tmp_path.glob(".*.tmp"))
