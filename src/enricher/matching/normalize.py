"""Normalisers: raw counterparty fields -> comparable values. Pure functions, no I/O.

Legal forms come from rigour's org-type database (OpenSanctions; built on ISO 20275 and the OCCRP list,
Rust-backed, ~1 µs a name), which knows spelled-out forms in many languages ("spółka z ograniczoną
odpowiedzialnością" -> ``spzoo``, "Aktiengesellschaft" -> ``ag``) and stacked forms ("GmbH & Co. KG").
cleanco was tried too: it strips more English forms (Corp, Co.) but knows fewer European ones, returns
no canonical form and is ~25x slower; so rigour is primary and the few forms neither knows (Polish
partnerships ``sp.j.``/``sp.k.``, ``Corp``, ``A/S`` ...) sit in :data:`_EXTRA_FORMS`.
Tax ids go through python-stdnum, domains through tldextract's bundled suffix list (no network),
phones through phonenumbers, addresses through rigour's address fingerprint.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import phonenumbers
import tldextract
from anyascii import anyascii
from rigour.addresses import address_fingerprint
from rigour.names import org_types
from stdnum.exceptions import ValidationError as StdnumValidationError
from stdnum.util import get_cc_module

__all__ = [
    "CACHE_SIZE",
    "LegalName",
    "TaxId",
    "country_hint",
    "fold",
    "normalize_city",
    "normalize_domain",
    "normalize_phone",
    "normalize_postcode",
    "normalize_street",
    "normalize_tin",
    "split_legal_form",
    "warm_up",
]

_SPACES = re.compile(r"\s+")
_NON_WORD = re.compile(r"[^a-z0-9]+")
_APOSTROPHES = re.compile(r"(?<=\w)['’`´](?=\w)")

CACHE_SIZE = 1 << 16
"""Entries per normaliser memo (names, tax ids, domains, streets, postcodes, cities, phones): registers
repeat those values (100k generated records: 43k distinct street lines with numbers, 575 cities; one of
two workers at 1M: 7% of names, 10% of tax ids, 31% of websites and 62% of postcodes seen before), a
hit costs ~0.2 µs against 1-16 µs of parsing, and the bound keeps a million records small. Every
memoised value is immutable (str, tuples, frozen dataclasses): a caller cannot change a cached one."""

# Words that join or decorate a name without identifying it: "and" in several languages, the English
# article ("Apple Pan, The" == "The Apple Pan").
CONNECTORS = frozenset({"and", "und", "i", "et", "y", "e", "en", "og", "och", "ja", "the"})


def fold(text: str) -> str:
    """Lower-case ASCII words separated by single spaces: "Café Bizou!" -> "cafe bizou"."""
    if not text.isascii():  # the common case skips Unicode work entirely
        text = anyascii(unicodedata.normalize("NFKC", text))
    if "'" in text or "’" in text or "`" in text or "´" in text:
        text = _APOSTROPHES.sub("", text)
    return _NON_WORD.sub(" ", text.casefold()).strip()


# ---------------------------------------------------------------------------------------------- names

# Forms rigour does not know (or only in one spelling), as (pattern, compare form, generic form).
# Patterns see the casefolded name with diacritics kept.
_SP = r"sp(?:[oó][lł]ka)?\.?\s*"
_EXTRA_FORMS: tuple[tuple[str, str, str], ...] = (
    (_SP + r"z\s*\.?\s*o\.?\s*o\.?", "spzoo", "llc"),
    (_SP + r"(?:j\.|j\b|jawna)|s\.\s*j\.?", "spj", "gp"),
    (_SP + r"(?:k\.|k\b|komandytowa)", "spk", "lp"),
    (_SP + r"(?:p\.|p\b|partnerska)", "spp", "gp"),
    (r"s\.\s*k\.\s*a\.?|ska\b|" + _SP + r"komandytowo[- ]akcyjna", "ska", "lp"),
    (r"sp(?:[oó][lł]ka)?\s+akcyjna", "sa", "jsc"),
    (r"corp\.?|corporation", "inc", "llc"),
    (r"company|co\.?", "co", "llc"),
    (r"s\.\s*l\.\s*u\.?|slu\b", "slu", "llc"),
    (r"s\.\s*l\.?|sl\b", "sl", "llc"),
    (r"k\.\s*k\.?|kk\b|kabushiki\s+kaisha", "kk", "jsc"),
    (r"sasu\b", "sasu", "llc"),
    (r"lda\.?", "lda", "llc"),
    (r"a\s*/\s*s", "as", "jsc"),
    (r"i/s", "is", "gp"),
    (r"e\.\s*u\.?|eingetragenes\s+unternehmen", "eu", "sp"),
    (r"s\.\s*n\.\s*c\.?|snc\b|societ[aà]\s+in\s+nome\s+collettivo", "snc", "gp"),
    (r"s\.\s*r\.\s*l\.\s*s\.?|srls\b", "srls", "llc"),
    (_SP + r"cywilna|s\.\s*c\.?", "sc", "gp"),
    (r"hb\b|handelsbolag(?:et)?", "hb", "gp"),
    (r"aktiebolag(?:et)?(?:\s*\(publ\))?|ab\s*\(publ\)", "ab", "ab"),
    (r"v\.\s*o\.\s*s\.?", "vos", "gp"),
    (r"k\.\s*s\.?", "ks", "lp"),
    (r"sociedad\s+limitada(?:\s+unipersonal)?", "sl", "llc"),
    (r"societ[aà]\s+a\s+responsabilit[aà]\s+limitata\s+semplificata", "srls", "llc"),
    (r"s\.\s*a\.\s*s\.?|societ[aà]\s+in\s+accomandita\s+semplice", "sas", "lp"),
    (_SP + r"komandytowa", "spk", "lp"),
    (r"a\.\s*b\.", "ab", "ab"),
    (r"ug\s*\(haftungsbeschr(?:ae|a|ä)nkt\)", "ug", "llc"),
)
_EXTRA_FIRST = "acehiklsuv"
"""Every letter an extra form can start with (a test checks each pattern against it)."""
# One alternation with a group per form (the patterns themselves capture nothing): one search per strip.
# The look-ahead on the first letter rejects most positions before the 29 alternatives are tried
# (1.60 -> 0.99 µs a search on 100k generated names, same matches).
_EXTRA_SUFFIX = re.compile(
    rf"(?=[{_EXTRA_FIRST}])(?:^|(?<=[\s,(&-]))(?:"
    + "|".join(f"({pattern})" for pattern, _, _ in _EXTRA_FORMS)
    + r")[\s.,)]*$"
)
_TRIM = " ,;:-&/()\t"
_ALNUM = re.compile(r"[^\W_]")
"""One letter or digit: re's \\w is exactly str.isalnum() plus "_" (CPython's _sre)."""
_EDGES = " ,;:-&/\t"  # the whole name keeps its parentheses: "UG (haftungsbeschränkt)" ends in one
_SPACED_INITIALS = re.compile(r"(?<![\w.])(\w)\.\s+(?=\w\.)")  # "s. r. o." -> "s.r.o."
_OPEN_ABBREVIATION = re.compile(r"(?<![\w.])(?:\w{1,2}\.\s?)+\w$")
# Single letters at the end, split by any mix of dots, commas and spaces: "B . V .", "B,V.", "N..V".
_SPLIT_LETTERS = re.compile(r"(?<![\w.,])((?:[a-z][\s.,]+)+[a-z])[\s.,]*$")
# Forms that stand before the name in their home countries ("OOO Romashka", "AB Volvo", "UAB Foo").
# Other forms are only stripped at the end: "SA Tavola" is more likely a name than a legal form.
_PREFIX_FORMS = frozenset(
    {"ooo", "oao", "zao", "pao", "ao", "ab", "oy", "oyj", "uab", "sia", "pt", "tov", "as"}
)


@dataclass(frozen=True, slots=True)
class LegalName:
    """A name split into its core (what identifies it) and its legal forms (what kind of entity)."""

    core: str
    """Folded core name, connectors dropped: "the apple pan" -> "apple pan"."""
    forms: tuple[str, ...]
    """rigour compare forms in name order, e.g. ("spzoo", "spk") for "X Sp. z o.o. Sp.k."."""
    generic: tuple[str, ...]
    """Generic kinds of those forms ("llc", "jsc", "lp" ...): GmbH and Sp. z o.o. are both "llc"."""

    @property
    def legal_form(self) -> str | None:
        return " ".join(self.forms) or None


_GENERIC: dict[str, str] = {}
"""Generic kind per matched legal-form text, learnt from rigour as names come (saves a second scan)."""


@lru_cache(maxsize=64)
def _rigour_forms(text: str) -> tuple[tuple[str, str, str], ...]:
    """rigour's forms in ``text`` (matched text, form, generic kind). A small memo: splitting one name
    asks for the same text more than once (the end-of-name check, then the first strip)."""
    specific = org_types.extract_org_types(text)
    if any(matched not in _GENERIC for matched, _ in specific):
        for matched, generic in org_types.extract_org_types(text, generic=True):
            _GENERIC[matched] = generic
    return tuple((matched, form, _GENERIC.get(matched, form)) for matched, form in specific)


@lru_cache(maxsize=256)
def _strip_one(text: str) -> tuple[str, str, str] | None:
    """Strip one legal form from the end (preferred; the longest known form wins) or the start.

    A small memo: splitting one name asks for the same text up to three times (the split-letters
    check, the first strip, a stacked-form check); 100k generated names: 216k calls, 148k texts."""
    found = _rigour_forms(text)
    endings: list[tuple[str, str, str]] = []
    if found:
        body = text.rstrip(" ,;")
        bare = text.rstrip(" ,;.-")  # "NV.", "BV.-", "B.V..": stray dots or a dash after the form
        for matched, form, generic in found:
            if body.endswith(matched):
                tail = body
            elif bare.endswith(matched):
                tail = bare
            elif (bare + ".").endswith(matched):
                tail = bare + "."
            else:
                continue
            rest = tail[: len(tail) - len(matched)]
            if not rest or not rest[-1].isalnum():
                endings.append((rest.rstrip(_TRIM), form, generic))
    # Forms are short: searching the tail only is enough (the look-behind still sees what precedes).
    m = _EXTRA_SUFFIX.search(text, max(0, len(text) - 60))
    if m and m.lastindex:
        _, form, generic = _EXTRA_FORMS[m.lastindex - 1]
        endings.append((text[: m.start()].rstrip(_TRIM), form, generic))
    if endings:
        return endings[0] if len(endings) == 1 else min(endings, key=lambda e: len(e[0]))
    if not found:
        return None
    for matched, form, generic in sorted(found, key=lambda f: -len(f[0])):
        # Short forms only where they stand first at home; long ones ("SARL", spelled out) anywhere.
        if (form in _PREFIX_FORMS or len(matched) >= 4) and text.startswith(matched):
            rest = text[len(matched) :]
            if not rest or not rest[0].isalnum():
                return rest.lstrip(_TRIM), form, generic
    return None


# Polish sole traders and partnerships name their line of business before the name, spelled out or
# as initials ("P.H.U." = "Przedsiębiorstwo Handlowo-Usługowe"): both read as the initials.
_DESCRIPTORS = {
    "przedsiebiorstwo handlowe": "ph",
    "przedsiebiorstwo handlowo uslugowe": "phu",
    "przedsiebiorstwo uslugowo handlowe": "puh",
    "przedsiebiorstwo produkcyjno handlowe": "pph",
    "przedsiebiorstwo produkcyjno handlowo uslugowe": "pphu",
    "przedsiebiorstwo produkcyjno uslugowo handlowe": "ppuh",
    "przedsiebiorstwo wielobranzowe": "pw",
    "firma handlowa": "fh",
    "firma uslugowa": "fu",
    "firma handlowo uslugowa": "fhu",
    "firma uslugowo handlowa": "fuh",
    "firma produkcyjno handlowo uslugowa": "fphu",
    "zaklad uslugowy": "zu",
    "zaklad uslugowo handlowy": "zuh",
}
_DESCRIPTOR = re.compile(r"\b(?:" + "|".join(sorted(_DESCRIPTORS, key=len, reverse=True)) + r")\b")


def _descriptors(text: str) -> str:
    if "przedsiebiorstwo" not in text and "firma" not in text and "zaklad" not in text:
        return text
    return _DESCRIPTOR.sub(lambda m: _DESCRIPTORS[m.group(0)], text)


def _join_initials(text: str) -> str:
    """ "a b c foo" -> "abc foo": initials written "A.B.C." or "A B C" read as one word "ABC"."""
    words = text.split()
    if sum(1 for w in words if len(w) == 1) < 2:
        return text
    out: list[str] = []
    run = ""
    for word in words:
        if len(word) == 1 and word.isalpha():
            run += word
            continue
        if run:
            out.append(run)
            run = ""
        out.append(word)
    if run:
        out.append(run)
    return " ".join(out)


def _end_at_legal_form(text: str) -> str:
    """Cut what follows a legal form written as an abbreviation or followed by a comma.

    Registers append an address or a remark after the legal name: "Cargill B.V., Bergen op Zoom",
    "DSM N.V. te Heerlen", "Shell Research B.V. Carel van Bylandtlaan 30". A form spelt with dots
    ("n.v.") or closed by a comma marks the end of the name; a bare word that can be a form
    ("The Limited Stores") does not, so only those two spellings count.
    """
    for matched, _, _ in _rigour_forms(text):
        start = text.find(matched)
        end = start + len(matched)
        if start <= 0 or end >= len(text) or text[start - 1].isalnum() or text[end].isalnum():
            continue
        if _ALNUM.search(text, 0, start) is None:
            continue
        rest = text[end:].lstrip(" ")
        if ("." in matched or rest.startswith(",")) and _ALNUM.search(rest) is not None:
            stacked = _strip_one(rest.strip(_EDGES))
            if stacked is not None and not stacked[0]:
                continue  # another form follows ("Sp. z o.o. Sp. k."): the name does not end here
            return text[:end]
    return text


@lru_cache(maxsize=CACHE_SIZE)
def split_legal_form(name: str | None) -> LegalName:
    """Split "ACME Sp. z o.o." into core "acme" and form ("spzoo",).

    Forms are stripped only at the ends (repeatedly, for stacked forms such as "Co., Ltd." or
    "Sp. z o.o. Sp. k."; and before the name: "OOO Romashka", "AB Volvo"), never from the middle, and
    never down to nothing: "SA" alone stays a name. What follows a form that ends the name (an
    address, a town) is dropped first: see :func:`_end_at_legal_form`.
    """
    if not name:
        return LegalName("", (), ())
    text = _SPACES.sub(" ", unicodedata.normalize("NFKC", name).casefold()).strip(_EDGES)
    # "B.V" and "sp. z o.o" lost their last dot: give it back so the form is recognised.
    # Both patterns need a dot; most names have none (saves 2 µs of 17). Whitespace is single spaces
    # by now, so a dot and a space precede spaced initials, and an open abbreviation ends in a dot and
    # a letter, a space between them at most: the regexes only run where they can match (-1 µs).
    if ". " in text:
        text = _SPACED_INITIALS.sub(r"\1.", text)
    if text[-2:-1] == "." or text[-3:-1] == ". ":
        text = _OPEN_ABBREVIATION.sub(r"\g<0>.", text)
    if "," in text or "." in text:
        text = _end_at_legal_form(text)
        split = _SPLIT_LETTERS.search(text)
        if split and _strip_one(text) is None:
            # Not a form as written: read the letters as one word, as "B.V." is ("b,v." -> "bv").
            text = text[: split.start()] + "".join(ch for ch in split.group(1) if ch.isalpha())
    forms: list[tuple[str, str, int]] = []
    for _ in range(4):
        step = _strip_one(text)
        if step is None:
            break
        rest, form, generic = step
        if _ALNUM.search(rest) is None:  # what str.isalnum() accepts, found in C
            break
        # Prefix forms go first, suffix forms last; a later suffix strip sits before earlier ones.
        position = 0 if not text.startswith(rest) else 1
        forms.append((form, generic, position))
        text = rest
    folded = _descriptors(_join_initials(fold(text)))
    core = " ".join([t for t in folded.split() if t not in CONNECTORS]) or folded
    if not forms:
        return LegalName(core, (), ())
    prefix = [f for f in forms if f[2] == 0]
    suffix = [f for f in reversed(forms) if f[2] == 1]
    ordered = prefix + suffix
    return LegalName(core, tuple(f[0] for f in ordered), tuple(f[1] for f in ordered))


# ------------------------------------------------------------------------------------------- tax ids

# VAT prefixes that are not the ISO code of their country.
_VAT_PREFIX_TO_ISO = {"EL": "GR", "XI": "GB"}


@dataclass(frozen=True, slots=True)
class TaxId:
    """A compacted tax id: ``number`` without country prefix, ``valid`` when its checksum holds."""

    number: str
    country: str | None
    valid: bool

    def __str__(self) -> str:
        return f"{self.country or ''}{self.number}"


_NON_ALNUM_ASCII = re.compile(r"[^0-9A-Za-z]")


def _compact(value: str) -> str:
    return _NON_ALNUM_ASCII.sub("", value).upper()


# National company registry numbers that registers put in "tin" besides VAT numbers (stdnum names).
_COMPANY_IDS: dict[str, tuple[str, ...]] = {
    "fr": ("siren", "siret"),
    "se": ("orgnr",),
    "pl": ("regon",),
    "es": ("cif", "nif"),
    "it": ("iva", "codicefiscale"),
    "nl": ("btw",),
    "cz": ("dic",),
    "sk": ("dph", "ico"),
    "at": ("uid",),
    "be": ("vat",),
    "dk": ("cvr",),
    "fi": ("ytunnus",),
    "no": ("orgnr", "mva"),
    "gb": ("vat", "utr"),
}


def _canonical(number: str, country: str | None) -> str:
    """One number per entity where a country writes it two ways (VAT vs registry number)."""
    if country == "SE" and len(number) == 12 and number.endswith("01"):
        return number[:10]  # Swedish VAT = org.nr + "01"
    if country == "FR" and len(number) == 11 and number.isdigit():
        return number[2:]  # French VAT = 2-digit key + SIREN
    return number


@lru_cache(maxsize=512)
def _tax_modules(country: str) -> tuple[Any, ...]:
    modules = []
    for kind in ("vat", "tin", *_COMPANY_IDS.get(country.lower(), ())):
        try:
            module = get_cc_module(country.lower(), kind)
        except (ImportError, ValueError):
            continue
        if module is not None and hasattr(module, "is_valid"):
            modules.append(module)
    return tuple(modules)


def _is_valid(number: str, country: str) -> bool:
    for module in _tax_modules(country):
        try:
            if module.is_valid(number):
                return True
        except (StdnumValidationError, ValueError, TypeError):
            continue
    return False


def normalize_tin(*values: str | None, country: str | None = None) -> TaxId | None:
    """The best tax id among ``values`` (``tin``, ``vatNumber``...), validated for its country.

    A 2-letter prefix ("PL526...", "EL094...") names the country; otherwise ``country`` (tinCountry,
    then address country) is the hint. The first value that validates wins; when none validates, the
    first one is kept with ``valid=False`` (it still counts, for little).
    """
    if not any(values):
        return None
    return _tax_id(values, country)


@lru_cache(maxsize=CACHE_SIZE)
def _tax_id(values: tuple[str | None, ...], country: str | None) -> TaxId | None:
    first: TaxId | None = None
    for raw in values:
        if not raw:
            continue
        compact = _compact(str(raw))
        if len(compact) < 4:
            continue
        cc = country.upper() if country else None
        number = compact
        if compact[:2].isalpha() and any(map(str.isdigit, compact[2:])):
            prefix = compact[:2]
            iso = _VAT_PREFIX_TO_ISO.get(prefix, prefix)
            if _tax_modules(iso):
                cc, number = iso, compact[2:]
        # "0000000000" passes some checksums; a run of one digit is a placeholder, not an id.
        valid = bool(cc) and len(set(number)) > 1 and _is_valid(number, cc or "")
        tax = TaxId(_canonical(number, cc) if valid else number, cc, valid)
        if valid:
            return tax
        if first is None:
            first = tax
    return first


# ------------------------------------------------------------------------------------------- domains

_EXTRACT = tldextract.TLDExtract(suffix_list_urls=(), include_psl_private_domains=True)

# Hosts whose pages belong to many unrelated companies: a shared one says nothing about identity.
SHARED_HOSTS = frozenset(
    {
        "facebook.com",
        "fb.com",
        "fb.me",
        "instagram.com",
        "linkedin.com",
        "twitter.com",
        "x.com",
        "youtube.com",
        "youtu.be",
        "tiktok.com",
        "pinterest.com",
        "threads.net",
        "goo.gl",
        "g.page",
        "business.site",
        "wix.com",
        "wixsite.com",
        "wordpress.com",
        "blogspot.com",
        "squarespace.com",
        "weebly.com",
        "jimdo.com",
        "jimdosite.com",
        "webnode.com",
        "webnode.pl",
        "site123.me",
        "strikingly.com",
        "godaddysites.com",
        "myshopify.com",
        "shopify.com",
        "etsy.com",
        "yelp.com",
        "tripadvisor.com",
        "foursquare.com",
        "linktr.ee",
        "bit.ly",
        "tinyurl.com",
        "carrd.co",
        "github.com",
        "gitlab.com",
        "medium.com",
        "tumblr.com",
        "opentable.com",
        "zomato.com",
        "olx.pl",
        "allegro.pl",
        "google.com",
        "sites.google.com",
        "about.me",
        "notion.site",
    }
)
# Second-level labels that are marketplaces or platforms under every country suffix (amazon.de ...).
SHARED_LABELS = frozenset(
    {"amazon", "ebay", "google", "facebook", "booking", "allegro", "tripadvisor", "yelp"}
)


@lru_cache(maxsize=CACHE_SIZE)
def normalize_domain(url: str | None) -> str | None:
    """The registrable domain of a website ("https://www.shop.acme.co.uk/x" -> "acme.co.uk").

    None for empty input, IPs, and shared hosts (social networks, site builders, marketplaces).
    Private suffixes count (``acme.github.io`` is its own site), using the bundled list, no network.
    """
    if not url:
        return None
    text = url.strip().lower()
    if not text or "@" in text.split("/")[0]:
        return None
    parts = _EXTRACT(text)
    if not parts.suffix or not parts.domain:
        return None
    domain = f"{parts.domain}.{parts.suffix}"
    if domain in SHARED_HOSTS or parts.domain in SHARED_LABELS:
        return None
    return domain


# -------------------------------------------------------------------------------------------- phones


@lru_cache(maxsize=CACHE_SIZE)
def normalize_phone(raw: str | None, region: str | None = None) -> str | None:
    """E.164 ("+13102461501") from any common spelling; None when it cannot be a phone number."""
    if not raw:
        return None
    text = str(raw).strip()
    if sum(map(str.isdigit, text)) < 6:  # map: no generator frame per character
        return None
    if text.startswith("00"):
        text = "+" + text[2:]
    if text.startswith("+") and "(" not in text:
        # Already international: E.164 is "+" and the digits (phonenumbers costs ~15 µs a number).
        digits = _NON_DIGITS.sub("", text)
        if 8 <= len(digits) <= 15 and digits.isascii():
            return "+" + digits
    try:
        number = phonenumbers.parse(text, region.upper() if region and not text.startswith("+") else None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# ----------------------------------------------------------------------------------------- addresses

_DIGITS = re.compile(r"\d+[a-z]?")
_NON_DIGITS = re.compile(r"\D")


@lru_cache(maxsize=CACHE_SIZE)
def normalize_street(line: str | None, number: str | None = None) -> tuple[str | None, str | None]:
    """(street words, house number): "435 S. La Cienega Blvd." -> ("s la cienega blvd", "435").

    rigour's fingerprint canonicalises keywords in many languages (Street -> st, Boulevard -> blvd,
    Straße -> strasse) and transliterates; the first number-like token is the house number.
    """
    text = " ".join(part for part in (line, number) if part)
    if not text.strip():
        return None, None
    print_ = address_fingerprint(text) or fold(text)
    words = fold(print_).split()
    house = None
    rest = []
    for word in words:
        if house is None and _DIGITS.fullmatch(word) and word[0].isdigit():
            house = word
        else:
            rest.append(word)
    return (" ".join(rest) or None), house


_POSTCODE_COUNTRY = re.compile(r"^\s*[A-Za-z]{1,3}\s*[-\u2013]\s*(?=\d)|^\s*[A-Za-z]{1,3}\s+(?=\d{2})")


@lru_cache(maxsize=CACHE_SIZE)
def normalize_postcode(value: str | None) -> str | None:
    """Upper-case letters and digits only, without a European country prefix: "00-950" -> "00950",
    "I-06123" and "PL 00-950" -> digits only, "sw1a 1aa" -> "SW1A1AA" (no separator: not a prefix)."""
    if not value:
        return None
    compact = _compact(_POSTCODE_COUNTRY.sub("", value))
    return compact or None


@lru_cache(maxsize=CACHE_SIZE)
def normalize_city(value: str | None) -> str | None:
    """Folded city name: "Łódź" -> "lodz"."""
    if not value:
        return None
    return fold(value) or None


def country_hint(record: Mapping[str, Any], *fields: str) -> str | None:
    """The first 2-letter country among ``fields`` ("/countries/PL" and "pl" both give "PL")."""
    for name in fields:
        value = record.get(name)
        if isinstance(value, str):
            text = value.strip().rsplit("/", 1)[-1]
            if len(text) == 2 and text.isalpha():
                return text.upper()
    return None


def warm_up(countries: Iterable[str] = ()) -> None:
    """Load now what the libraries behind the normalisers load on their first call: rigour's address
    and legal-form tables, tldextract's suffix list, anyascii's Latin tables, and each country's phone
    metadata and tax-id modules.

    A process whose register was normalised by forked workers never loaded them itself, so the first
    record it normalised alone (match-one's, on the webhook path) paid ~0.4 s, ~300x its usual cost.
    """
    address_fingerprint("1 Main Street")
    org_types.extract_org_types("example gmbh")
    _EXTRACT("https://www.example.com")
    anyascii("".join(map(chr, range(0xC0, 0x250))))  # Latin-1 Supplement, Latin Extended-A and -B
    for country in {c.upper() for c in countries if c}:
        _tax_modules(country)
        phonenumbers.PhoneMetadata.metadata_for_region(country)
