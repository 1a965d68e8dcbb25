"""The brand name a person would write: one test per class of error, each on a small page written for it.

Classes (issue 15): entities left in names; a weak signal beating the declared one; an article's
title taken for the company; over-trimming; the register's known name as evidence.
"""

from __future__ import annotations

import pytest

from enricher.branding import NameSignal, choose_name, clean_name, extract, title_parts
from enricher.branding.names import compact, copyright_name, declared_parts, name_key


def page(head: str, body: str = "") -> str:
    return f"<html><head><meta charset='utf-8'>{head}</head><body>{body}</body></html>"


def website(name: str) -> str:
    return f'<script type="application/ld+json">{{"@type": "WebSite", "name": "{name}"}}</script>'


def organization(name: str, url: str) -> str:
    body = f'{{"@type": "Organization", "name": "{name}", "url": "{url}"}}'
    return f'<script type="application/ld+json">{body}</script>'


# --- 1. entities --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Smith &amp; Sons", "Smith & Sons"),  # a page that encoded twice: the parser leaves one
        ("Smith &amp;amp; Sons", "Smith & Sons"),
        ("Meathead&#039;s Ribs", "Meathead's Ribs"),
        ("<b>Acme</b> Tools", "Acme Tools"),
        ("Two Peas &am", "Two Peas"),  # a value cut mid-entity by a length limit
        ("Two Peas &#03", "Two Peas"),
        ("Acme Tools <a href", "Acme Tools"),  # a value cut mid-tag
        ("&lt;a", None),  # markup encoded as text, and nothing else
        ("Fish &lt; Chips", "Fish < Chips"),  # a "<" that opens no tag is the name's own
        ("AT&T", "AT&T"),  # an ampersand inside a word is the name's own
    ],
)
def test_a_name_never_carries_an_entity_or_markup(raw: str, clean: str | None) -> None:
    assert clean_name(raw) == clean


def test_double_encoded_page_gives_a_clean_name() -> None:
    html = page(
        '<meta property="og:site_name" content="Smith &amp;amp; Sons"><title>Smith &amp;amp; Sons</title>'
    )
    assert extract(html, "https://smithandsons.pl/").display_name == "Smith & Sons"


def test_ampersand_and_and_are_the_same_name() -> None:
    assert compact("Two Peas & Their Pod") == compact("Two Peas and Their Pod")
    html = page(
        '<meta name="application-name" content="Two Peas &amp;am">'
        '<meta property="og:site_name" content="Two Peas &amp; Their Pod">'
        + website("Two Peas &amp;amp; Their Pod")
        + organization("Two Peas and Their Pod", "https://www.twopeas.pl/"),
    )
    assert extract(html, "https://www.twopeas.pl/chicken/").display_name == "Two Peas & Their Pod"


@pytest.mark.parametrize(
    ("alt", "url"),
    [("Cobalt & Finch", "https://cobaltfinch.co.uk/"), ("Garlic & Zest", "https://www.garlicandzest.com/")],
)
def test_an_ampersand_name_matches_a_domain_with_or_without_and(alt: str, url: str) -> None:
    html = page("", f'<header><a href="/"><img class="logo" src="/l.png" alt="{alt}"></a></header>')
    got = extract(html, url)
    assert "name-match" in got.candidates[0].notes
    assert got.display_name == alt


# --- 2. the declared name beats weak signals; agreement decides ----------------------------------------


def test_the_spelling_the_site_declares_wins_over_an_organisation_written_together() -> None:
    html = page(
        '<meta property="og:site_name" content="Kitchen Divas">'
        + website("Kitchen Divas")
        + organization("KitchenDivas", "https://kitchendivas.pl/")
        + "<title>Banana Bread - Kitchen Divas</title>"
    )
    assert extract(html, "https://kitchendivas.pl/banana-bread/").display_name == "Kitchen Divas"


def test_titles_and_alt_texts_do_not_restyle_the_declared_spelling() -> None:
    html = page(
        '<meta property="og:site_name" content="Anna\'s Kitchen"><title>Soup | ANNAS KITCHEN</title>',
        '<header><a href="/"><img class="logo" src="/l.png" alt="ANNAS KITCHEN"></a></header>',
    )
    assert extract(html, "https://annaskitchen.pl/soup/").display_name == "Anna's Kitchen"


def test_a_weak_truncated_signal_does_not_beat_og_site_name() -> None:
    html = page(
        '<meta name="application-name" content="Blue Harb">'
        '<meta property="og:site_name" content="Blue Harbour"><title>Fish pie - Blue Harbour</title>',
        '<header><a href="/"><img class="logo" src="/l.png" alt="BlueHarbour logo"></a></header>',
    )
    assert extract(html, "https://blueharbour.pl/fish-pie/").display_name == "Blue Harbour"


