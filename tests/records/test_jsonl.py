"""The JSON lines reader's field cap: a short line skips the per-field walk, which must never let a long
field through."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from enricher.records import read_lines
from enricher.records.jsonl import _STR_GROWTH

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
