"""The classes of real-register trouble (issue "Matching on real registers"), each on a small register.

Compound names carried by two identifiers, the same name at the same address with another phone,
name-only registers, companies entered hundreds of times, coined names that differ in one part.
Word rarity matters to several rules, so each register carries filler records of its own kind.
"""

from __future__ import annotations

import itertools
from typing import Any

from enricher.matching import InMemoryDecisions, match
from enricher.matching.engine import MAX_PARTNERS


def band(result: Any, a: Any, b: Any) -> str | None:
    for c in result.candidates:
        if {c.a, c.b} == {a, b}:
            return str(c.band)
    return None


def sites(count: int) -> list[dict[str, Any]]:
    """A register of child-care sites: "Parent - Site" names, streets and 7-digit phones."""
    parents = ["Henry Booth House", "Chicago Public Schools", "Easter Seals Society", "Salvation Army"]
    words = ["Oak", "Maple", "Cedar", "Birch", "Pine", "Elm", "Ash", "Willow", "Aspen", "Alder"]
    out = []
    for k in range(count):
        site = f"{words[k % 10]} {words[(k // 10) % 10]}ridge"
        out.append(
            {
                "id": 1000 + k,
                "name": f"{parents[k % 4]} - {site} Learning Center",
                "addressStreetLine": f"{100 + k} W {k % 90 + 1}th St",
                "addressPhoneNumber": f"{2000000 + 7919 * k}",
                "addressCountry": "US",
            }
        )
    return out


def test_compound_names_with_phone_and_street_agreeing_are_a_merge_and_say_why() -> None:
    register = [
        *sites(120),
        {
            "id": 1,
            "name": "Henry Booth House - Whiz Kids Nursery",
            "addressStreetLine": "518 W 103rd St",
            "addressPhoneNumber": "7735551234",
            "addressCountry": "US",
        },
        {
            "id": 2,
            "name": "Whiz Kids Nursery Center, Inc.",
            "addressStreetLine": "518 W. 103rd Street",
            "addressPhoneNumber": "(773) 555-1234",
            "addressCountry": "US",
        },
    ]
    result = match(register)
    (pair,) = [c for c in result.candidates if {c.a, c.b} == {1, 2}]
    assert pair.band == "merge"
    assert "two independent identifiers agree (phone, street address)" in pair.note
    assert any({1, 2} <= set(c.ids) for c in result.clusters)


def test_shared_phone_and_address_with_unrelated_names_stays_in_review() -> None:
    register = [
        *sites(120),
        {
            "id": 1,
            "name": "Golden Nugget Hotel",
            "addressStreetLine": "129 E Fremont St",
            "addressPhoneNumber": "7023857111",
            "addressCountry": "US",
        },
        {
            "id": 2,
            "name": "Lillie Langtrys",
            "addressStreetLine": "129 E. Fremont St.",
            "addressPhoneNumber": "702-385-7111",
            "addressCountry": "US",
        },
    ]
    assert band(match(register), 1, 2) == "review"


def test_the_same_name_at_the_same_address_merges_although_the_phone_differs() -> None:
    register = [
        *sites(120),
        {
            "id": 1,
            "name": "Palace Court",
            "addressStreetLine": "3570 Las Vegas Blvd. S",
            "addressPhoneNumber": "702/731-7547",
            "addressCountry": "US",
        },
        {
            "id": 2,
            "name": "Palace Court",
            "addressStreetLine": "3570 las vegas blvd s",
            "addressPhoneNumber": "702-999-1234",
            "addressCountry": "US",
        },
    ]
    result = match(register)
    (pair,) = [c for c in result.candidates if {c.a, c.b} == {1, 2}]
    assert pair.band == "merge" and "same street address" in pair.note


