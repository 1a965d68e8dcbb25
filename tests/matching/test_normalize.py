"""Normalisers on real-world spellings: legal forms, tax ids, domains, phones, addresses."""

from __future__ import annotations

import dataclasses
import re._constants as _constants  # type: ignore[import-not-found]
import re._parser as _parser  # type: ignore[import-not-found]
from typing import Any

import pytest

from enricher.matching import normalize
from enricher.matching.normalize import (
    CACHE_SIZE,
    fold,
    normalize_city,
    normalize_domain,
    normalize_phone,
    normalize_postcode,
    normalize_street,
    normalize_tin,
    split_legal_form,
)


@pytest.mark.parametrize(
    ("name", "core", "forms"),
    [
        ("ACME Sp. z o.o.", "acme", ("spzoo",)),
        # An address or a remark after the legal form: the name ends at the form.
        ("CARGILL B.V., BERGEN OP ZOOM", "cargill", ("bv",)),
        ("DSM N.V. te Heerlen", "dsm", ("nv",)),
        ("Shell Research B. V. Carel van Bylandtlaan 30,NL", "shell research", ("bv",)),
        ("Bank Polska Kasa Opieki S.A., Oddział w Krakowie", "bank polska kasa opieki", ("sa",)),
        ("The Limited Stores Inc", "limited stores", ("inc",)),  # a bare word that can be a form
        # The form's letters split by any punctuation, or a stray dot after it.
        ("ACME B . V .", "acme", ("bv",)),
        ("Acme B,V.", "acme", ("bv",)),
        ("DSM N..V", "dsm", ("nv",)),
        ("Alcatel NV.", "alcatel", ("nv",)),
        ("DSM IP Assets B.V..", "dsm ip assets", ("bv",)),
        ("Acme Sp.z o.o.", "acme", ("spzoo",)),
        ("Acme sp. z o. o.", "acme", ("spzoo",)),
        ("ACME SPÓŁKA Z OGRANICZONĄ ODPOWIEDZIALNOŚCIĄ", "acme", ("spzoo",)),
        ("Acme spolka z ograniczona odpowiedzialnoscia", "acme", ("spzoo",)),
        ("Kowalski i Syn sp.j.", "kowalski syn", ("spj",)),
        ("Kowalski Spółka Jawna", "kowalski", ("spj",)),
        ("Budimex S.A.", "budimex", ("sa",)),
        ("Orlen Spółka Akcyjna", "orlen", ("sa",)),
        ("Siemens GmbH", "siemens", ("gmbh",)),
        ("Siemens Aktiengesellschaft", "siemens", ("ag",)),
        ("Müller GmbH & Co. KG", "muller", ("gmbhcokg",)),
        ("Meyer KG", "meyer", ("kg",)),
        ("Philips N.V.", "philips", ("nv",)),
        ("Booking B.V.", "booking", ("bv",)),
        ("Tesco PLC", "tesco", ("plc",)),
        ("Acme Ltd", "acme", ("ltd",)),
        ("Acme Limited", "acme", ("ltd",)),
        ("Foxconn Co., Ltd.", "foxconn", ("coltd",)),
        ("Acme, Inc.", "acme", ("inc",)),
        ("Acme LLC", "acme", ("llc",)),
        ("Acme Corp.", "acme", ("inc",)),
        ("Danone SARL", "danone", ("sarl",)),
        ("Danone SAS", "danone", ("sas",)),
        ("Skoda s.r.o.", "skoda", ("sro",)),
        ("Skoda spol. s r.o.", "skoda", ("sro",)),
        ("CEZ a.s.", "cez", ("as",)),
        ("Richter Kft.", "richter", ("kft.",)),
        ("Volvo AB", "volvo", ("ab",)),
        ("AB Volvo", "volvo", ("ab",)),
        ("Nokia Oy", "nokia", ("oy",)),
        ("Lego ApS", "lego", ("aps",)),
        ("Maersk A/S", "maersk", ("as",)),
        ("Fiat S.p.A.", "fiat", ("spa",)),
        ("OOO Romashka", "romashka", ("ooo",)),
        ("Acme Sp. z o.o. Sp. k.", "acme", ("spzoo", "spk")),
        ("The Apple Pan", "apple pan", ()),
        ("apple pan  the", "apple pan", ()),
        ("Arnie Morton's of Chicago", "arnie mortons of chicago", ()),
        ("Café Bizou", "cafe bizou", ()),
        ("Smith & Sons", "smith sons", ()),
        ("Smith and Sons", "smith sons", ()),
        ("Schmidt und Partner", "schmidt partner", ()),
        ("Westmed B.V", "westmed", ("bv",)),  # last dot lost
        ("Techtex s. r. o.", "techtex", ("sro",)),  # spaced initials
        ("Domat s.j.", "domat", ("spj",)),
        ("Karpatmar spółka cywilna", "karpatmar", ("sc",)),
        ("Karpatmar s.c.", "karpatmar", ("sc",)),
        ("Techmont e.U.", "techmont", ("eu",)),
        ("Techmont eingetragenes Unternehmen", "techmont", ("eu",)),
        ("Herrmann Druck Unternehmergesellschaft (haftungsbeschränkt)", "herrmann druck", ("ug",)),
        ("Atolog UG (haftungsbeschraenkt)", "atolog", ("ug",)),
        ("Ingegneria Monza società in nome collettivo", "ingegneria monza", ("snc",)),
        ("Elecnet Sociedad Limitada", "elecnet", ("sl",)),
        ("Euroline HB", "euroline", ("hb",)),
        ("Skandia Aktiebolaget", "skandia", ("ab",)),
        ("Tekform A.B.", "tekform", ("ab",)),
        ("SARL Pâtisserie Laurent", "patisserie laurent", ("sarl",)),
        ("Société à responsabilité limitée Laurent Pâtisserie", "laurent patisserie", ("sarl",)),
        ("A.B.C. Consulting", "abc consulting", ()),
        ("P.H.U. Kowal", "phu kowal", ()),
        ("Przedsiębiorstwo Handlowo-Usługowe Kowal", "phu kowal", ()),
    ],
)
def test_split_legal_form_real_spellings(name: str, core: str, forms: tuple[str, ...]) -> None:
    result = split_legal_form(name)
    assert result.core == core
    assert result.forms == forms


