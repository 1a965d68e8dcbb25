"""Record ids: one reading of an id for the client, the decisions file, the report and matching."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from enricher.records import MAX_ID_LENGTH, IdError, canonical_id, same_id


@pytest.mark.parametrize(
    "value", [1, "1", " 1 ", "001", "/counterparties/1", "/api/counterparties/1", " /counterparties/1\n"]
)
def test_every_way_of_writing_record_1_is_record_1(value: object) -> None:
    assert canonical_id(value) == 1
    assert same_id(value, 1)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("f12", "f12"), (" abc ", "abc"), ("/counterparties/abc", "abc"), ("a|b", "a|b"), (-3, -3), ("-3", -3)],
)
def test_other_ids_keep_their_text(value: object, expected: object) -> None:
    assert canonical_id(value) == expected


def test_unicode_digits_are_not_an_int() -> None:
    # str.isdigit() says True for these; the API would not read them as 12.
    assert canonical_id("١٢") == "١٢"
    assert canonical_id("²") == "²"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (None, "required"),
        (True, "true/false"),
        (False, "true/false"),
        ("", "empty or blank"),
        ("   ", "empty or blank"),
        (1.5, "not a float"),
        ([1], "not a list"),
        ({"id": 1}, "not an object"),
        ("x" * (MAX_ID_LENGTH + 1), f"at most {MAX_ID_LENGTH}"),
        ("a\x00b", "control characters"),
    ],
)
def test_values_that_name_no_record_are_refused_with_a_reason(value: object, reason: str) -> None:
    with pytest.raises(IdError, match=reason):
        canonical_id(value)


def test_the_module_does_not_pull_in_the_api_client() -> None:
    code = "import json, sys, enricher.records; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    loaded = json.loads(out)
    assert "enricher.records" in loaded
    assert not [m for m in loaded if m.startswith(("enricher.flowtly", "httpx"))]
