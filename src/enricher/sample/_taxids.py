"""Checksum-valid company tax ids per country, unique by construction, and their written forms.

Each id is computed from a per-country counter pushed through a keyed bijection (so ids never repeat
and do not look sequential) and gets its check digits from the country's own algorithm; the tests
validate them with python-stdnum. Written forms are the ways people actually type them into an ERP:
with or without the country prefix, with the local punctuation.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from stdnum import luhn
from stdnum.at import uid as at_uid
from stdnum.cz import dic as cz_dic
from stdnum.es import cif as es_cif
from stdnum.es import dni as es_dni
from stdnum.gb import vat as gb_vat
from stdnum.iso7064 import mod_11_10
from stdnum.nl import bsn as nl_bsn
from stdnum.pl import nip as pl_nip

__all__ = ["PERSON_TAX_SCHEMES", "TAX_SCHEMES", "Scrambler", "TaxId", "TaxScheme"]


class Scrambler:
    """A keyed bijection on ``range(10**digits)``: affine, digit reversal, affine.

    Cheap (no set of used values to remember, so memory stays flat at any count) and distinct inputs
    always give distinct outputs, which is what makes tax ids unique across a million records.
    """

    __slots__ = ("_a1", "_a2", "_b1", "_b2", "_digits", "_mod")

    def __init__(self, digits: int, rng: random.Random) -> None:
        self._digits = digits
        self._mod = 10**digits
        self._a1 = self._unit(rng)
        self._a2 = self._unit(rng)
        self._b1 = rng.randrange(self._mod)
        self._b2 = rng.randrange(self._mod)

    def _unit(self, rng: random.Random) -> int:
        # Coprime with 10**k (odd, not a multiple of 5), so multiplication is invertible.
        while True:
            value = rng.randrange(1, self._mod) | 1
            if value % 5:
                return value

    def __call__(self, value: int) -> str:
        mod = self._mod
        first = (self._a1 * value + self._b1) % mod
        flipped = int(f"{first:0{self._digits}d}"[::-1])
        return f"{(self._a2 * flipped + self._b2) % mod:0{self._digits}d}"


# ---- per-country constructors: body digits in, compact national id out (None: body unusable) ----
# Check digits come from python-stdnum (the same library that validates them in matching): its
# calc_check_digit functions where it has one, else its checksum of the body with a zero appended.


def _pl_nip(body: str) -> str | None:
    if body[0] == "0":
        return None
    check = pl_nip.checksum(body + "0")  # weights 6,5,7,2,3,4,5,6,7 mod 11
    return None if check == 10 else body + str(check)


def _de_ustid(body: str) -> str | None:
    if body[0] == "0":
        return None
    return body + mod_11_10.calc_check_digit(body)


def _nl_btw(body: str) -> str | None:
    if body[0] == "0":
        return None
    check = nl_bsn.checksum(body + "0")  # the BSN's eleven-test
    return None if check == 10 else f"{body}{check}B0{1 + int(body[-1]) % 3}"


def _gb_vat(body: str) -> str | None:
    if body[0] == "0":
        return None
    return f"{body}{-gb_vat.checksum(body + '00') % 97:02d}"


def _fr_siren(body: str) -> str | None:
    if body[0] in "012":
        return None
    return body + luhn.calc_check_digit(body)


def _cz_ico(body: str) -> str | None:
    if body[0] == "9":
        return None
    return body + cz_dic.calc_check_digit_legal(body)


def _at_uid(body: str) -> str | None:
    return f"U{body}{at_uid.calc_check_digit('U' + body)}"


def _es_cif(body: str) -> str | None:
    # Body: 2 digits of province, 5 of sequence; the type letter (A: S.A., B: S.L.) rides along.
    if body[:2] == "00":
        return None
    kind = "A" if body[-1] in "01" else "B"
    return kind + body + es_cif.calc_check_digits(kind + body)[0]  # A/B take the digit


def _es_dni(body: str) -> str | None:
    # A Spanish sole trader's NIF is the owner's DNI: 8 digits and a check letter (mod 23).
    return body + es_dni.calc_check_digit(body)


def _it_piva(body: str) -> str | None:
    # 7-digit company number, 3-digit office code (001-100), Luhn digit.
    if body[:7] == "0000000":
        return None
    office = f"{1 + int(body[7:9]):03d}"
    digits = body[:7] + office
    return digits + luhn.calc_check_digit(digits)


def _se_orgnr(body: str) -> str | None:
    digits = "55" + body  # 55x...: the aktiebolag range
    return digits + luhn.calc_check_digit(digits)


# ---- written forms ----


def _pl_forms(n: str) -> tuple[str, ...]:
    dashed = f"{n[:3]}-{n[3:6]}-{n[6:8]}-{n[8:]}"
    return (n, dashed, f"{n[:3]}-{n[3:5]}-{n[5:7]}-{n[7:]}", f"PL{n}", f"PL {dashed}", f"PL {n}")


def _de_forms(n: str) -> tuple[str, ...]:
    return (f"DE{n}", f"DE {n[:3]} {n[3:6]} {n[6:]}", n, f"DE {n}")


def _nl_forms(n: str) -> tuple[str, ...]:
    return (f"NL{n}", f"NL {n[:4]}.{n[4:6]}.{n[6:9]}.{n[9:]}", n, f"NL {n}", f"nl{n.lower()}")


def _gb_forms(n: str) -> tuple[str, ...]:
    spaced = f"{n[:3]} {n[3:7]} {n[7:]}"
    return (f"GB{n}", f"GB {spaced}", spaced, n)


def _fr_siren_forms(n: str) -> tuple[str, ...]:
    return (n, f"{n[:3]} {n[3:6]} {n[6:]}", f"{n[:3]}.{n[3:6]}.{n[6:]}")


def _fr_tva(siren: str) -> str:
    return f"{int(siren + '12') % 97:02d}{siren}"


def _fr_vat_forms(n: str) -> tuple[str, ...]:
    key = _fr_tva(n)
    return (f"FR{key}", f"FR {key[:2]} {n[:3]} {n[3:6]} {n[6:]}", key, f"FR {key}")


def _cz_forms(n: str) -> tuple[str, ...]:
    return (n, f"CZ{n}", f"CZ {n}", f"{n[:3]} {n[3:6]} {n[6:]}")


def _at_forms(n: str) -> tuple[str, ...]:
    return (f"AT{n}", f"AT{n[0]} {n[1:]}", n, f"AT-{n}", f"AT {n}")


def _es_forms(n: str) -> tuple[str, ...]:
    return (n, f"{n[0]}-{n[1:]}", f"ES{n}", f"ES {n[0]}-{n[1:]}", n.lower())


def _es_dni_forms(n: str) -> tuple[str, ...]:
    return (n, f"{n[:8]}-{n[8]}", f"{n[:8]} {n[8]}", f"ES{n}", n.lower())


def _it_forms(n: str) -> tuple[str, ...]:
    return (n, f"IT{n}", f"IT {n}", f"IT {n[:3]} {n[3:7]} {n[7:]}")


def _se_forms(n: str) -> tuple[str, ...]:
    return (f"{n[:6]}-{n[6:]}", n, f"{n[:6]} {n[6:]}")


def _se_vat_forms(n: str) -> tuple[str, ...]:
    return (f"SE{n}01", f"SE {n[:6]}-{n[6:]} 01", f"SE{n[:6]}-{n[6:]}-01")


def _eu_vat_forms(prefix: str, forms: Callable[[str], tuple[str, ...]]) -> Callable[[str], tuple[str, ...]]:
    """VAT forms: the prefixed variants of a country whose VAT id is its tax id plus the prefix."""

    def vat_forms(n: str) -> tuple[str, ...]:
        prefixed = tuple(f for f in forms(n) if f.upper().startswith(prefix))
        return (f"{prefix}{n}", *(f for f in prefixed if f != f"{prefix}{n}"))

    return vat_forms


@dataclass(frozen=True, slots=True)
class TaxScheme:
    """How one country's company tax id is built and written.

    ``tin_forms(compact)[0]`` is the canonical form of the ``tin`` field, ``vat_forms(compact)[0]``
    the canonical ``vatNumber``; the other entries are the written variants planted in duplicates.
    ``stdnum_tin``/``stdnum_vat`` name the python-stdnum modules that validate each field;
    ``tin``/``vat`` give the canonical forms directly.
    """

    country: str
    tin_type: str
    body_digits: int
    build: Callable[[str], str | None]
    tin_forms: Callable[[str], tuple[str, ...]]
    vat_forms: Callable[[str], tuple[str, ...]]
    stdnum_tin: str
    stdnum_vat: str
    tin: Callable[[str], str]  # == tin_forms(compact)[0], without building every form (hot path)
    vat: Callable[[str], str]  # == vat_forms(compact)[0]


@dataclass(frozen=True, slots=True)
class TaxId:
    """One company's id: the compact national form and its scheme."""

    compact: str
    scheme: TaxScheme

    @property
    def tin(self) -> str:
        return self.scheme.tin_forms(self.compact)[0]

    @property
    def vat(self) -> str:
        return self.scheme.vat_forms(self.compact)[0]


