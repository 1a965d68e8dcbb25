"""The generator: deterministic, exact counts, valid ids and phones, and planted duplicates with truth."""

from __future__ import annotations

import importlib
import itertools
import json
from collections import Counter, defaultdict

import phonenumbers
import pytest

from enricher.records import Counterparty
from enricher.sample import FIELD_VARIANTS, NAME_VARIANTS, SampleRecord, generate, iter_sample

N = 4000


@pytest.fixture(scope="module")
def sample() -> list[SampleRecord]:
    return list(iter_sample(N, seed=11))


def _dump(items: object) -> str:
    return "\n".join(json.dumps(r, ensure_ascii=False) for r, _ in items)  # type: ignore[attr-defined]


def test_same_seed_same_records_other_seed_other_records() -> None:
    first = _dump(generate(500, seed=3))
    assert first == _dump(generate(500, seed=3))
    assert first != _dump(generate(500, seed=4))


def test_prefix_is_not_stable_across_counts_but_count_is_exact() -> None:
    for count in (0, 1, 2, 3, 17, 400):
        records = list(generate(count, seed=5))
        assert len(records) == count
        assert [r["id"] for r, _ in records] == list(range(1, count + 1))


def test_records_are_api_shaped(sample: list[SampleRecord]) -> None:
    for item in sample[:500]:
        model = Counterparty.model_validate(item.record)
        assert model.name
        assert model.country_code == item.record["addressCountry"]
    keys = {tuple(item.record) for item in sample}
    assert len(keys) == 1  # every record has the same fields in the same order


def test_country_is_an_iri_in_some_records_and_a_code_in_others(sample: list[SampleRecord]) -> None:
    forms = Counter(item.record["country"].startswith("/countries/") for item in sample)
    assert forms[True] > N * 0.3 and forms[False] > N * 0.3


def test_every_tax_id_is_valid_for_its_country(
    sample: list[SampleRecord], validators: dict[str, tuple[str, str]]
) -> None:
    checked = 0
    for item in sample:
        record = item.record
        tin_module, vat_module = (
            importlib.import_module(f"stdnum.{m}") for m in validators[record["addressCountry"]]
        )
        if record["tin"] is not None:
            assert tin_module.is_valid(record["tin"]), record
            checked += 1
        if record["vatNumber"] is not None:
            assert vat_module.is_valid(record["vatNumber"]), record
    assert checked > N * 0.8


def test_tax_ids_identify_entities(
    sample: list[SampleRecord], validators: dict[str, tuple[str, str]]
) -> None:
    """One compact tax id per entity and one entity per tax id: the truth and the ids agree."""
    by_tin: dict[str, set[str]] = defaultdict(set)
    by_entity: dict[str, set[str]] = defaultdict(set)
    for item in sample:
        record = item.record
        if record["tin"] is None:
            continue
        module = importlib.import_module(f"stdnum.{validators[record['addressCountry']][0]}")
        compact = module.compact(record["tin"])
        by_tin[f"{record['addressCountry']}:{compact}"].add(item.entity)
        by_entity[item.entity].add(compact)
    assert all(len(entities) == 1 for entities in by_tin.values())
    assert all(len(tins) == 1 for tins in by_entity.values())


def test_every_phone_is_valid_for_its_country(sample: list[SampleRecord]) -> None:
    phones = [(item.record["addressPhoneNumber"], item.record["addressCountry"]) for item in sample]
    present = [(p, c) for p, c in phones if p]
    assert len(present) > N * 0.7
    for phone, country in present:
        assert phonenumbers.is_valid_number(phonenumbers.parse(phone, country)), (phone, country)


def test_phones_of_different_entities_differ(sample: list[SampleRecord]) -> None:
    owners: dict[str, set[str]] = defaultdict(set)
    for item in sample:
        phone, country = item.record["addressPhoneNumber"], item.record["addressCountry"]
        if phone:
            e164 = phonenumbers.format_number(
                phonenumbers.parse(phone, country), phonenumbers.PhoneNumberFormat.E164
            )
            owners[e164].add(item.entity)
    assert all(len(entities) == 1 for entities in owners.values())


def test_duplicates_are_planted_with_the_truth(sample: list[SampleRecord]) -> None:
    sizes = Counter(item.entity for item in sample)
    groups = Counter(sizes.values())
    entities = len(sizes)
    with_duplicates = sum(n for size, n in groups.items() if size > 1)
    assert 0.15 < with_duplicates / entities < 0.35  # duplicate_rate 0.25, minus truncation at the end
    assert set(groups) <= {1, 2, 3, 4}
    assert groups[4] > 0
    originals = {item.entity: item for item in sample if item.kind != "duplicate"}
    for item in sample:
        if item.kind == "duplicate":
            original = originals[item.entity]
            assert original.record["id"] < item.record["id"]
            assert item.record["addressCountry"] == original.record["addressCountry"]


