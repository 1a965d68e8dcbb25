"""Local word stock per country: names, legal forms, cities with postcodes and area codes, streets.

The words are data, one TOML file per country in ``locales/`` (``pl.toml``...), so a reviewer can check
them against reality at a glance; this module reads them once, on first import. Name patterns use the
placeholders ``{S}``/``{S2}`` (surnames), ``{F}`` (first name), ``{T}`` (trade word), ``{C}`` (a coined
brand from two syllables), ``{P}`` (city), ``{X}`` (a trade phrase) and ``{L}`` (legal form; appended
when the pattern does not place it). A pattern starting with ``!`` is a sole trader: no legal form.
"""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Any

from enricher.sample._phones import PhonePlan, PhoneTemplate
from enricher.sample._taxids import TAX_SCHEMES, TaxScheme

__all__ = ["COUNTRIES", "LOCALES", "City", "LegalForm", "Locale", "NamePattern", "locales"]


@dataclass(frozen=True, slots=True)
class LegalForm:
    """A legal form as usually written, and the other ways people write the same form."""

    canonical: str
    variants: tuple[str, ...]
    weight: float


@dataclass(frozen=True, slots=True)
class City:
    name: str
    postcode: str  # pattern: '#' a digit, '@' a letter, '{a-c}' one of a set; other chars literal
    landline: PhoneTemplate


@dataclass(frozen=True, slots=True)
class NamePattern:
    weight: float
    name: str
    brand: str  # the short name a website and a displayName use


@dataclass(frozen=True, slots=True)
class Locale:
    """Everything the generator needs to make a plausible company of one country."""

    country: str
    weight: float
    tax: TaxScheme
    tld: str
    alt_tlds: tuple[str, ...]
    surnames: tuple[str, ...]
    first_names: tuple[str, ...]
    trades: tuple[str, ...]
    heads: tuple[str, ...]
    tails: tuple[str, ...]
    phrases: tuple[str, ...]
    patterns: tuple[NamePattern, ...]
    legal_forms: tuple[LegalForm, ...]
    cities: tuple[City, ...]
    streets: tuple[str, ...]
    street_abbreviations: tuple[tuple[str, str], ...]  # (as written in the base record, a variant)
    mobiles: tuple[PhoneTemplate, ...]
    mailboxes: tuple[str, ...]
    free_mail: tuple[str, ...]
    site_paths: tuple[str, ...]
    franchises: tuple[tuple[str, str], ...]  # (brand, the brand's own domain)
    postcode_prefix: str  # "PL-00-950", "D-10115": how postcodes are sometimes written abroad
    and_word: str = "and"  # what "&" becomes when a clerk spells it out
    name_abbreviations: tuple[tuple[str, tuple[str, ...]], ...] = ()  # ("P.H.U.", ("PHU", "Przedsię..."))


COUNTRIES = ("PL", "DE", "NL", "GB", "FR", "CZ", "AT", "ES", "IT", "SE")
"""The locales, in the order the generator draws them from (the order is part of the seeded output)."""


def _strings(items: list[Any]) -> tuple[str, ...]:
    return tuple(str(item) for item in items)


def _locale(data: dict[str, Any]) -> Locale:
    phone = data["phone"]
    plan = PhonePlan(data["country"], phone["calling_code"], phone["trunk"], phone["area_sep"])
    return Locale(
        country=data["country"],
        weight=data["weight"],
        tax=TAX_SCHEMES[data["tax"]],
        tld=data["tld"],
        alt_tlds=_strings(data["alt_tlds"]),
        surnames=_strings(data["surnames"]),
        first_names=_strings(data["first_names"]),
        trades=_strings(data["trades"]),
        heads=_strings(data["heads"]),
        tails=_strings(data["tails"]),
        phrases=_strings(data["phrases"]),
        patterns=tuple(NamePattern(w, name, brand) for w, name, brand in data["patterns"]),
        legal_forms=tuple(
            LegalForm(canonical, _strings(variants), w) for w, canonical, *variants in data["legal_forms"]
        ),
        cities=tuple(
            City(name, postcode, PhoneTemplate(plan, area, tuple(groups), first))
            for name, postcode, area, groups, first in data["cities"]
        ),
        streets=_strings(data["streets"]),
        street_abbreviations=tuple((a, b) for a, b in data["street_abbreviations"]),
        mobiles=tuple(
            PhoneTemplate(plan, prefix, tuple(groups), first) for prefix, groups, first in data["mobiles"]
        ),
        mailboxes=_strings(data["mailboxes"]),
        free_mail=_strings(data["free_mail"]),
        site_paths=_strings(data["site_paths"]),
        franchises=tuple((brand, domain) for brand, domain in data["franchises"]),
        postcode_prefix=data["postcode_prefix"],
        and_word=data["and_word"],
        name_abbreviations=tuple((abbr, _strings(words)) for abbr, words in data["name_abbreviations"]),
    )


@functools.cache
def locales() -> tuple[Locale, ...]:
    """Every locale, read from its TOML file on first use (~30 ms), then kept."""
    folder = resources.files("enricher.sample") / "locales"
    return tuple(
        _locale(tomllib.loads((folder / f"{code.lower()}.toml").read_text(encoding="utf-8")))
        for code in COUNTRIES
    )


if TYPE_CHECKING:
    LOCALES: tuple[Locale, ...]


def __getattr__(name: str) -> Any:
    """``LOCALES``: :func:`locales`, read when first asked for (commands that never generate never pay)."""
    if name == "LOCALES":
        return locales()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
