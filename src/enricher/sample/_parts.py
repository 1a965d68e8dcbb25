"""The generator's parts: the pools, per-country counters and the company (entity) a run draws records of."""

from __future__ import annotations

import itertools
import random
import zlib
from bisect import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from enricher.sample._locales import City, LegalForm, Locale, NamePattern
from enricher.sample._phones import PhoneTemplate
from enricher.sample._taxids import PERSON_TAX_SCHEMES, Scrambler, TaxScheme

__all__ = [
    "FEMALE_PL",
    "Country",
    "Entity",
    "PatternInfo",
    "PhonePool",
    "SampleRecord",
    "Seen",
    "Weighted",
    "compile_postcode",
    "feminine",
    "pattern_info",
    "punctuation",
]


_DIGITS = "0123456789"
_POSTCODE_LETTERS = {"GB": "ABDEFGHJLNPQRSTUWXYZ", "NL": "ABCDEGHJKLMNPRTVWXZ"}


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


class Seen:
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


class Weighted:
    """Fast weighted choice over a fixed sequence (cumulative weights + bisect)."""

    __slots__ = ("_cum", "_items", "_total")

    def __init__(self, items: Sequence[Any], weights: Sequence[float]) -> None:
        self._items = tuple(items)
        self._cum = list(itertools.accumulate(weights))
        self._total = self._cum[-1]

    def pick(self, rng: random.Random) -> Any:
        return self._items[bisect(self._cum, rng.random() * self._total)]


def compile_postcode(pattern: str, country: str) -> tuple[str, tuple[tuple[str, ...], ...]]:
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
class PatternInfo:
    core: str  # the pattern without the legal form
    lf_front: bool | None  # None: sole trader, no legal form
    brand: str
    needs: frozenset[str]


def pattern_info(pattern: NamePattern) -> PatternInfo:
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
    return PatternInfo(core, front, pattern.brand, needs)


class Country:
    """Per-country pools and counters, built once per generator."""

    def __init__(self, locale: Locale, rng: random.Random) -> None:
        self.locale = locale
        self.code = locale.country
        self.patterns = Weighted(
            [pattern_info(p) for p in locale.patterns], [p.weight for p in locale.patterns]
        )
        self.legal_forms = Weighted(locale.legal_forms, [lf.weight for lf in locale.legal_forms])
        self.postcodes = {city.name: compile_postcode(city.postcode, self.code) for city in locale.cities}
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


class PhonePool:
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
class Entity:
    """What a company is, independent of how one record writes it."""

    key: str
    kind: str
    country: Country
    type: str
    pattern: PatternInfo
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


def feminine(surname: str) -> str:
    """Polish surnames agree with the first name: Kowalski -> Kowalska."""
    if surname.endswith(("ski", "cki", "dzki")):
        return surname[:-1] + "a"
    return surname


FEMALE_PL = frozenset(
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


def punctuation(core: str, and_word: str, rng: random.Random) -> str:
    """Quotes dropped, hyphens spaced or closed up, "&" spelled out: how the same name gets retyped."""
    if '"' in core:
        return core.replace('"', "")
    if " & " in core and (rng.random() < 0.5 or "-" not in core):
        return core.replace(" & ", f" {and_word} ", 1)
    return core.replace("-", " " if rng.random() < 0.6 else "", 1)