def companies(count: int) -> list[dict[str, Any]]:
    """A name-only register (name and country): distinct coined Dutch company names."""
    first = ["Van", "De", "Ter", "Ten", "Op"]
    stems = ["Berg", "Dijk", "Veld", "Hout", "Brug", "Meer", "Wijk", "Dam", "Horst", "Loo"]
    trades = ["Transport", "Bouw", "Techniek", "Handel", "Installatie", "Logistiek"]
    out = []
    for k, (a, b, c, t) in enumerate(itertools.islice(itertools.product(first, stems, stems, trades), count)):
        out.append({"id": 5000 + k, "name": f"{a} {b}{c.lower()} {t} B.V.", "addressCountry": "NL"})
    return out


def test_name_only_registers_merge_distinctive_names_on_the_name_alone() -> None:
    register = [
        *companies(300),
        {"id": 1, "name": "VAN DALEN TRANSPORT B.V.", "addressCountry": "NL"},
        {"id": 2, "name": "van Dalen Transport BV", "addressCountry": "NL"},
        {"id": 3, "name": "KONINKLIJKE DELTA ELEKTRONICA N.V.", "addressCountry": "NL"},
        {"id": 4, "name": "Koninklijke Delta Electronika N.V.", "addressCountry": "NL"},
        {"id": 5, "name": "Novaschmidt Capital B.V.", "addressCountry": "NL"},
        {"id": 6, "name": "Novaschneider Capital B.V.", "addressCountry": "NL"},
    ]
    result = match(register)
    assert band(result, 1, 2) == "merge"
    assert band(result, 3, 4) == "merge"
    assert band(result, 5, 6) != "merge"  # coined names that differ in one distinctive part


def test_coined_names_differing_in_one_part_at_different_addresses_are_not_merged() -> None:
    register = [
        *sites(120),
        {"id": 1, "name": "Novaschmidt Capital", "addressStreetLine": "12 Main St", "addressCountry": "US"},
        {
            "id": 2,
            "name": "Novaschneider Capital",
            "addressStreetLine": "980 Oak Ave",
            "addressCountry": "US",
        },
    ]
    assert band(match(register), 1, 2) != "merge"


def test_a_company_entered_hundreds_of_times_is_one_complete_cluster() -> None:
    spellings = [
        "ALCATEL N.V.",
        "Alcatel N. V.",
        "ALCATEL NV",
        "ALCATEL N.V., AMSTERDAM",
        "Alcatel NV.",
        "ALCATELL N.V.",
    ]
    big = [{"id": k, "name": spellings[k % len(spellings)], "addressCountry": "NL"} for k in range(240)]
    result = match(companies(200) + big)
    (cluster,) = [c for c in result.clusters if 0 in c.ids]
    assert sorted(cluster.ids) == list(range(240))  # complete: no member lost to a size cap
    listed: dict[Any, int] = {}
    for c in result.candidates:
        listed[c.a] = listed.get(c.a, 0) + 1
        listed[c.b] = listed.get(c.b, 0) + 1
    assert max(listed.values()) <= MAX_PARTNERS  # the candidate list is bounded per record ...
    assert result.stats["not_listed"] > 0  # ... and says how much it left out, in the output too
    (note,) = result.to_contract()["notes"]
    assert f"{result.stats['not_listed']} candidate pairs were not listed" in note and "complete" in note
    assert result.stats["profiles"] < result.stats["records"]


def test_merge_band_pairs_always_share_a_cluster() -> None:
    result = match(sites(120) + companies(100))
    cluster_of = {rid: k for k, c in enumerate(result.clusters) for rid in c.ids}
    for c in result.candidates:
        if c.band == "merge":
            assert cluster_of[c.a] == cluster_of[c.b]


def test_a_rejection_between_identical_records_is_honoured() -> None:
    register = [
        *companies(300),
        {"id": 1, "name": "Mars B.V.", "addressCountry": "NL"},
        {"id": 2, "name": "MARS B.V.", "addressCountry": "NL"},
        {"id": 3, "name": "Mars BV", "addressCountry": "NL"},
    ]
    decisions = InMemoryDecisions()
    decisions.reject(1, 2)
    result = match(register, decisions=decisions)
    assert band(result, 1, 2) is None
    assert not any({1, 2} <= set(c.ids) for c in result.clusters)
    assert band(result, 1, 3) == "merge" or band(result, 2, 3) == "merge"
