"""The seeded generator: companies, their planted duplicates, and hard negatives.

Streaming by design: entities are made one at a time; their duplicates wait in a small heap until a
random later position (so a record's duplicates are spread out, not adjacent), and every id comes
from a counter, so memory stays flat at any count. Every choice comes from one ``random.Random(seed)``
in a fixed order, so the same seed gives the same records, byte for byte.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

from enricher.sample._locales import City, Locale, locales
from enricher.sample._parts import (
    FEMALE_PL,
    Country,
    Entity,
    PatternInfo,
    PhonePool,
    SampleRecord,
    Seen,
    Weighted,
    feminine,
)
from enricher.sample._perturb import slug
from enricher.sample._phones import PhoneTemplate, format_phone
from enricher.sample._variations import vary_address, vary_contact, vary_name, vary_tax

__all__ = ["FIELD_VARIANTS", "NAME_VARIANTS", "SampleRecord", "generate", "iter_sample"]

T = TypeVar("T")

NAME_VARIANTS = ("typo", "legal_form", "word_order", "diacritics", "case", "punctuation", "abbreviation")
"""How a duplicate's name may differ from the original's."""

FIELD_VARIANTS = (
    "tin_format", "tin_missing", "vat_format", "vat_missing", "website_variant", "website_missing",
    "phone_format", "phone_missing", "email_variant", "email_missing", "street_abbreviation",
    "address_merged", "postcode_format", "address_missing", "city_case", "address_moved", "phone_changed",
)  # fmt: skip
"""How a duplicate's other fields may differ from the original's."""

SHARED_HOSTS = ("facebook", "business.site", "allegro", "google_sites", "wixsite")
"""Hosts many unrelated small companies use as their 'website' (a hard negative for matching)."""

_LOGO_PATHS = ("logo.png", "img/logo.svg", "assets/images/logo.png", "wp-content/uploads/logo.png")


class _Generator:
    """Holds the random source, the pools and the pending-duplicates heap of one run."""

    def __init__(self, seed: int, duplicate_rate: float, expected: int = 1 << 16) -> None:
        if not 0.0 <= duplicate_rate <= 1.0:
            raise ValueError(f"duplicate_rate must be within [0, 1], not {duplicate_rate!r}")
        self.rng = random.Random(seed)
        self.random = self.rng.random
        self.duplicate_rate = duplicate_rate
        self.countries = [Country(locale, self.rng) for locale in locales()]
        self.country_pick = Weighted(self.countries, [loc.weight for loc in locales()])
        self.phone_pools: dict[tuple[str, str], PhonePool] = {}
        self.entity_counter = 0
        # Different companies must not share a domain, a page or a mailbox, and rarely a name.
        self.seen_names = Seen(expected)
        self.seen_addresses = Seen(expected * 2)

    def pick(self, items: Sequence[T]) -> T:
        """A uniform choice; cheaper than ``rng.choice`` (which calls ``randrange``) at a million records."""
        return items[int(self.random() * len(items))]

    # ---- entities ----

    def _phone(self, template: PhoneTemplate) -> tuple[PhoneTemplate, str]:
        key = (template.plan.country, template.prefix)
        pool = self.phone_pools.get(key)
        if pool is None:
            pool = self.phone_pools[key] = PhonePool(template, self.rng)
        return template, pool.next(template.prefix)

    def _fields(self, country: Country, info: PatternInfo, city: City) -> tuple[dict[str, str], str]:
        rng = self.rng
        loc = country.locale
        fields: dict[str, str] = {}
        needs = info.needs
        kind = "company" if info.lf_front is not None else "person"
        if "S" in needs:
            fields["S"] = self.pick(loc.surnames)
        if "S2" in needs:
            other = self.pick(loc.surnames)
            while other == fields.get("S"):
                other = self.pick(loc.surnames)
            fields["S2"] = other
        if "F" in needs:
            first = self.pick(loc.first_names)
            fields["F"] = first
            if country.code == "PL" and first in FEMALE_PL and "S" in fields:
                fields["S"] = feminine(fields["S"])
        if "T" in needs:
            fields["T"] = self.pick(loc.trades)
        if "C" in needs:
            head = self.pick(loc.heads)
            tail = self.pick(loc.tails)
            while tail.lower() == head.lower():
                tail = self.pick(loc.tails)
            coined = head + tail
            if rng.random() < 0.35:  # "Pol" + "bud" + "ex": three-part brands widen the name space
                extra = self.pick(loc.tails)
                if extra != tail:
                    coined += extra
            fields["C"] = coined.upper() if rng.random() < 0.15 else coined
        if "P" in needs:
            fields["P"] = city.name
        if "X" in needs:
            fields["X"] = self.pick(loc.phrases)
        return fields, kind

    def _postcode(self, country: Country, city: City) -> str:
        template, slots = country.postcodes[city.name]
        random = self.random
        return template.format(*[slot[int(random() * len(slot))] for slot in slots])

    def _website(self, country: Country, brand: str, city: City) -> tuple[str | None, str | None, str]:
        """(domain, website URL, kind) for a company: own domain, shared host, or none."""
        rng = self.rng
        loc = country.locale
        roll = rng.random()
        if roll < 0.22:
            return None, None, "original"
        if roll < 0.27:
            host = self.pick(SHARED_HOSTS)
            if host == "allegro" and country.code != "PL":
                host = "facebook"
            label = self._unique_label(slug(brand, "-" if host == "business.site" else ""), f"{host}:")
            url = {
                "facebook": f"https://www.facebook.com/{label}",
                "business.site": f"https://{label}.business.site",
                "allegro": f"https://allegro.pl/uzytkownik/{label}",
                "google_sites": f"https://sites.google.com/view/{label}",
                "wixsite": f"https://{label}.wixsite.com/{label}",
            }[host]
            return None, url, "shared_host"
        joiner = "-" if rng.random() < 0.35 else ""
        label = slug(brand, joiner)
        city_label = slug(city.name, joiner or "")
        if rng.random() < 0.08 and city.name not in brand:
            label = f"{label}{joiner}{city_label}"
        tld = loc.tld if rng.random() < 0.8 else self.pick(loc.alt_tlds)
        domain = self._unique_domain(label, tld, joiner, city_label, loc)
        form = rng.random()
        if form < 0.55:
            url = f"https://www.{domain}"
        elif form < 0.8:
            url = f"https://{domain}"
        elif form < 0.92:
            url = f"http://www.{domain}"
        else:
            url = f"www.{domain}"
        return domain, url, "original"

    def _unique_domain(self, label: str, tld: str, joiner: str, city_label: str, loc: Locale) -> str:
        """The first free domain among the ways a second company of that name would register one."""
        seen = self.seen_addresses
        candidates = (
            label + tld,
            f"{label}{joiner}{city_label}{tld}",
            label + loc.alt_tlds[0],
            f"{label}-{city_label.replace('-', '')}{tld}",
        )
        for candidate in candidates:
            if seen.add(candidate):
                return candidate
        return self._unique_label(label, "", tld) + tld

    def _unique_label(self, label: str, namespace: str, suffix: str = "") -> str:
        """``label``, or ``label`` plus a number, not yet used in ``namespace``."""
        seen = self.seen_addresses
        if seen.add(f"{namespace}{label}{suffix}"):
            return label
        while True:
            numbered = f"{label}{2 + int(self.random() * 998)}"
            if seen.add(f"{namespace}{numbered}{suffix}"):
                return numbered

    def _email(
        self, country: Country, domain: str | None, entity_fields: dict[str, str], brand: str
    ) -> str | None:
        rng = self.rng
        loc = country.locale
        if rng.random() < 0.15:
            return None
        if domain is not None:
            if "F" in entity_fields and "S" in entity_fields and rng.random() < 0.3:
                box = slug(entity_fields["F"]) + "." + slug(entity_fields["S"])
            else:
                box = self.pick(loc.mailboxes)
            return f"{box}@{domain}"
        box = slug(brand, self.pick(("", ".", "_")))
        if rng.random() < 0.3:
            box += str(1 + int(rng.random() * 98))
        provider = self.pick(loc.free_mail)
        return f"{self._unique_label(box, '@', '@' + provider)}@{provider}"

    def _address(self, country: Country, city: City) -> tuple[str | None, str | None, str | None, str]:
        rng = self.rng
        loc = country.locale
        postcode = self._postcode(country, city)
        if rng.random() < 0.03:
            return None, None, None, postcode
        street = self.pick(loc.streets)
        number = str(1 + int(rng.random() ** 2 * 180))
        if rng.random() < 0.1:
            number += "ABCD"[int(rng.random() * 4)]
        locale_share = 0.4 if country.code in ("PL", "CZ") else 0.1
        locale_number = str(1 + int(rng.random() * 59)) if rng.random() < locale_share else None
        return street, number, locale_number, postcode

    def new_entity(
        self, country: Country | None = None, *, like: Entity | None = None, kind: str = "original"
    ) -> Entity:
        """A new company; ``like`` makes a different company with the same core name (a sibling)."""
        rng = self.rng
        if like is not None:
            country = like.country
        elif country is None:
            country = self.country_pick.pick(rng)
        assert country is not None
        loc = country.locale
        self.entity_counter += 1
        key = f"E{self.entity_counter:07d}"
        city = self.pick(loc.cities)
        if like is not None:
            while city.name == like.city.name and len(loc.cities) > 1:
                city = self.pick(loc.cities)
            info, fields, entity_type = like.pattern, dict(like.fields), like.type
            if "P" in fields:
                fields["P"] = city.name
        else:
            # Registered names are mostly distinct: redraw a few times before accepting a namesake.
            for _ in range(4):
                info = country.patterns.pick(rng)
                fields, entity_type = self._fields(country, info, city)
                if self.seen_names.add(f"{country.code}|{info.core.format_map(fields)}"):
                    break
        legal_form = None if info.lf_front is None else country.legal_forms.pick(rng)
        core = info.core.format_map(fields)
        brand = info.brand.format_map(fields)
        franchise_site = None
        if kind == "franchise":
            brand_name, brand_domain = self.pick(loc.franchises)
            surname = self.pick(loc.surnames)
            core = f"{brand_name} {city.name} {surname}" if rng.random() < 0.5 else f"{brand_name} {surname}"
            brand = brand_name
            legal_form = country.legal_forms.pick(rng)
            franchise_site = brand_domain
        if core[:1].islower():
            core = core[0].upper() + core[1:]  # "van den Berg Bouw" starts a name as "Van den Berg Bouw"
        website: str | None
        if franchise_site is not None:
            domain = None
            website = f"https://www.{franchise_site}"
            if rng.random() < 0.5:
                website = f"{website}/{slug(city.name, '-')}"
        elif like is not None:
            if rng.random() < 0.4:
                domain, website = None, None
            else:
                label = slug(brand if city.name in brand else f"{brand} {city.name}", "-")
                domain = self._unique_domain(label, loc.tld, "-", slug(city.name, "-"), loc)
                website = f"https://www.{domain}"
        else:
            domain, website, site_kind = self._website(country, brand, city)
            if site_kind == "shared_host":
                kind = "shared_host"
        scheme = country.locale.tax
        tax = None
        if rng.random() >= 0.07:
            if entity_type == "person" and country.person_scheme is not None:
                scheme = country.person_scheme
                tax = country.next_person_tax_id()
            else:
                tax = country.next_tax_id()
        if tax is not None and country.code == "ES" and legal_form is not None:
            # The CIF letter follows the legal form (A: S.A., B: S.L.); the check digit covers digits only.
            tax = ("A" if legal_form.canonical == "S.A." else "B") + tax[1:]
        has_vat = tax is not None and rng.random() < (0.9 if country.code == "GB" else 0.7)
        landline = rng.random() < 0.6
        phone = None
        if rng.random() >= 0.12:
            template = city.landline if landline else self.pick(loc.mobiles)
            phone = self._phone(template)
        phone_style = "international" if rng.random() < 0.5 else "national"
        street, building, locale_number, postcode = self._address(country, city)
        email = self._email(country, domain, fields, core if kind == "franchise" else brand)
        display_name = logo_url = None
        if domain is not None and rng.random() < 0.04:
            display_name = brand if info.lf_front is None else core  # what the site would call itself
            logo_url = f"https://{domain}/{self.pick(_LOGO_PATHS)}"
        return Entity(
            key=key,
            kind=kind,
            country=country,
            type=entity_type,
            pattern=info,
            fields=fields,
            legal_form=legal_form,
            core=core,
            brand=brand,
            domain=domain,
            website=website,
            site_paths=loc.site_paths,
            scheme=scheme,
            tax=tax,
            has_vat=has_vat,
            phone=phone,
            phone_style=phone_style,
            city=city,
            street=street,
            building=building,
            locale_number=locale_number,
            postcode=postcode,
            email=email,
            display_name=display_name,
            logo_url=logo_url,
        )

    # ---- records ----

    def original(self, entity: Entity) -> dict[str, Any]:
        """The entity's record as a clean register would hold it."""
        rng = self.rng
        country = entity.country
        scheme = entity.scheme
        phone = None
        if entity.phone is not None:
            phone = format_phone(entity.phone[0], entity.phone[1], entity.phone_style)
        return {
            "id": 0,
            "type": entity.type,
            "name": entity.name(),
            "displayName": entity.display_name,
            "logoUrl": entity.logo_url,
            "corporateWebsiteUrl": entity.website,
            "tin": scheme.tin(entity.tax) if entity.tax else None,
            "tinType": scheme.tin_type if entity.tax else None,
            "tinCountry": country.code if entity.tax else None,
            "vatNumber": scheme.vat(entity.tax) if entity.tax and entity.has_vat else None,
            "country": country.country_iri if rng.random() < 0.5 else country.code,
            "addressStreetLine": entity.street,
            "addressBuildingNumber": entity.building,
            "addressLocaleNumber": entity.locale_number,
            "addressPostCode": entity.postcode,
            "addressCity": entity.city.name,
            "addressCountry": country.code,
            "addressPhoneNumber": phone,
            "email": entity.email,
            "requireAttachment": rng.random() < 0.15,
            "cyclic": rng.random() < 0.2,
            "budgetNeutral": rng.random() < 0.05,
        }

    def duplicate(self, entity: Entity) -> tuple[dict[str, Any], tuple[str, ...]]:
        """Another record of the same company, written differently; returns it and what changed."""
        record = self.original(entity)
        record["displayName"] = None
        record["logoUrl"] = None
        changed: list[str] = []
        vary_name(self, entity, record, changed)
        vary_tax(self, entity, record, changed)
        vary_contact(self, entity, record, changed)
        vary_address(self, entity, record, changed)
        return record, tuple(changed)


