"""Postcodes written with a European country prefix ("I-06123", "PL 00-950") are the same postcode."""

from __future__ import annotations

import pytest

from enricher.matching import match
from enricher.matching.normalize import normalize_postcode


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("I-06123", "06123"),
        ("D-10115", "10115"),
        ("PL 00-950", "00950"),
        ("CZ-110 00", "11000"),
        ("F-75001", "75001"),
        ("00-950", "00950"),
        ("SW1A 1AA", "SW1A1AA"),  # British: letters then digits with no separator, kept whole
        ("E1 6AN", "E16AN"),
        ("EC1A 1BB", "EC1A1BB"),
        ("1234 AB", "1234AB"),
        ("D02 X285", "D02X285"),  # an Eircode, not a German prefix
        ("", None),
    ],
)
def test_normalize_postcode(raw: str, expected: str | None) -> None:
    assert normalize_postcode(raw) == expected


def test_prefixed_postcode_is_evidence_for_not_against() -> None:
    base = {"name": "Officina Meccanica Fabbri S.n.c.", "addressCity": "Perugia", "addressCountry": "IT"}
    result = match(
        [{"id": 1, **base, "addressPostCode": "06123"}, {"id": 2, **base, "addressPostCode": "I-06123"}]
    )
    postcode = next(e for e in result.candidates[0].evidence if e.feature == "postcode")
    assert postcode.result == "equal"
    assert postcode.weight > 0