def test_duplicates_are_spread_out(sample: list[SampleRecord]) -> None:
    first_id: dict[str, int] = {}
    gaps = []
    for item in sample:
        if item.kind == "duplicate":
            gaps.append(item.record["id"] - first_id[item.entity])
        else:
            first_id.setdefault(item.entity, item.record["id"])
    assert sum(1 for g in gaps if g == 1) < len(gaps) * 0.05
    assert max(gaps) > 500


def test_duplicates_show_every_kind_of_variant(sample: list[SampleRecord]) -> None:
    seen = Counter(v for item in sample for v in item.variants)
    for variant in (*NAME_VARIANTS, *FIELD_VARIANTS):
        assert seen[variant] >= 5, (variant, seen)


_NOT_IDENTITY = ("id", "country", "requireAttachment", "cyclic", "budgetNeutral", "displayName", "logoUrl")


def _identity(record: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in record.items() if k not in _NOT_IDENTITY}


def test_variants_are_what_they_claim(sample: list[SampleRecord]) -> None:
    originals = {item.entity: item.record for item in sample if item.kind != "duplicate"}
    checked = Counter()
    for item in sample:
        if item.kind != "duplicate":
            continue
        record, original = item.record, originals[item.entity]
        if "diacritics" in item.variants:
            assert record["name"].isascii()
            checked["diacritics"] += 1
        if "case" in item.variants and "typo" not in item.variants:
            assert record["name"] in (record["name"].upper(), record["name"].lower(), record["name"].title())
            checked["case"] += 1
        if "tin_format" in item.variants:
            assert record["tin"] != original["tin"]
            checked["tin_format"] += 1
        if "website_variant" in item.variants:
            assert record["corporateWebsiteUrl"] != original["corporateWebsiteUrl"]
            checked["website_variant"] += 1
        if "phone_format" in item.variants:
            assert record["addressPhoneNumber"] != original["addressPhoneNumber"]
            checked["phone_format"] += 1
        if "address_moved" in item.variants:
            moved = (record["addressStreetLine"], record["addressBuildingNumber"])
            assert moved != (original["addressStreetLine"], original["addressBuildingNumber"])
            assert record["addressCity"] == original["addressCity"]
            checked["address_moved"] += 1
        if "phone_changed" in item.variants:
            country = record["addressCountry"]
            new, old = (
                phonenumbers.parse(p, country)
                for p in (record["addressPhoneNumber"], original["addressPhoneNumber"])
            )
            assert new.national_number != old.national_number
            checked["phone_changed"] += 1
        if "abbreviation" in item.variants:
            assert record["name"] != original["name"]
            checked["abbreviation"] += 1
        if not item.variants:  # an exact re-entry: identical apart from id, settings and country form
            assert _identity(record) == _identity(original)
    assert min(checked.values()) > 5


def test_planted_tin_formats_include_prefixed_and_punctuated(sample: list[SampleRecord]) -> None:
    polish = [
        item.record["tin"] for item in sample if item.record["addressCountry"] == "PL" and item.record["tin"]
    ]
    assert any(t.startswith("PL ") and "-" in t for t in polish)
    assert any(t.startswith("PL") and t[2:].isdigit() for t in polish)
    assert any(t.isdigit() for t in polish)


def test_hard_negatives_are_present(sample: list[SampleRecord]) -> None:
    kinds = Counter(item.kind for item in sample)
    assert kinds["sibling"] > 10 and kinds["franchise"] > 10 and kinds["shared_host"] > 50
    websites: dict[str, set[str]] = defaultdict(set)
    for item in sample:
        url = item.record["corporateWebsiteUrl"]
        if item.kind == "franchise" and url:
            websites[url.split("/")[2]].add(item.entity)
    assert any(len(entities) > 1 for entities in websites.values())  # franchisees share a brand site
    hosts = Counter(
        host
        for item in sample
        if item.kind == "shared_host"
        for host in ("facebook.com", "business.site", "allegro.pl", "sites.google.com", "wixsite.com")
        if host in (item.record["corporateWebsiteUrl"] or "")
    )
    assert len(hosts) == 5
    # a sibling shares its core name with another entity but has a different tax id
    by_entity = {item.entity: item.record for item in sample if item.kind != "duplicate"}
    sibling_pairs = 0
    for a, b in itertools.pairwise(sorted(by_entity)):
        ra, rb = by_entity[a], by_entity[b]
        if ra["name"].split()[0] == rb["name"].split()[0] and ra["addressCity"] != rb["addressCity"]:
            sibling_pairs += 1
    assert sibling_pairs > 5


