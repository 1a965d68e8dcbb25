"""The seeded generator: companies, their planted duplicates, and hard negatives.

Streaming by design: entities are made one at a time; their duplicates wait in a small heap until a
random later position (so a record's duplicates are spread out, not adjacent), and every id comes
from a counter, so memory stays flat at any count. Every choice comes from one ``random.Random(seed)``
in a fixed order, so the same seed gives the same records, byte for byte.
"""

from __future__ import annotations

import heapq
import itertools
import random
import zlib
from bisect import bisect
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, TypeVar

from enricher.sample._locales import City, LegalForm, Locale, NamePattern, locales
from enricher.sample._perturb import change_case, slug, strip_diacritics, swap_words, typo
from enricher.sample._phones import PHONE_STYLES, PhoneTemplate, format_phone
from enricher.sample._taxids import PERSON_TAX_SCHEMES, Scrambler, TaxScheme

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

_DIGITS = "0123456789"
_POSTCODE_LETTERS = {"GB": "ABDEFGHJLNPQRSTUWXYZ", "NL": "ABCDEGHJKLMNPRTVWXZ"}
_LOGO_PATHS = ("logo.png", "img/logo.svg", "assets/images/logo.png", "wp-content/uploads/logo.png")


class SampleRecord(NamedTuple):
    """One generated record with its truth: ``entity`` is shared by true duplicates.

    ``kind`` is ``original``, ``duplicate`` (of an original with the same entity), ``sibling`` (a
    different company with the same core name elsewhere), ``franchise`` (a franchisee sharing a brand
    and website) or ``shared_host`` (its website is a page on a shared host). ``variants`` lists what
    a duplicate changed (see :data:`NAME_VARIANTS`, :data:`FIELD_VARIANTS`).
    """

    record: dict[str, Any]
    entity: str
    kind: str
    variants: tuple[str, ...] = ()


