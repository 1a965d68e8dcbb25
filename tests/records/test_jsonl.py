"""The JSON lines reader's field cap: a short line skips the per-field walk, which must never let a long
field through."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from enricher.records import BOM, canonical_id, jsonl, line_slices, read_lines, read_slice, record_id
from enricher.records.jsonl import _STR_GROWTH, duplicate_id

_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
_VALUES = st.recursive(
    _SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4)
)


@settings(max_examples=400, deadline=None)
@given(_VALUES)
def test_no_value_prints_more_than_the_growth_factor_of_its_json(value: Any) -> None:
    text = orjson.dumps(value)
    assert len(str(value)) <= _STR_GROWTH * len(text), (value, text)


@pytest.mark.parametrize(
    "text",
    [
        "1e15",
        "9E15",
        "-1e15",
        "1.5e15",
        "1e16",
        "1e-5",
        "5e-324",
        "1e300",
        "[1e15,1e15]",
        '"\\u200b"',
        '["\x7f\x7f\x7f\x7f"]',
    ],
)
def test_numbers_written_short_stay_within_the_growth_factor(text: str) -> None:
    # orjson writes 1e15 long; another writer may not: the factor must hold for the shortest spelling.
    assert len(str(orjson.loads(text))) <= _STR_GROWTH * len(text)


def test_a_long_field_is_still_reported_on_short_and_long_lines(tmp_path: Path) -> None:
    limit = 40
    lines = [
        {"id": 1, "name": "short"},
        {"id": 2, "name": "x" * (limit + 1)},
        {"id": 3, "name": ["y" * 20, "z" * 20]},  # a list's str() is over the cap
        {"id": 4, "name": "ok", "notes": "n" * 500},  # not read by matching: not capped
    ]
    path = tmp_path / "in.jsonl"
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in lines))
    problems: list[tuple[int, str]] = []
    kept = [
        record["id"]
        for _, _, record in read_lines(path, lambda n, why: problems.append((n, why)), max_field_chars=limit)
    ]
    assert kept == [1, 4]
    assert [n for n, _ in problems] == [2, 3]
    assert all("field 'name' is longer than 40 characters" in why for _, why in problems)


def _messy_file(path: Path, seed: int) -> bytes:
    """Lines of every kind the reader sorts: good, blank, not JSON, not an object, over-long, without
    an id, ids repeated across the file; sometimes a BOM, sometimes no final newline."""
    rng = random.Random(seed)
    lines = []
    for k in range(rng.randint(0, 80)):
        kind = rng.random()
        if kind < 0.1:
            lines.append(b"")
        elif kind < 0.15:
            lines.append(b"not json")
        elif kind < 0.2:
            lines.append(b'{"id": 1, "name": "' + b"x" * 300 + b'"}')
        elif kind < 0.27:
            lines.append(b'{"id": %d, "name": "again"}' % rng.randint(1, 6))
        elif kind < 0.3:
            lines.append(b"[1, 2]")
        elif kind < 0.33:
            lines.append(b'{"name": "no id"}')
        else:
            lines.append(orjson.dumps({"id": k + 100, "name": "n" * rng.randint(0, 50)}))
    body = b"\n".join(lines) + (b"\n" if rng.random() < 0.5 else b"")
    if rng.random() < 0.2:
        body = BOM + body
    path.write_bytes(body)
    return body


@pytest.mark.parametrize("seed", range(60))
def test_a_file_read_in_slices_reads_as_a_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    """Slices cut where lines end, however the scan's blocks fall (here 7 bytes), and read apart they
    give the lines, numbers and problems of the file read whole; repeated ids are left to the caller."""
    monkeypatch.setattr(jsonl, "SCAN_BYTES", 7)
    path = tmp_path / "in.jsonl"
    body = _messy_file(path, seed)
    whole_problems: list[tuple[int, str]] = []
    whole = [
        (number, raw)
        for number, raw, _ in read_lines(
            path, lambda n, why: whole_problems.append((n, why)), max_line_bytes=200, max_field_chars=40
        )
    ]
    pieces = list(line_slices(path, 1 + seed % 7))
    assert sum(p.size for p in pieces) == len(body)
    assert sum(p.lines for p in pieces) == body.count(b"\n") + (1 if body and not body.endswith(b"\n") else 0)
    assert all(p.lines == 1 + seed % 7 for p in pieces[:-1])
    sliced: list[tuple[int, bytes]] = []
    sliced_problems: list[tuple[int, str]] = []
    seen: set[object] = set()
    for piece in pieces:
        for number, raw, record in read_slice(
            path,
            piece,
            lambda n, why: sliced_problems.append((n, why)),
            max_line_bytes=200,
            max_field_chars=40,
        ):
            key = canonical_id(record_id(record))
            if key in seen:
                sliced_problems.append((number, duplicate_id(record_id(record), key)))
                continue
            seen.add(key)
            sliced.append((number, raw))
    assert sliced == whole
    assert sorted(sliced_problems) == whole_problems