def test_some_records_miss_tax_id_website_or_phone(sample: list[SampleRecord]) -> None:
    originals = [item.record for item in sample if item.kind == "original"]
    for field in ("tin", "corporateWebsiteUrl", "addressPhoneNumber", "email"):
        missing = sum(1 for r in originals if r[field] is None)
        assert 0.03 < missing / len(originals) < 0.4, field


def test_names_carry_local_legal_forms_and_diacritics(sample: list[SampleRecord]) -> None:
    names = " | ".join(item.record["name"] for item in sample)
    for form in (
        "Sp. z o.o.",
        "GmbH",
        "B.V.",
        "Ltd",
        "SARL",
        "s.r.o.",
        "S.r.l.",
        "S.L.",
        "AB",
        "GmbH & Co. KG",
    ):
        assert form in names, form
    for char in "ąęłńóśźżäöüßéèčřšžåñ":
        assert char in names.lower(), char


def test_emails_and_websites_use_the_company_domain(sample: list[SampleRecord]) -> None:
    same = 0
    for item in sample:
        record = item.record
        if item.kind == "original" and record["email"] and record["corporateWebsiteUrl"]:
            domain = record["email"].split("@")[1]
            if domain in record["corporateWebsiteUrl"]:
                same += 1
    assert same > N * 0.3


def test_duplicate_rate_is_validated() -> None:
    with pytest.raises(ValueError, match="duplicate_rate"):
        next(generate(10, duplicate_rate=1.5))
    with pytest.raises(ValueError, match="count"):
        next(generate(-1))


def test_no_duplicates_when_rate_is_zero() -> None:
    entities = [entity for _, entity in generate(1000, seed=2, duplicate_rate=0.0)]
    sizes = Counter(entities)
    assert max(sizes.values()) == 1


def test_generation_is_lazy_and_streams() -> None:
    """A huge count costs nothing up front: records come one by one, pending duplicates stay bounded."""
    stream = iter_sample(10**9, seed=9)
    head = list(itertools.islice(stream, 20_000))
    assert [item.record["id"] for item in head] == list(range(1, 20_001))
    assert sum(1 for item in head if item.kind == "duplicate") > 2000


def test_spanish_cif_letter_follows_the_legal_form(sample: list[SampleRecord]) -> None:
    spanish = [
        item.record for item in sample if item.kind == "original" and item.record["addressCountry"] == "ES"
    ]
    checked = 0
    for record in spanish:
        if record["tin"] and record["type"] == "company":
            letter = record["tin"][0]
            assert letter == ("A" if record["name"].endswith(" S.A.") else "B"), record
            checked += 1
    assert checked > 10


def test_different_companies_do_not_share_a_domain_page_or_mailbox() -> None:
    """Only franchisees share a site (on purpose); everyone else has their own domain, page and email."""
    owners: dict[str, set[str]] = defaultdict(set)
    names: dict[str, set[str]] = defaultdict(set)
    companies = 0
    for item in iter_sample(30_000, seed=13):
        record = item.record
        if item.kind == "duplicate":
            continue
        companies += 1
        names[record["name"]].add(item.entity)
        url = record["corporateWebsiteUrl"]
        if url and item.kind != "franchise":
            owners[url.split("://")[-1].removeprefix("www.")].add(item.entity)
        if record["email"]:
            owners[record["email"]].add(item.entity)
    assert all(len(entities) == 1 for entities in owners.values())
    shared_names = sum(len(e) for e in names.values() if len(e) > 1)
    assert shared_names < companies * 0.1  # namesakes exist (siblings, sole traders) but are few


def test_near_names_are_other_companies_one_letter_away() -> None:
    from rapidfuzz.distance import Levenshtein

    from enricher.matching.normalize import split_legal_form
    from enricher.sample import iter_sample

    items = list(iter_sample(3000, seed=5, near_names=0.3))
    near = [i for i in items if i.kind == "near"]
    assert len(near) > 300
    by_entity: dict[str, list[object]] = {}
    for item in items:
        by_entity.setdefault(item.entity, []).append(item)
    originals = [i for i in items if i.kind == "original"]
    cores = {split_legal_form(i.record["name"]).core for i in originals}
    close = 0
    for item in near:
        assert len(by_entity[item.entity]) == 1  # a company of its own, never a duplicate
        core = split_legal_form(item.record["name"]).core
        if core not in cores and any(Levenshtein.distance(core, other) == 1 for other in cores):
            close += 1
    assert close >= 0.8 * len(near)  # one letter away from another company's name (legal form aside)
    plain = [i.record for i in iter_sample(500, seed=5)]
    assert plain == [i.record for i in iter_sample(500, seed=5, near_names=0.0)]