def test_legal_form_generic_kind_links_equivalent_forms_across_countries() -> None:
    assert split_legal_form("Acme GmbH").generic == split_legal_form("Acme Sp. z o.o.").generic == ("llc",)
    assert split_legal_form("Acme S.A.").generic != split_legal_form("Acme Sp. z o.o.").generic


def test_legal_form_is_never_stripped_to_nothing_nor_from_the_middle() -> None:
    assert split_legal_form("SA").core == "sa"
    assert split_legal_form("GmbH").forms == ()
    assert split_legal_form("Sa Tavola").core == "sa tavola"  # "SA" before a name is no legal form
    assert split_legal_form("").core == ""
    assert split_legal_form(None).forms == ()


def test_fold_transliterates_and_drops_punctuation() -> None:
    assert fold("Łódź — Zakład 'Ćma'") == "lodz zaklad cma"
    assert fold("ÖSTERREICH") == "osterreich"
    assert fold("O’Brien’s") == "obriens"


@pytest.mark.parametrize(
    ("values", "country", "number", "cc", "valid"),
    [
        (("PL5260250995",), None, "5260250995", "PL", True),
        (("526-025-09-95",), "PL", "5260250995", "PL", True),
        (("PL 526 025 09 95",), "DE", "5260250995", "PL", True),  # the prefix wins over the hint
        (("5260250994",), "PL", "5260250994", "PL", False),  # checksum broken: kept, marked invalid
        (("DE136695976",), None, "136695976", "DE", True),
        (("EL094259216",), None, "094259216", "GR", True),  # Greek VAT prefix is EL, country GR
        (("GB 980 7806 84",), None, "980780684", "GB", True),
        (("CZ25123891",), None, "25123891", "CZ", True),
        (("123456789",), None, "123456789", None, False),  # no country: cannot verify
        ((None, "PL5260250995"), None, "5260250995", "PL", True),  # vatNumber when tin is empty
        (("111", "PL5260250995"), None, "5260250995", "PL", True),  # too short to be an id
        (("0000000000", "PL5260250995"), "PL", "5260250995", "PL", True),  # a placeholder is not valid
        (("PL0000000000",), None, "0000000000", "PL", False),
        (("SE 554976-0915 01",), None, "5549760915", "SE", True),  # Swedish VAT = org.nr + 01
        (("554976-0915",), "SE", "5549760915", "SE", True),
        (("FR74358468791",), None, "358468791", "FR", True),  # French VAT = key + SIREN
        (("358 468 791",), "FR", "358468791", "FR", True),
        (("ES B-80909153",), None, "B80909153", "ES", True),
    ],
)
def test_normalize_tin(
    values: tuple[str | None, ...], country: str | None, number: str, cc: str | None, valid: bool
) -> None:
    tax = normalize_tin(*values, country=country)
    assert tax is not None
    assert (tax.number, tax.country, tax.valid) == (number, cc, valid)


