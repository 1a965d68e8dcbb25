"""Display-name cleaning, title splitting and the choice by agreement between signals."""

from __future__ import annotations

import pytest

from enricher.branding import NameSignal, choose_name, clean_name, extract, title_parts
from enricher.branding.names import compact, domain_display, registered_domain, strip_legal_form


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("  ACME  ", "ACME"),
        ("Welcome to Acme", "Acme"),
        ("Welcome to the Grand Hotel", "Grand Hotel"),
        ("Witamy w Piekarni Pod Lipą", "Piekarni Pod Lipą"),
        ("Willkommen bei Nordwind", "Nordwind"),
        ("Acme logo", "Acme"),
        ("Logo Tartak Nowak", "Tartak Nowak"),
        ("ACME® Official Site", "ACME®"),  # the site's own spelling keeps its marks...
        ("© ACME", "ACME"),  # ...but a copyright sign is not part of a name
        ("“Kestrel”", "Kestrel"),
        ("Home", None),
        ("Strona główna", None),
        ("Startseite", None),
        ("logo", None),
        ("", None),
        (None, None),
        ("2024", None),
        ("https://acme.com", None),
        ("x" * 120, None),
    ],
)
def test_clean_name(raw: str | None, clean: str | None) -> None:
    assert clean_name(raw) == clean


@pytest.mark.parametrize(
    ("title", "parts"),
    [
        ("Home | ACME – best widgets since 1990", ["ACME", "best widgets since 1990"]),
        ("Strona główna - Piekarnia Pod Lipą", ["Piekarnia Pod Lipą"]),
        ("Coca-Cola Polska: napoje", ["Coca-Cola Polska", "napoje"]),
        ("Acme · Tools • Shop", ["Acme", "Tools"]),
        ("Produkty — Zakłady Mięsne Łódź", ["Zakłady Mięsne Łódź"]),
        ("Contact » Acme", ["Acme"]),
        ("Start", []),
        ("", []),
    ],
)
def test_title_parts(title: str, parts: list[str]) -> None:
    assert title_parts(title) == parts


@pytest.mark.parametrize(
    ("name", "stripped"),
    [
        ("ACME Sp. z o.o.", "ACME"),
        ("ACME sp. z o. o.", "ACME"),
        ("Okna-Bud Spółka z ograniczoną odpowiedzialnością", "Okna-Bud"),
        ("Bank Handlowy S.A.", "Bank Handlowy"),
        ("Foo GmbH & Co. KG", "Foo"),
        ("Fenwick & Hale LLP", "Fenwick & Hale"),
        ("Widgets Ltd.", "Widgets"),
        ("Ostrava Steelworks a.s.", "Ostrava Steelworks"),
        ("Inc.", "Inc."),  # never strip a name down to nothing
        ("Ok Co", "Ok Co"),
    ],
)
def test_strip_legal_form(name: str, stripped: str) -> None:
    assert strip_legal_form(name) == stripped


def test_compact_folds_case_diacritics_and_legal_forms() -> None:
    assert compact("Zakłady Mięsne ŁÓDŹ Sp. z o.o.") == compact("zaklady-miesne lodz") == "zakladymiesnelodz"


def test_agreement_beats_a_single_heavier_signal() -> None:
    signals = [
        NameSignal("json-ld:name", "Grupa Kapitałowa XYZ Holding", 1.0),
        NameSignal("og:site_name", "Brzoza", 0.9),
        NameSignal("title", "Brzoza", 0.6),
        NameSignal("logo-alt", "Brzoza", 0.5),
    ]
    assert choose_name(signals, domain="brzoza") == "Brzoza"


def test_domain_breaks_ties_between_title_parts() -> None:
    signals = [NameSignal("title", "Okna PCV Warszawa", 0.6), NameSignal("title", "Okna-Bud", 0.5)]
    assert choose_name(signals, domain="oknabud") == "Okna-Bud"
    assert choose_name(signals, domain="oknapcvwarszawa") == "Okna PCV Warszawa"


def test_known_name_decides_when_the_page_is_ambiguous() -> None:
    signals = [NameSignal("title", "Montaż okien", 0.6), NameSignal("title", "Okna-Bud", 0.5)]
    assert choose_name(signals, known_name="OKNA-BUD SP. Z O.O.") == "Okna-Bud"


def test_tagline_loses_to_short_name() -> None:
    signals = [NameSignal("title", "Najlepsze meble z litego drewna od 1990 roku", 0.6),
               NameSignal("title", "Dębowy Dwór", 0.5)]  # fmt: skip
    assert choose_name(signals) == "Dębowy Dwór"


def test_display_name_drops_the_legal_form() -> None:
    assert choose_name([NameSignal("json-ld:legalName", "Brzoza Sp. z o.o.", 0.6)]) == "Brzoza"


def test_no_signals_no_name() -> None:
    assert choose_name([]) is None


def test_domain_helpers_work_offline() -> None:
    assert registered_domain("https://shop.acme.co.uk/x") == "acme.co.uk"
    assert registered_domain("127.0.0.1") == ""
    assert domain_display("zielony-ogrod.pl") == "Zielony Ogrod"
    assert domain_display("") is None


def test_extract_collects_every_kind_of_name_signal() -> None:
    html = """<head><title>Produkty | Brzoza</title>
    <meta property="og:site_name" content="Brzoza"><meta name="application-name" content="Brzoza App">
    <meta name="apple-mobile-web-app-title" content="Brzoza">
    <script type="application/ld+json">{"@type":"Organization","name":"Brzoza",
      "legalName":"Brzoza Sp. z o.o.", "alternateName":["BRZ"],"url":"https://brzoza.pl"}</script></head>
    <body><header><a href="/"><img class="logo" src="/l.png" alt="Brzoza - logo"></a></header></body>"""
    result = extract(html, "https://brzoza.pl/")
    sources = {s.source for s in result.name_signals}
    expected = "title og:site_name application-name apple-mobile-web-app-title json-ld:name json-ld:legalName"
    assert sources >= {*expected.split(), "json-ld:alternateName", "logo-alt"}
    assert result.display_name == "Brzoza"


def test_cookie_banner_text_is_not_a_name() -> None:
    html = """<title>Kestrel Logistics</title><div class="cookie-banner">
    <img class="logo" src="/cookiebot.svg" alt="Cookiebot"></div>"""
    result = extract(html, "https://kestrel.eu/")
    assert result.display_name == "Kestrel Logistics"
    assert "Cookiebot" not in [s.value for s in result.name_signals]


def test_microdata_name_of_a_nested_item_is_not_the_organisation_name() -> None:
    html = """<title>Najlepsze okna w mieście</title>
    <div itemscope itemtype="https://schema.org/Organization">
      <div itemprop="address" itemscope itemtype="https://schema.org/PostalAddress">
        <span itemprop="name">Biuro</span></div>
      <span itemprop="name">Okna Nowak</span></div>"""
    result = extract(html, "https://okna-nowak.pl/")
    assert result.display_name == "Okna Nowak"
    assert "Biuro" not in [s.value for s in result.name_signals]


def test_domain_words_vouch_for_a_long_brand_name() -> None:
    result = extract(
        "<title>Kancelaria Adwokacka Jan Kowalski | Adwokat Kraków</title>",
        "https://www.adwokat-kowalski.pl/",
    )
    assert result.display_name == "Kancelaria Adwokacka Jan Kowalski"
    result = extract("<title>Usługi remontowe Kraków | Remo-Bud</title>", "https://remobud.pl/")
    assert result.display_name == "Remo-Bud"
