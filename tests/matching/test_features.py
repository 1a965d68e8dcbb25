"""Each feature function: its levels on real-world pairs and its one-line explanation."""

from __future__ import annotations

from typing import Any

import pytest

from enricher.matching.features import FEATURES, compare_pair, feature_named
from enricher.matching.records import Prepared, prepare


def rec(rid: int, **fields: Any) -> Prepared:
    return prepare({"id": rid, **fields})


def level(feature: str, a: dict[str, Any], b: dict[str, Any]) -> str:
    pa, pb = rec(1, **a), rec(2, **b)
    return feature_named(feature).result(compare_pair(pa, pb)[feature])


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("ACME Sp. z o.o.", "Acme spółka z ograniczoną odpowiedzialnością", "exact"),
        ("The Apple Pan", "Apple Pan, The", "exact"),
        ("Arnie Morton's of Chicago", "arnie mortons of chicago", "exact"),
        ("Second Street Grille", "Second Street Grill", "near"),
        ("Trans Szymanski 936", "Crans Szymanski 936", "near"),
        ("Spago", "Spago (Los Angeles)", "contains"),
        ("Cafe Bizou", "Bizou Restaurant", "weak"),  # alone, no word is known to be distinctive
        ("Palace Court", "Cafe Roma", "different"),
    ],
)
def test_name_levels(a: str, b: str, expected: str) -> None:
    assert level("name", {"name": a}, {"name": b}) == expected


def test_name_missing_is_no_evidence() -> None:
    assert level("name", {"name": ""}, {"name": "Acme"}) == "missing"
    assert level("name", {}, {}) == "missing"


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("Acme Sp. z o.o.", "ACME SP. Z O.O.", "same"),
        ("Acme GmbH", "Acme Sp. z o.o.", "same-kind"),
        ("Acme S.A.", "Acme Sp. z o.o.", "different"),
        ("Acme", "Acme Sp. z o.o.", "missing"),
    ],
)
def test_legal_form_levels(a: str, b: str, expected: str) -> None:
    assert level("legal_form", {"name": a}, {"name": b}) == expected


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ({"tin": "5260250995", "tinCountry": "PL"}, {"vatNumber": "PL 526-025-09-95"}, "equal"),
        ({"tin": "1234567890", "addressCountry": "PL"}, {"tin": "1234567890"}, "equal-unverified"),
        ({"tin": "PL5260250995"}, {"tin": "PL7740001454"}, "different-valid"),
        ({"tin": "PL5260250995"}, {"tin": "PL1234567890"}, "different"),
        ({"tin": "DE136695976"}, {"tin": "PL1366959760"}, "different"),
        ({"tin": "PL5260250995"}, {}, "missing"),
    ],
)
def test_tin_levels(a: dict[str, Any], b: dict[str, Any], expected: str) -> None:
    assert level("tin", a, b) == expected


def test_tin_explanation_says_different_entities() -> None:
    a, b = rec(1, tin="PL5260250995"), rec(2, tin="PL7740001454")
    tin = feature_named("tin")
    text = tin.explain(compare_pair(a, b)["tin"], a, b)
    assert "different legal entities" in text
    assert "PL5260250995" in text and "PL7740001454" in text


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("https://www.acme.pl", "http://shop.acme.pl/x", "equal"),
        ("acme.pl", "acme.com", "different"),
        ("https://facebook.com/acme", "https://facebook.com/acme", "missing"),  # shared host: no evidence
    ],
)
def test_domain_levels(a: str, b: str, expected: str) -> None:
    assert level("domain", {"corporateWebsiteUrl": a}, {"corporateWebsiteUrl": b}) == expected


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("310/246-1501", "310-246-1501", "equal"),
        ("213/246-1501", "310-246-1501", "same-local"),
        ("310/246-1501", "310-246-9999", "same-block"),
        ("310/246-1501", "310-555-9999", "different"),
        ("310/246-1501", None, "missing"),
    ],
)
def test_phone_levels(a: str, b: str | None, expected: str) -> None:
    assert (
        level(
            "phone",
            {"addressPhoneNumber": a, "addressCountry": "US"},
            {"addressPhoneNumber": b, "addressCountry": "US"},
        )
        == expected
    )


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("435 s. la cienega blv.", "435 S. La Cienega Blvd.", "equal"),
        ("12224 ventura blvd.", "12224 ventura boulevard", "equal"),
        ("128 fremont st.", "128 e. fremont st.", "equal"),
        ("128 fremont st.", "128 las vegas blvd.", "different"),
        ("10 fremont st.", "128 fremont st.", "same-street"),
        ("4216 W. 19th St.", "4217 W. 18Th St.", "different"),  # numbered streets: 19th is not 18th
        ("4216 W. 19th St.", "4216 w 19 street", "equal"),
        ("1 Main St", "99 Oak Ave", "different"),
    ],
)
def test_street_levels(a: str, b: str, expected: str) -> None:
    assert level("street", {"addressStreetLine": a}, {"addressStreetLine": b}) == expected