class _Seen:
    """A Bloom filter of strings already used (domains, names, mailboxes), in fixed memory.

    About 1.2 bytes per expected item, so a million companies cost ~1.2 MB, not a growing set. A false
    positive only makes the generator pick an alternative that was in fact free: harmless. Hashes are
    CRC-32 based, not ``hash()``, so the result does not depend on ``PYTHONHASHSEED``.
    """

    __slots__ = ("_bits", "_size")

    def __init__(self, expected: int) -> None:
        self._size = max(1 << 16, expected * 10)
        self._bits = bytearray(self._size // 8 + 1)

    def add(self, text: str) -> bool:
        """Record ``text``; False when it was (probably) there already."""
        data = text.encode()
        h1 = zlib.crc32(data)
        h2 = zlib.crc32(data, 0x9E3779B9) | 1
        bits, size = self._bits, self._size
        fresh = False
        for i in range(3):
            position = (h1 + i * h2) % size
            byte, mask = position >> 3, 1 << (position & 7)
            if not bits[byte] & mask:
                bits[byte] |= mask
                fresh = True
        return fresh


class _Weighted:
    """Fast weighted choice over a fixed sequence (cumulative weights + bisect)."""

    __slots__ = ("_cum", "_items", "_total")

    def __init__(self, items: Sequence[Any], weights: Sequence[float]) -> None:
        self._items = tuple(items)
        self._cum = list(itertools.accumulate(weights))
        self._total = self._cum[-1]

    def pick(self, rng: random.Random) -> Any:
        return self._items[bisect(self._cum, rng.random() * self._total)]


def _compile_postcode(pattern: str, country: str) -> tuple[str, tuple[tuple[str, ...], ...]]:
    """Parse a postcode pattern, once per city, into a format string and the choices for its slots."""
    letters = _POSTCODE_LETTERS.get(country, "ABCDEFGHJKLMNPRSTUVWXYZ")
    template: list[str] = []
    slots: list[tuple[str, ...]] = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "#":
            slots.append(tuple(_DIGITS))
        elif char == "@":
            slots.append(tuple(letters))
        elif char == "{":
            end = pattern.index("}", i)
            spec = pattern[i + 1 : end]
            if len(spec) == 3 and spec[1] == "-":
                spec = "".join(chr(c) for c in range(ord(spec[0]), ord(spec[2]) + 1))
            slots.append(tuple(spec))
            i = end
        else:
            template.append(char)
            i += 1
            continue
        template.append("{}")
        i += 1
    return "".join(template), tuple(slots)


@dataclass(frozen=True, slots=True)
class _PatternInfo:
    core: str  # the pattern without the legal form
    lf_front: bool | None  # None: sole trader, no legal form
    brand: str
    needs: frozenset[str]


def _pattern_info(pattern: NamePattern) -> _PatternInfo:
    text = pattern.name
    if text.startswith("!"):
        core, front = text[1:], None
    elif text.startswith("{L} "):
        core, front = text[4:], True
    else:
        core, front = text.replace(" {L}", ""), False
    needs = frozenset(
        k for k in ("S", "S2", "F", "T", "C", "P", "X") if "{" + k + "}" in text + pattern.brand
    )
    return _PatternInfo(core, front, pattern.brand, needs)


class _Country:
    """Per-country pools and counters, built once per generator."""

    def __init__(self, locale: Locale, rng: random.Random) -> None:
        self.locale = locale
        self.code = locale.country
        self.patterns = _Weighted(
            [_pattern_info(p) for p in locale.patterns], [p.weight for p in locale.patterns]
        )
        self.legal_forms = _Weighted(locale.legal_forms, [lf.weight for lf in locale.legal_forms])
        self.postcodes = {city.name: _compile_postcode(city.postcode, self.code) for city in locale.cities}
        self.tax_scrambler = Scrambler(locale.tax.body_digits, rng)
        self.tax_counter = 0
        self.person_scheme = PERSON_TAX_SCHEMES.get(self.code)
        self.person_scrambler = Scrambler(self.person_scheme.body_digits, rng) if self.person_scheme else None
        self.person_counter = 0
        self.country_iri = f"/countries/{self.code}"
        self.abbreviations = locale.street_abbreviations

    def next_tax_id(self) -> str:
        """The next unused compact company tax id of this country (unique by construction)."""
        build = self.locale.tax.build
        while True:
            self.tax_counter += 1
            compact = build(self.tax_scrambler(self.tax_counter))
            if compact is not None:
                return compact

    def next_person_tax_id(self) -> str:
        """The next unused personal tax id (only where :data:`PERSON_TAX_SCHEMES` has one)."""
        assert self.person_scheme is not None and self.person_scrambler is not None
        while True:
            self.person_counter += 1
            compact = self.person_scheme.build(self.person_scrambler(self.person_counter))
            if compact is not None:
                return compact


class _PhonePool:
    """Unique subscriber numbers per template: counter -> (first digit, scrambled rest).

    The scrambled part takes the low digits of the counter, so consecutive companies get unrelated
    numbers; the first digit changes only once that space is used up.
    """

    __slots__ = ("counter", "first", "offset", "scrambler", "space")

    def __init__(self, template: PhoneTemplate, rng: random.Random) -> None:
        self.first = template.first
        self.scrambler = Scrambler(template.free_digits, rng)
        self.space = 10**template.free_digits
        self.offset = rng.randrange(len(self.first))
        self.counter = 0

    def next(self, prefix: str) -> str:
        self.counter += 1
        high, low = divmod(self.counter, self.space)
        return prefix + self.first[(high + self.offset) % len(self.first)] + self.scrambler(low)


@dataclass(slots=True)
class _Entity:
    """What a company is, independent of how one record writes it."""

    key: str
    kind: str
    country: _Country
    type: str
    pattern: _PatternInfo
    fields: dict[str, str]
    legal_form: LegalForm | None
    core: str
    brand: str
    domain: str | None
    website: str | None
    site_paths: tuple[str, ...]
    scheme: TaxScheme
    tax: str | None
    has_vat: bool
    phone: tuple[PhoneTemplate, str] | None
    phone_style: str
    city: City
    street: str | None
    building: str | None
    locale_number: str | None
    postcode: str | None
    email: str | None
    display_name: str | None
    logo_url: str | None

    def name(self, legal_form_text: str | None = None) -> str:
        if self.legal_form is None:
            return self.core
        text = self.legal_form.canonical if legal_form_text is None else legal_form_text
        if not text:
            return self.core
        return f"{text} {self.core}" if self.pattern.lf_front else f"{self.core} {text}"


def _feminine(surname: str) -> str:
    """Polish surnames agree with the first name: Kowalski -> Kowalska."""
    if surname.endswith(("ski", "cki", "dzki")):
        return surname[:-1] + "a"
    return surname


_FEMALE_PL = frozenset(
    [
        "Anna",
        "Katarzyna",
        "Małgorzata",
        "Agnieszka",
        "Ewa",
        "Magdalena",
        "Joanna",
        "Monika",
        "Beata",
        "Dorota",
        "Grażyna",
        "Iwona",
        "Renata",
    ]
)


def _punctuation(core: str, and_word: str, rng: random.Random) -> str:
    """Quotes dropped, hyphens spaced or closed up, "&" spelled out: how the same name gets retyped."""
    if '"' in core:
        return core.replace('"', "")
    if " & " in core and (rng.random() < 0.5 or "-" not in core):
        return core.replace(" & ", f" {and_word} ", 1)
    return core.replace("-", " " if rng.random() < 0.6 else "", 1)


class _Generator:
    """Holds the random source, the pools and the pending-duplicates heap of one run."""

    def __init__(self, seed: int, duplicate_rate: float, expected: int = 1 << 16) -> None:
        if not 0.0 <= duplicate_rate <= 1.0:
            raise ValueError(f"duplicate_rate must be within [0, 1], not {duplicate_rate!r}")
        self.rng = random.Random(seed)
        self.random = self.rng.random
        self.duplicate_rate = duplicate_rate
        self.countries = [_Country(locale, self.rng) for locale in locales()]
        self.country_pick = _Weighted(self.countries, [loc.weight for loc in locales()])
        self.phone_pools: dict[tuple[str, str], _PhonePool] = {}
        self.entity_counter = 0
        # Different companies must not share a domain, a page or a mailbox, and rarely a name.
        self.seen_names = _Seen(expected)
        self.seen_addresses = _Seen(expected * 2)

    def pick(self, items: Sequence[T]) -> T:
        """A uniform choice; cheaper than ``rng.choice`` (which calls ``randrange``) at a million records."""
        return items[int(self.random() * len(items))]

    # ---- entities ----

    def _phone(self, template: PhoneTemplate) -> tuple[PhoneTemplate, str]:
        key = (template.plan.country, template.prefix)
        pool = self.phone_pools.get(key)
        if pool is None:
            pool = self.phone_pools[key] = _PhonePool(template, self.rng)
        return template, pool.next(template.prefix)

    def _fields(self, country: _Country, info: _PatternInfo, city: City) -> tuple[dict[str, str], str]:
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
            if country.code == "PL" and first in _FEMALE_PL and "S" in fields:
                fields["S"] = _feminine(fields["S"])
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

    def _postcode(self, country: _Country, city: City) -> str:
        template, slots = country.postcodes[city.name]
        random = self.random
        return template.format(*[slot[int(random() * len(slot))] for slot in slots])

    def _website(self, country: _Country, brand: str, city: City) -> tuple[str | None, str | None, str]:
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
        self, country: _Country, domain: str | None, entity_fields: dict[str, str], brand: str
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

    def _address(self, country: _Country, city: City) -> tuple[str | None, str | None, str | None, str]:
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
        self, country: _Country | None = None, *, like: _Entity | None = None, kind: str = "original"
    ) -> _Entity:
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
        return _Entity(
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

    def original(self, entity: _Entity) -> dict[str, Any]:
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

    def duplicate(self, entity: _Entity) -> tuple[dict[str, Any], tuple[str, ...]]:
        """Another record of the same company, written differently; returns it and what changed."""
        record = self.original(entity)
        record["displayName"] = None
        record["logoUrl"] = None
        changed: list[str] = []
        self._vary_name(entity, record, changed)
        self._vary_tax(entity, record, changed)
        self._vary_contact(entity, record, changed)
        self._vary_address(entity, record, changed)
        return record, tuple(changed)

    def _vary_name(self, entity: _Entity, record: dict[str, Any], changed: list[str]) -> None:
        rng = self.rng
        if rng.random() < 0.15:
            return  # same name as typed before: exact-name duplicates are common
        options = ["typo", "typo", "case"]
        if entity.legal_form is not None:
            options += ["legal_form", "legal_form", "legal_form"]
        if " " in entity.core:
            options.append("word_order")
        if not entity.core.isascii() or (entity.legal_form is not None and not entity.name().isascii()):
            options += ["diacritics", "diacritics"]
        if '"' in entity.core or "-" in entity.core or " & " in entity.core:
            options.append("punctuation")
        abbreviations = [
            (found, other)
            for short, longs in entity.country.locale.name_abbreviations
            for found, other in ((short, longs), *((long, (short,)) for long in longs))
            if f" {found} " in f" {entity.core} "  # whole words: "P.H.U." is not inside "P.P.H.U."
        ]
        if abbreviations:
            options += ["abbreviation", "abbreviation"]
        picked: list[str] = []
        for _ in range(1 if rng.random() < 0.7 else 2):
            choice = self.pick(options)
            if choice not in picked:
                picked.append(choice)
        core = entity.core
        done: list[str] = []  # only what actually changed the name is reported
        lf_text: str | None = None
        if "legal_form" in picked and entity.legal_form is not None:
            variants = entity.legal_form.variants
            lf_text = "" if rng.random() < 0.25 or not variants else self.pick(variants)
            done.append("legal_form")
        if "word_order" in picked:
            swapped = swap_words(core, rng)
            if swapped != core:
                core = swapped
                done.append("word_order")
        if "abbreviation" in picked and abbreviations:
            found, others = abbreviations[int(rng.random() * len(abbreviations))]
            core = f" {core} ".replace(f" {found} ", f" {others[int(rng.random() * len(others))]} ", 1)[1:-1]
            done.append("abbreviation")
        if "punctuation" in picked:
            punctuated = _punctuation(core, entity.country.locale.and_word, rng)
            if punctuated != core:
                core = punctuated
                done.append("punctuation")
        if "typo" in picked:
            core, kind = typo(core, rng)
            if kind != "none":
                done.append("typo")
        name = entity.name(lf_text)
        if core != entity.core:
            name = name.replace(entity.core, core, 1)
        if "diacritics" in picked:
            stripped = strip_diacritics(name)
            if stripped != name:
                name = stripped
                done.append("diacritics")
        if "case" in picked:
            cased = change_case(name, rng)
            if cased != name:
                name = cased
                done.append("case")
        if name != record["name"]:
            record["name"] = name
            changed.extend(done)

    def _vary_tax(self, entity: _Entity, record: dict[str, Any], changed: list[str]) -> None:
        rng = self.rng
        if entity.tax is None:
            return
        scheme = entity.scheme
        roll = rng.random()
        if roll < 0.08:
            record["tin"] = record["tinType"] = record["tinCountry"] = None
            changed.append("tin_missing")
        elif roll < 0.5:
            forms = scheme.tin_forms(entity.tax)
            record["tin"] = forms[1 + int(rng.random() * (len(forms) - 1))]
            if rng.random() < 0.3:
                record["tinType"] = None
            changed.append("tin_format")
        roll = rng.random()
        if record["vatNumber"] is not None and roll < 0.15:
            record["vatNumber"] = None
            changed.append("vat_missing")
        elif roll < 0.35:
            forms = scheme.vat_forms(entity.tax)
            record["vatNumber"] = self.pick(forms)
            changed.append("vat_format")

    def _vary_contact(self, entity: _Entity, record: dict[str, Any], changed: list[str]) -> None:
        rng = self.rng
        if entity.website is not None:
            roll = rng.random()
            if roll < 0.12:
                record["corporateWebsiteUrl"] = None
                changed.append("website_missing")
            elif roll < 0.55:
                record["corporateWebsiteUrl"] = self._website_variant(entity)
                changed.append("website_variant")
        if entity.phone is not None:
            roll = rng.random()
            if roll < 0.12:
                record["addressPhoneNumber"] = None
                changed.append("phone_missing")
            elif roll < 0.16:  # a new number since the first record was keyed in
                template, nsn = self._phone(self.pick(entity.country.locale.mobiles))
                record["addressPhoneNumber"] = format_phone(template, nsn, self.pick(PHONE_STYLES))
                changed.append("phone_changed")
            elif roll < 0.55:
                styles = PHONE_STYLES
                style = self.pick(styles)
                while style == entity.phone_style:
                    style = self.pick(styles)
                record["addressPhoneNumber"] = format_phone(entity.phone[0], entity.phone[1], style)
                changed.append("phone_format")
        if entity.email is not None:
            roll = rng.random()
            if roll < 0.1:
                record["email"] = None
                changed.append("email_missing")
            elif roll < 0.25 and entity.domain is not None:
                mailboxes = entity.country.locale.mailboxes
                record["email"] = f"{self.pick(mailboxes)}@{entity.domain}"
                if record["email"] != entity.email:
                    changed.append("email_variant")

    def _website_variant(self, entity: _Entity) -> str:
        url = entity.website
        assert url is not None
        bare = url.split("://", 1)[-1]
        host, _, path = bare.partition("/")
        host = host.removeprefix("www.")
        www = (
            ""
            if host.count(".") > 1 and not host.endswith((".co.uk", ".com.pl", ".co.at", ".net.pl"))
            else "www."
        )
        paths = entity.site_paths
        forms = (
            host + (f"/{path}" if path else ""),
            f"{www}{host}" + (f"/{path}" if path else ""),
            f"https://{www}{host}/" + (path or self.pick(paths)),
            f"http://{host}/" + path,
            f"https://{host}" + (f"/{path}/" if path else "/"),
            f"HTTPS://{www.upper()}{host.upper()}" + (f"/{path}" if path else ""),
        )
        choice = self.pick(forms)
        return choice if choice != url else forms[0]

    def _vary_address(self, entity: _Entity, record: dict[str, Any], changed: list[str]) -> None:
        rng = self.rng
        country = entity.country
        street = entity.street
        if street is not None and rng.random() < 0.05:
            record["addressStreetLine"] = record["addressBuildingNumber"] = record["addressLocaleNumber"] = (
                None
            )
            record["addressPostCode"] = None
            changed.append("address_missing")
            return
        if rng.random() < 0.04:  # the company moved within its city; the register has both addresses
            moved_street, building, locale_number, postcode = self._address(country, entity.city)
            if moved_street is not None and (moved_street, building) != (street, entity.building):
                record["addressStreetLine"] = moved_street
                record["addressBuildingNumber"] = building
                record["addressLocaleNumber"] = locale_number
                record["addressPostCode"] = postcode
                changed.append("address_moved")
                return
        if street is not None and rng.random() < 0.3:
            options = [(a, b) for a, b in country.abbreviations if a in street]
            if options:
                long, short = self.pick(options)
                record["addressStreetLine"] = street.replace(long, short, 1)
                changed.append("street_abbreviation")
        if street is not None and entity.building is not None and rng.random() < 0.1:
            number = entity.building + (f"/{entity.locale_number}" if entity.locale_number else "")
            line = record["addressStreetLine"]
            record["addressStreetLine"] = (
                f"{number} {line}" if country.code in ("GB", "FR") else f"{line} {number}"
            )
            record["addressBuildingNumber"] = record["addressLocaleNumber"] = None
            changed.append("address_merged")
        if entity.postcode is not None and rng.random() < 0.15:
            postcode = entity.postcode
            prefix = country.locale.postcode_prefix
            if (" " in postcode or "-" in postcode) and rng.random() < 0.6:
                new = postcode.replace(" ", "").replace("-", "")
            elif prefix:
                new = f"{prefix}-{postcode}"
            else:
                new = postcode.lower()
            if new != postcode:
                record["addressPostCode"] = new
                changed.append("postcode_format")
        if rng.random() < 0.08:
            city = entity.city.name
            new_city = city.upper() if city.isascii() or rng.random() < 0.5 else strip_diacritics(city)
            if new_city != city:
                record["addressCity"] = new_city
                changed.append("city_case")


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