def test_normalize_tin_nothing() -> None:
    assert normalize_tin(None, "", country="PL") is None


@pytest.mark.parametrize(
    ("url", "domain"),
    [
        ("https://www.acme.pl/kontakt", "acme.pl"),
        ("http://shop.acme.co.uk", "acme.co.uk"),
        ("ACME.COM", "acme.com"),
        ("acme.github.io", "acme.github.io"),  # a private suffix: the user's own site
        ("https://www.facebook.com/acme", None),
        ("https://instagram.com/acme", None),
        ("acme.wixsite.com/home", "acme.wixsite.com"),
        ("https://www.amazon.de/shops/acme", None),
        ("https://allegro.pl/uzytkownik/acme", None),
        ("mailto:x@acme.pl", None),
        ("", None),
        (None, None),
        ("not a url", None),
    ],
)
def test_normalize_domain(url: str | None, domain: str | None) -> None:
    assert normalize_domain(url) == domain


@pytest.mark.parametrize(
    ("raw", "region", "e164"),
    [
        ("310/246-1501", "US", "+13102461501"),
        ("310-246-1501", "US", "+13102461501"),
        ("(310) 246 1501", "US", "+13102461501"),
        ("+48 22 123 45 67", None, "+48221234567"),
        ("0048 22 123 45 67", None, "+48221234567"),
        ("22 123 45 67", "PL", "+48221234567"),
        ("+49 30 1234567", "PL", "+49301234567"),  # an explicit prefix beats the region
        ("123", "US", None),
        ("call us", "US", None),
        (None, "US", None),
    ],
)
def test_normalize_phone(raw: str | None, region: str | None, e164: str | None) -> None:
    assert normalize_phone(raw, region) == e164


def test_normalize_street_abbreviations_and_numbers() -> None:
    assert normalize_street("435 S. La Cienega Blvd.") == normalize_street("435 s la cienega boulevard")
    assert normalize_street("1 Main Street") == normalize_street("1 Main St.")
    assert normalize_street("ul. Marszałkowska", "10A") == ("ul marszalkowska", "10a")
    assert normalize_street("Hauptstraße 5")[1] == "5"
    assert normalize_street(None) == (None, None)


def test_normalize_postcode_and_city() -> None:
    assert normalize_postcode("00-950") == "00950"
    assert normalize_postcode("sw1a 1aa") == "SW1A1AA"
    assert normalize_postcode("") is None
    assert normalize_city("Łódź") == "lodz"
    assert normalize_city("  ") is None


def test_memoised_normalisers_are_bounded_and_return_what_parsing_returns() -> None:
    """Streets, cities and phones are memoised per raw value: a hit must give the parsed answer, and
    the memo must stay bounded (a million records)."""
    for fn in (normalize_street, normalize_city, normalize_phone, normalize_postcode, normalize_domain):
        assert fn.cache_info().maxsize == CACHE_SIZE
    assert split_legal_form.cache_info().maxsize == CACHE_SIZE
    spellings = [("ul. Jana Pawła II", "90"), ("435 S. La Cienega Blvd.", None), (None, None)]
    for line, number in spellings * 2:  # the second round is served from the memo
        assert normalize_street(line, number) == normalize_street.__wrapped__(line, number)
    for city in ["Łódź", "  Kraków ", "", None] * 2:
        assert normalize_city(city) == normalize_city.__wrapped__(city)
    hits = normalize_city.cache_info().hits
    assert normalize_city("Łódź") == "lodz"
    assert normalize_city.cache_info().hits == hits + 1