def test_postcode_city_country_levels() -> None:
    assert level("postcode", {"addressPostCode": "00-950"}, {"addressPostCode": "00950"}) == "equal"
    assert level("postcode", {"addressPostCode": "00-950"}, {"addressPostCode": "00-951"}) == "same-area"
    assert level("postcode", {"addressPostCode": "00-950"}, {"addressPostCode": "31-000"}) == "different"
    assert level("city", {"addressCity": "Łódź"}, {"addressCity": "LODZ"}) == "equal"
    assert level("city", {"addressCity": "los angeles"}, {"addressCity": "los angelos"}) == "similar"
    assert level("city", {"addressCity": "los angeles"}, {"addressCity": "pasadena"}) == "different"
    assert level("country", {"addressCountry": "PL"}, {"country": "/countries/PL"}) == "equal"
    assert level("country", {"addressCountry": "PL"}, {"addressCountry": "DE"}) == "different"


def test_every_level_has_a_readable_explanation_with_values() -> None:
    a = rec(
        1,
        name="Acme Sp. z o.o.",
        tin="PL5260250995",
        corporateWebsiteUrl="acme.pl",
        addressPhoneNumber="+48 22 123 45 67",
        addressStreetLine="ul. Prosta 1",
        addressPostCode="00-950",
        addressCity="Warszawa",
        addressCountry="PL",
    )
    b = rec(
        2,
        name="Bravo S.A.",
        tin="PL7740001454",
        corporateWebsiteUrl="bravo.pl",
        addressPhoneNumber="+48 22 765 43 21",
        addressStreetLine="ul. Krzywa 9",
        addressPostCode="31-000",
        addressCity="Kraków",
        addressCountry="DE",
    )
    for feature in FEATURES:
        for k in range(len(feature.levels)):
            text = feature.explain(k, a, b)
            assert text.endswith(".") and "{" not in text
        assert feature.explain(-1, a, b).endswith("unknown on one side.")


def test_abbreviated_words_count_as_contained() -> None:
    from enricher.matching.features import abbreviates

    assert abbreviates("arts deli", "arts delicatessen")
    assert abbreviates("bros kowalski", "brothers kowalski") is False  # "bros" is no prefix of "brothers"
    assert not abbreviates("deli", "delicatessen")  # no whole word in common
    assert not abbreviates("cafe roma", "palace court")
    assert level("name", {"name": "Arts Deli"}, {"name": "Arts Delicatessen"}) == "contains"


def register_levels(names: list[str], pairs: list[tuple[int, int]]) -> list[str]:
    """Name levels of ``pairs`` inside a register of ``names`` (word rarity comes from the register)."""
    import numpy as np

    from enricher.matching.table import Table

    table = Table([rec(k, name=n) for k, n in enumerate(names)])
    left = np.asarray([a for a, _ in pairs], dtype=np.int64)
    right = np.asarray([b for _, b in pairs], dtype=np.int64)
    name = feature_named("name")
    return [name.result(int(level)) for level in name.compare(table, left, right)]


FILLER = [
    f"{org} {site}"
    for org in ("Henry Booth House", "Chicago Public Schools")
    for site in "ABCDEFGHIJKLMNOPQRST"
]


def test_a_shared_rare_word_outranks_shared_common_words() -> None:
    names = [
        "Chicago Youth Centers Roseland Child Development",  # 0
        "C.Y.C. Roseland Head Start",  # 1
        "Henry Booth House Wee Care Nursery",  # 2
        "Wee Care Nursery School and Kindergarten",  # 3
        "Henry Booth House Loop",  # 4
        "Henry Booth House Mayfield",  # 5
        *FILLER,
    ]
    levels = register_levels(names, [(0, 1), (2, 3), (4, 5)])
    assert levels[0] == "shares-word"  # "roseland": a distinctive word, little else in common
    assert levels[1] == "shares-part"  # "wee care nursery": most of one name, with rare words
    assert levels[2] not in ("shares-part", "shares-word")  # only the organisation's common words


def test_shares_part_ranks_above_similar_in_the_learnt_weights() -> None:
    name = feature_named("name")
    order = [name.levels[k].label for k in name.ranked]
    assert order.index("shares-part") < order.index("similar") < order.index("weak")