def test_a_name_written_as_the_domain_is_the_same_name() -> None:
    assert name_key("AmazingRibs.com") == name_key("AmazingRibs") == "amazingribs"
    assert name_key("Meathead's AmazingRibs.com") == "meatheadsamazingribs"
    html = page(
        '<meta property="og:site_name" content="relish.pl"><title>Fried Chicken - Relish</title>',
    )
    # The declared spelling of the name, even when the title writes it as a word.
    assert extract(html, "https://relish.pl/fried-chicken/").display_name == "relish.pl"


# --- 3. an article's title is not the company --------------------------------------------------------


def test_an_article_title_alone_is_no_name_on_a_deep_page() -> None:
    html = page("<title>Overloaded Cheese Toastie Recipe</title>")
    got = extract(html, "https://www.northwind-foods.pl/recipes/cheese-toastie")
    assert got.display_name == "Northwind Foods" and got.name_source == "domain"  # no name, not a wrong one


def test_the_title_segment_that_matches_the_domain_is_the_name() -> None:
    html = page("<title>Overloaded Cheese Toastie Recipe | Northwind Foods</title>")
    got = extract(html, "https://northwindfoods.pl/recipes/cheese-toastie")
    assert got.display_name == "Northwind Foods" and got.name_source == "title"


def test_a_saved_page_that_says_it_is_an_article_is_one_whatever_its_url() -> None:
    article = page('<meta property="og:type" content="article"><title>Crêpe savoyarde facile</title>')
    canonical = page('<link rel="canonical" href="/recette/123-crepe"><title>Crêpe savoyarde facile</title>')
    for html in (article, canonical):
        got = extract(html, "https://atelier.pl/")
        assert got.name_source == "domain" and not got.home_page


def test_on_the_home_page_the_title_may_name_the_site_alone() -> None:
    got = extract(page("<title>Zakłady Mięsne Łódź</title>"), "https://www.zml.pl/")
    assert got.home_page and got.display_name == "Zakłady Mięsne Łódź"


def test_a_recipe_photo_alt_is_not_the_brand() -> None:
    html = page(
        "<title>Crêpe savoyarde facile</title>",
        '<header><a href="/"><img class="logo" src="/logo.svg"></a></header>'
        '<main><img src="/photos/crepe.jpg" alt="Crêpe savoyarde"></main>',
    )
    got = extract(html, "https://atelier.fr/recette/crepe")
    assert got.display_name == "Atelier" and not any(s.source == "logo-alt" for s in got.name_signals)


@pytest.mark.parametrize(
    ("title", "parts"),
    [
        (
            "Pepper fried chicken (Yuringi: 유린기) recipe by Maangchi",
            ["Pepper fried chicken (Yuringi: 유린기) recipe by Maangchi"],
        ),
        ("【正宗焗饭的做法_怎么做好吃】_下厨房", ["正宗焗饭的做法_怎么做好吃", "下厨房"]),
        ("my_brand - Shop", ["my_brand"]),
    ],
)
def test_titles_split_outside_brackets(title: str, parts: list[str]) -> None:
    assert title_parts(title) == parts


def test_a_cjk_title_segment_agrees_with_a_pinyin_domain() -> None:
    html = page("<title>【正宗焗饭的做法,最正宗的做法步骤图解_怎么做好吃】_下厨房</title>")
    assert extract(html, "https://www.xiachufang.com.cn/recipe/1/").display_name == "下厨房"


# --- 4. over-trimming ----------------------------------------------------------------------------------


def test_a_declared_name_is_not_trimmed_to_the_shorter_form_other_signals_use() -> None:
    html = page(
        '<meta property="og:site_name" content="Northwind Supermarkten">'
        "<title>Gewokte spruiten | Northwind</title>"
    )
    assert extract(html, "https://www.northwind.pl/recepten/1").display_name == "Northwind Supermarkten"


def test_a_title_that_adds_words_around_the_name_is_trimmed() -> None:
    html = page(
        "<title>Brightwave Digital Agency</title>",
        '<a href="/"><img src="/img/bw.svg" alt="Brightwave"></a>',
    )
    assert extract(html, "https://brightwave.pl/").display_name == "Brightwave"


def test_a_declared_tagline_after_a_separator_is_cut_not_the_name() -> None:
    assert declared_parts("Ambers Kitchen Cooks - tried and true recipes") == [
        "Ambers Kitchen Cooks",
        "tried and true recipes",
    ]
    assert declared_parts("Coca-Cola Polska") == ["Coca-Cola Polska"]
    html = page(
        '<meta property="og:site_name" content="Maria\'s Little Bakery – since 1987">'
        "<title>Rye bread – Maria's Little Bakery</title>",
        '<header><a href="/"><img class="logo" src="/l.png" alt="Little Bakery"></a></header>',
    )
    assert extract(html, "https://littlebakery.pl/rye/").display_name == "Maria's Little Bakery"