def _prefixed(prefix: str) -> Callable[[str], str]:
    return lambda n: prefix + n


def _same(n: str) -> str:
    return n


def _fr_vat(n: str) -> str:
    return "FR" + _fr_tva(n)


def _se_tin(n: str) -> str:
    return f"{n[:6]}-{n[6:]}"


def _se_vat(n: str) -> str:
    return f"SE{n}01"


# fmt: off
TAX_SCHEMES: dict[str, TaxScheme] = {
    s.country: s
    for s in (
        TaxScheme("PL", "NIP", 9, _pl_nip, _pl_forms, _eu_vat_forms("PL", _pl_forms), "pl.nip", "pl.nip",
                  _same, _prefixed("PL")),
        TaxScheme("DE", "USt-IdNr.", 8, _de_ustid, _de_forms, _eu_vat_forms("DE", _de_forms), "de.vat",
                  "de.vat", _prefixed("DE"), _prefixed("DE")),
        TaxScheme("NL", "BTW-id", 8, _nl_btw, _nl_forms, _eu_vat_forms("NL", _nl_forms), "nl.btw", "nl.btw",
                  _prefixed("NL"), _prefixed("NL")),
        TaxScheme("GB", "VAT", 7, _gb_vat, _gb_forms, _eu_vat_forms("GB", _gb_forms), "gb.vat", "gb.vat",
                  _prefixed("GB"), _prefixed("GB")),
        TaxScheme("FR", "SIREN", 8, _fr_siren, _fr_siren_forms, _fr_vat_forms, "fr.siren", "fr.tva",
                  _same, _fr_vat),
        TaxScheme("CZ", "IČO", 7, _cz_ico, _cz_forms, _eu_vat_forms("CZ", _cz_forms), "cz.dic", "cz.dic",
                  _same, _prefixed("CZ")),
        TaxScheme("AT", "UID", 7, _at_uid, _at_forms, _eu_vat_forms("AT", _at_forms), "at.uid", "at.uid",
                  _prefixed("AT"), _prefixed("AT")),
        TaxScheme("ES", "CIF", 7, _es_cif, _es_forms, _eu_vat_forms("ES", _es_forms), "es.nif", "es.nif",
                  _same, _prefixed("ES")),
        TaxScheme("IT", "P.IVA", 9, _it_piva, _it_forms, _eu_vat_forms("IT", _it_forms), "it.iva", "it.iva",
                  _same, _prefixed("IT")),
        TaxScheme("SE", "Org.nr", 7, _se_orgnr, _se_forms, _se_vat_forms, "se.orgnr", "se.vat",
                  _se_tin, _se_vat),
    )
}

PERSON_TAX_SCHEMES: dict[str, TaxScheme] = {
    "ES": TaxScheme("ES", "NIF", 8, _es_dni, _es_dni_forms, _eu_vat_forms("ES", _es_dni_forms), "es.nif",
                    "es.nif", _same, _prefixed("ES")),
}
"""Countries where a sole trader is identified by a personal number rather than the company id."""
# fmt: on
