"""Tax-id explanations tell "not checked" (no country) from "checksum failed" (a real typo)."""

from __future__ import annotations

from enricher.matching import match


def _tin_explanation(records: list[dict[str, object]]) -> str:
    result = match(records)
    return next(e.explanation for e in result.candidates[0].evidence if e.feature == "tin")


def test_no_country_is_not_called_invalid() -> None:
    text = _tin_explanation(
        [
            {"id": 1, "name": "Budimex SA", "tin": "5260001246"},
            {"id": 2, "name": "Budimex S.A.", "tin": "526-000-12-46"},
        ]
    )
    assert "country unknown, not checked" in text
    assert "checksum not valid" not in text


def test_failed_checksum_is_named() -> None:
    text = _tin_explanation(
        [
            {"id": 1, "name": "Budimex SA", "tin": "5260001247", "tinCountry": "PL"},
            {"id": 2, "name": "Budimex S.A.", "tin": "5260001247", "tinCountry": "PL"},
        ]
    )
    assert "checksum not valid" in text


def test_valid_id_says_valid() -> None:
    text = _tin_explanation(
        [
            {"id": 1, "name": "Budimex SA", "vatNumber": "PL5260001246"},
            {"id": 2, "name": "Budimex", "tin": "5260001246", "tinCountry": "PL"},
        ]
    )
    assert text == "Same tax id PL5260001246, valid checksum."
