"""Shared facts for the sample-data tests."""

from __future__ import annotations

import pytest

# Which stdnum module validates which field, written out here (not read from the code under test).
VALIDATORS: dict[str, tuple[str, str]] = {
    "PL": ("pl.nip", "pl.nip"),
    "DE": ("de.vat", "de.vat"),
    "NL": ("nl.btw", "nl.btw"),
    "GB": ("gb.vat", "gb.vat"),
    "FR": ("fr.siren", "fr.tva"),
    "CZ": ("cz.dic", "cz.dic"),
    "AT": ("at.uid", "at.uid"),
    "ES": ("es.nif", "es.nif"),
    "IT": ("it.iva", "it.iva"),
    "SE": ("se.orgnr", "se.vat"),
}


@pytest.fixture(scope="session")
def validators() -> dict[str, tuple[str, str]]:
    """country -> (stdnum module of the ``tin`` field, stdnum module of the ``vatNumber`` field)."""
    return VALIDATORS