def _near_name(core: str, rng: random.Random) -> str:
    """Another company's name one letter away from ``core``: a letter of its longest word changed,
    never the first ("Novaschmidt" / "Novaschnidt"). Registers hold many such near namesakes."""
    words = core.split(" ")
    k = max(range(len(words)), key=lambda i: (len(words[i]), -i))
    word = words[k]
    if len(word) < 4:
        return f"{core} {rng.choice(('Nova', 'Prim', 'Max', 'Trans', 'Euro'))}"
    at = rng.randrange(1, len(word))
    letters = "aeioulnrst" if word[at].lower() not in "aeioulnrst" else "bdgkmpvz"
    replacement = rng.choice(letters)
    words[k] = word[:at] + (replacement.upper() if word[at].isupper() else replacement) + word[at + 1 :]
    return " ".join(words)


def iter_sample(
    count: int, *, seed: int = 7, duplicate_rate: float = 0.25, near_names: float = 0.0
) -> Iterator[SampleRecord]:
    """Yield exactly ``count`` records (ids 1..count) with their truth and what each duplicate changed.

    A share ``duplicate_rate`` of companies get 1-3 extra records, spread over a window of later ids.
    About 4% of companies get a *sibling* (same core name, other city, other tax id), 2% are
    franchisees sharing a brand site, 5% use a shared host (facebook.com/..., *.business.site).
    A share ``near_names`` of companies get a *near namesake*: another company (other city, tax id,
    phone and site) whose name is one letter away, the hard negatives of registers with many
    similar names.
    """
    if count < 0:
        raise ValueError(f"count must be >= 0, not {count!r}")
    gen = _Generator(seed, duplicate_rate, expected=count)
    rng = gen.rng
    window = max(2, min(count // 2, 5000))
    pending: list[tuple[int, int, SampleRecord]] = []
    sequence = 0
    emitted = 0

    def push(due: int, item: SampleRecord) -> None:
        nonlocal sequence
        sequence += 1
        heapq.heappush(pending, (due, sequence, item))

    while emitted < count:
        if pending and (pending[0][0] <= emitted or emitted + len(pending) >= count):
            item = heapq.heappop(pending)[2]
        else:
            budget = count - emitted - len(pending) - 1  # records left after this original
            roll = rng.random()
            kind = "franchise" if roll < 0.02 else "original"
            entity = gen.new_entity(kind=kind)
            item = SampleRecord(gen.original(entity), entity.key, entity.kind)
            if budget > 0 and rng.random() < duplicate_rate:
                extra = 1 if (r := rng.random()) < 0.65 else (2 if r < 0.9 else 3)
                for _ in range(min(extra, budget)):
                    record, changed = gen.duplicate(entity)
                    push(
                        emitted + 1 + int(rng.random() * window),
                        SampleRecord(record, entity.key, "duplicate", changed),
                    )
                    budget -= 1
            if budget > 0 and kind == "original" and rng.random() < 0.04:
                sibling = gen.new_entity(like=entity, kind="sibling")
                push(
                    emitted + 1 + int(rng.random() * window),
                    SampleRecord(gen.original(sibling), sibling.key, "sibling"),
                )
                budget -= 1
            if budget > 0 and kind == "original" and near_names and rng.random() < near_names:
                near = gen.new_entity(like=entity, kind="near")
                near.core = _near_name(entity.core, rng)
                near.brand = near.core if entity.brand == entity.core else _near_name(entity.brand, rng)
                push(
                    emitted + 1 + int(rng.random() * window),
                    SampleRecord(gen.original(near), near.key, "near"),
                )
        emitted += 1
        item.record["id"] = emitted
        yield item


def generate(
    count: int, *, seed: int = 7, duplicate_rate: float = 0.25, near_names: float = 0.0
) -> Iterator[tuple[dict[str, Any], str]]:
    """Yield ``count`` API-shaped counterparty dicts (int ids 1..count) with their entity keys.

    Records with the same entity key are true duplicates. Deterministic for a given seed; streaming,
    with flat memory, so it serves a 400-record demo and a million-record benchmark alike.
    """
    for item in iter_sample(count, seed=seed, duplicate_rate=duplicate_rate, near_names=near_names):
        yield item.record, item.entity
