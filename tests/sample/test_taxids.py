"""Tax ids: checksum-valid under python-stdnum in every written form, and never repeated."""

from __future__ import annotations

import importlib
import random

import pytest

from enricher.sample import TAX_SCHEMES
from enricher.sample._taxids import PERSON_TAX_SCHEMES, Scrambler, TaxScheme


def test_every_country_has_a_scheme(validators: dict[str, tuple[str, str]]) -> None:
    assert set(TAX_SCHEMES) == set(validators)


@pytest.mark.parametrize("country", ["AT", "CZ", "DE", "ES", "FR", "GB", "IT", "NL", "PL", "SE"])
def test_ids_and_all_their_forms_are_valid_and_unique(
    country: str, validators: dict[str, tuple[str, str]]
) -> None:
    for scheme in (TAX_SCHEMES[country], PERSON_TAX_SCHEMES.get(country)):
        if scheme is not None:
            _check_scheme(scheme, validators[country])


def _check_scheme(scheme: TaxScheme, modules: tuple[str, str]) -> None:
    country = scheme.country
    tin_module = importlib.import_module(f"stdnum.{modules[0]}")
    vat_module = importlib.import_module(f"stdnum.{modules[1]}")
    scramble = Scrambler(scheme.body_digits, random.Random(country))
    seen: set[str] = set()
    for counter in range(3000):
        compact = scheme.build(scramble(counter))
        if compact is None:
            continue
        assert compact not in seen
        seen.add(compact)
        assert scheme.tin(compact) == scheme.tin_forms(compact)[0]
        assert scheme.vat(compact) == scheme.vat_forms(compact)[0]
        for form in scheme.tin_forms(compact):
            assert tin_module.is_valid(form), (country, form)
        for form in scheme.vat_forms(compact):
            assert vat_module.is_valid(form), (country, form)
            # the VAT number carries the national id (FR adds a key in front, SE "01" behind)
            assert (
                tin_module.compact(scheme.tin_forms(compact)[0]).upper() in vat_module.compact(form).upper()
            )
    assert len(seen) > 2000  # few bodies are rejected (a leading 0, an impossible check digit)


def test_a_wrong_check_digit_is_caught() -> None:
    """The validators are not vacuous: flipping the last digit breaks the checksum."""
    scheme = TAX_SCHEMES["PL"]
    compact = scheme.build("123456789") or scheme.build("123456780")
    assert compact is not None
    broken = compact[:-1] + str((int(compact[-1]) + 1) % 10)
    assert not importlib.import_module("stdnum.pl.nip").is_valid(broken)


@pytest.mark.parametrize("digits", [3, 6, 8])
def test_scrambler_is_a_bijection(digits: int) -> None:
    scramble = Scrambler(digits, random.Random(1))
    size = min(10**digits, 20000)
    outputs = {scramble(i) for i in range(size)}
    assert len(outputs) == size
    assert all(len(o) == digits for o in outputs)
