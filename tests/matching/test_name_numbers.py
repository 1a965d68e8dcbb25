"""Numbers in names tell branches and numbered companies apart: never a typo, never the merge band."""

from __future__ import annotations

import pytest

from enricher.matching import match
from enricher.matching.features import numbers_differ


@pytest.mark.parametrize(
    ("a", "b", "differ"),
    [
        ("apteka nr 1", "apteka nr 12", True),
        ("firma 0", "firma 35", True),
        ("backerei schmidt 1", "backerei schmidt 2", True),
        ("studio 54", "studio 54", False),
        ("21 club", "club 21", False),
        ("apteka nr 1", "apteka", False),  # a number on one side only: a spelling, not a conflict
        ("acme", "acme polska", False),
    ],
)
def test_numbers_differ(a: str, b: str, differ: bool) -> None:
    assert numbers_differ(a, b) is differ


def test_numbered_shops_are_not_proposed_for_merge() -> None:
    records = [
        {"id": 1, "name": "Apteka Nr 1", "addressCity": "Kraków", "addressCountry": "PL"},
        {"id": 2, "name": "Apteka Nr 12", "addressCity": "Kraków", "addressCountry": "PL"},
        {"id": 3, "name": "Apteka Nr 21", "addressCity": "Kraków", "addressCountry": "PL"},
        {"id": 4, "name": "Apteka nr 1", "addressCity": "Krakow", "addressCountry": "PL"},
    ]
    result = match(records)
    bands = {(c.a, c.b): c.band for c in result.candidates}
    assert (1, 2) not in bands and (2, 3) not in bands and (1, 3) not in bands
    assert (1, 4) in bands
    name = next(e for e in result.candidates[0].evidence if e.feature == "name")
    assert name.result == "exact"