def test_memos_key_on_every_input_and_hand_out_frozen_values() -> None:
    """Where a memo could go wrong: the same street with other house numbers, the same tax number
    with another country hint, and a caller trying to change a cached value."""
    assert normalize_street("ul. Polna", "12") == ("ul polna", "12")
    assert normalize_street("ul. Polna", "14") == ("ul polna", "14")
    assert normalize_street("ul. Polna") == ("ul polna", None)
    assert normalize_street("ul. Polna 12", None) == normalize_street("ul. Polna", "12")
    pl = normalize_tin("5260250995", country="PL")
    de = normalize_tin("5260250995", country="DE")
    assert pl is not None and pl.valid and pl.country == "PL"
    assert de is not None and not de.valid and de.country == "DE"
    assert normalize_tin("5260250995", country="PL") == pl
    assert normalize_tin("DE136695976", "5260250995", country="PL") != pl  # the first valid value wins
    assert normalize_tin(None, None, country="PL") is None
    legal = split_legal_form("Acme Sp. z o.o.")
    with pytest.raises(dataclasses.FrozenInstanceError):
        legal.core = "changed"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        pl.number = "changed"  # type: ignore[misc]
    assert split_legal_form("Acme Sp. z o.o.") == split_legal_form.__wrapped__("Acme Sp. z o.o.")
    assert split_legal_form("ACME sp. z o.o.").core == "acme"


def _first_letters(items: Any) -> set[str]:
    """The letters a parsed pattern can start with (literals, classes, groups, alternations only)."""
    op, av = items[0]
    if op is _constants.LITERAL:
        return {chr(av)}
    if op is _constants.IN:
        assert all(kind is _constants.LITERAL for kind, _ in av), av
        return {chr(code) for _, code in av}
    if op is _constants.SUBPATTERN:
        return _first_letters(av[-1])
    if op is _constants.BRANCH:
        return set().union(*(_first_letters(branch) for branch in av[1]))
    raise AssertionError(f"cannot tell the first letters of {op}")


def test_extra_forms_start_with_a_letter_the_lookahead_lets_through() -> None:
    """The extra-forms search rejects positions by their first letter: no form may start elsewhere."""
    for pattern, _, _ in normalize._EXTRA_FORMS:
        assert _first_letters(_parser.parse(pattern)) <= set(normalize._EXTRA_FIRST), pattern


@pytest.mark.parametrize(
    ("name", "core", "forms"),
    [
        # Spellings the dot and apostrophe pre-checks must still send to their regexes.
        ("Acme B. V", "acme", ("bv",)),
        ("ACME S. A", "acme", ("sa",)),
        ("acme s.r. o", "acme", ("sro",)),
        ("acme sp. z o. o", "acme", ("spzoo",)),
        ("Foo\u00a0B.\u00a0V", "foo", ("bv",)),  # other whitespace is a single space by then
        ("Foo B.\tV", "foo", ("bv",)),
        ("L´Oréal S.A", "l oreal", ("sa",)),
        ("Müller`s GmbH", "mullers", ("gmbh",)),
        ("O'Brien's Pub", "obriens pub", ()),
    ],
)
def test_split_legal_form_spellings_past_the_pre_checks(name: str, core: str, forms: tuple[str, ...]) -> None:
    legal = split_legal_form.__wrapped__(name)
    assert (legal.core, legal.forms) == (core, forms)


def test_warm_up_loads_each_countrys_tables_in_this_process() -> None:
    """What the normalisers' libraries load on first use is loaded by warm_up (in a fresh process:
    this one loaded them long ago), so match-one's first record after an index build pays nothing."""
    import subprocess
    import sys

    code = (
        "import sys, phonenumbers\n"
        "from phonenumbers.phonemetadata import PhoneMetadata\n"
        "from enricher.matching.normalize import warm_up\n"
        "before = ('NL' in PhoneMetadata._region_metadata, 'stdnum.nl.btw' in sys.modules)\n"
        "warm_up(['nl', 'NL', ''])\n"
        "after = ('NL' in PhoneMetadata._region_metadata, 'stdnum.nl.btw' in sys.modules)\n"
        "print(before, after)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["(False,", "False)", "(True,", "True)"]