def test_a_long_declared_name_keeps_its_words_and_punctuation() -> None:
    html = page(
        '<meta property="og:site_name" content="Just a Little Bit of Bacon">'
        + website("Get the Good Stuff!")
        + "<title>Bisque - Just a Little Bit of Bacon</title>"
    )
    got = extract(html, "https://justalittlebitofbacon.pl/bisque/")
    assert got.display_name == "Just a Little Bit of Bacon"
    assert clean_name("Get the Good Stuff!") == "Get the Good Stuff!"
    assert clean_name("Welcome to ACME!") == "ACME"


@pytest.mark.parametrize(
    ("url", "name"),
    [
        # The address carries the article: it is part of the name, though og:site_name drops it.
        ("https://www.thebakehouse.pl/rye/", "The Bakehouse"),
        # The address does not: the declared spelling stands.
        ("https://www.bakehouse.pl/rye/", "Bakehouse"),
    ],
)
def test_a_leading_article_is_part_of_the_name_when_the_address_carries_it(url: str, name: str) -> None:
    html = page(
        '<meta property="og:site_name" content="Bakehouse">'
        '<meta name="twitter:site" content="@TheBakehouse">'
        "<title>Rye bread | The Bakehouse</title>",
        '<header><a href="/"><img class="logo" src="/l.svg" alt="Bakehouse"></a></header>',
    )
    assert extract(html, url).display_name == name


def test_a_declared_article_is_kept_whatever_the_address() -> None:
    html = page('<meta property="og:site_name" content="The Verge"><title>Phones | Verge</title>')
    assert extract(html, "https://verge.pl/phones/").display_name == "The Verge"


def test_trademark_signs_are_kept_as_the_site_writes_them() -> None:
    html = page('<meta property="og:site_name" content="Recipe Girl®"><title>Pie - Recipe Girl</title>')
    assert extract(html, "https://recipegirl.pl/pie/").display_name == "Recipe Girl®"


# --- 5. the known name ---------------------------------------------------------------------------------


def test_known_legal_name_minus_its_form_wins_a_tie() -> None:
    signals = [NameSignal("og:site_name", "Vectora", 0.9), NameSignal("application-name", "Orbis Tools", 0.9)]
    assert choose_name(signals, known_name="ORBIS TOOLS SP. Z O.O.") == "Orbis Tools"
    assert choose_name(signals, known_name="Vectora S.A.") == "Vectora"


def test_known_name_counts_as_agreement_for_a_title_on_a_deep_page() -> None:
    html = page("<title>Cheese toastie | Kowalski i Synowie</title>")
    url = "https://piekarnia-zamek.pl/przepisy/1"
    assert extract(html, url).name_source == "domain"
    got = extract(html, url, known_name="Kowalski i Synowie Sp. z o.o.")
    assert got.display_name == "Kowalski i Synowie" and got.name_source == "title"


# --- weak signals: the copyright line and the Twitter handle back a name, never are one ------------


@pytest.mark.parametrize(
    ("line", "holder"),
    [
        ("© 2024 ACME Sp. z o.o. Wszelkie prawa zastrzeżone.", "ACME Sp. z o.o"),
        ("NORTHWIND FOODS COPYRIGHT © 2011-2025 ALL RIGHTS RESERVED", "NORTHWIND FOODS"),
        ("©\xa02024\xa0by Northwind", "Northwind"),
        ("Copyright © 2023 Baking Sense® | Trellis Framework by Mediavine", "Baking Sense®"),
        ("Copyright © 2023 · Theme by Restored 316", None),
        ("Copyright 2025", None),
    ],
)
def test_copyright_line_holder(line: str, holder: str | None) -> None:
    assert copyright_name(line) == holder


def test_a_copyright_line_agrees_with_a_title_segment_on_a_deep_page() -> None:
    html = page(
        "<title>Cheese toastie | Northwind</title>",
        "<footer><p>© 2024 Northwind Foods Ltd. All rights reserved.</p></footer>",
    )
    got = extract(html, "https://www.nw-shop.pl/recipes/toastie")
    assert (got.display_name, got.name_source) == ("Northwind", "title")
    assert (
        extract(
            page("<title>Cheese toastie | Northwind</title>"), "https://www.nw-shop.pl/recipes/t"
        ).name_source
        == "domain"
    )


def test_the_owner_in_the_copyright_line_never_replaces_the_declared_brand() -> None:
    html = page(
        '<meta property="og:site_name" content="Migusto"><meta name="twitter:site" content="@migros">',
        "<footer>© Migros-Genossenschafts-Bund 2024</footer>",
    )
    got = extract(html, "https://migusto.migros.ch/de/rezepte/polenta")
    assert got.display_name == "Migusto"
    alone = page('<meta name="twitter:site" content="@northwindfoods">', "<footer>© Northwind Group</footer>")
    assert extract(alone, "https://northwindfoods.pl/").name_source == "domain"
