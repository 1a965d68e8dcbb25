"""Display names: gather the page's name signals, clean them, pick the one they agree on.

Each signal is a (source, cleaned value, weight). The chosen name is the value whose supporters
weigh most: signals that say the same name after normalisation add up, signals that contain it
count half, the counterparty's own name (when known) and the domain vote for what they resemble,
and tagline-shaped values are discounted. So ``Home | ACME – best widgets since 1990`` on
``acme.com`` gives "ACME" without any rule about which side of the ``|`` the brand sits on.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import tldextract
from anyascii import anyascii
from rapidfuzz import fuzz

if TYPE_CHECKING:
    from enricher.branding.candidates import LogoCandidate

__all__ = [
    "NameSignal",
    "choose_name",
    "choose_signal",
    "clean_name",
    "compact",
    "display_form",
    "domain_display",
    "domain_label",
    "logo_alt_signals",
    "page_name",
    "registered_domain",
    "strip_legal_form",
    "title_parts",
]


@dataclass(frozen=True, slots=True)
class NameSignal:
    """One statement of the site's name: where it was found, the cleaned value, how much it counts."""

    source: str  # json-ld:name, json-ld:legalName, og:site_name, application-name, title, logo-alt, ...
    value: str
    weight: float


# Offline public-suffix data only: tldextract would otherwise download the list on first use.
_EXTRACT = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


@lru_cache(maxsize=4096)
def registered_domain(url_or_host: str) -> str:
    """``shop.acme.co.uk`` -> ``acme.co.uk`` (empty for IPs and bare names)."""
    ext = _EXTRACT(url_or_host)
    return ext.top_domain_under_public_suffix if ext.suffix else ""


def domain_label(url_or_host: str) -> str:
    """The brand-bearing label of a domain: ``https://www.acme-widgets.pl/`` -> ``acme-widgets``."""
    ext = _EXTRACT(url_or_host)
    return ext.domain if ext.suffix else ""


_LEGAL_FORMS = re.compile(
    r"[\s,]+(?:sp\.?\s*z\s*o\.?\s*o\.?|sp\.?\s*k\.?|sp\.?\s*j\.?|sp\.?\s*p\.?|s\.?\s*k\.?\s*a\.?|s\.?\s*c\.?"
    r"|spółka\s+(?:z\s+ograniczoną\s+odpowiedzialnością|akcyjna|komandytowa|jawna|cywilna)"
    r"|s\.?\s*a\.?|gmbh(?:\s*&\s*co\.?\s*kg)?|ag|kg|ohg|ug|e\.?\s*v\.?|ltd\.?|limited|plc|llc|l\.?l\.?c\.?|llp|lp|pllc"
    r"|inc\.?|incorporated|corp\.?|corporation|co\.|s\.?\s*r\.?\s*o\.?|a\.?\s*s\.?"
    r"|s\.?\s*r\.?\s*l\.?|s\.?\s*p\.?\s*a\.?|s\.?\s*a\.?\s*s\.?|sarl|b\.?\s*v\.?|n\.?\s*v\.?|oy|ab|as|a/s|aps"
    r"|pty\.?(?:\s*ltd\.?)?|kft\.?|zrt\.?|d\.?\s*o\.?\s*o\.?)\s*$",
    re.IGNORECASE,
)


def strip_legal_form(name: str) -> str:
    """``ACME Sp. z o.o.`` -> ``ACME``; repeated for stacked forms (``GmbH & Co. KG``)."""
    while True:
        shorter = _LEGAL_FORMS.sub("", name)
        if shorter == name:
            return name
        shorter = shorter.rstrip(" ,.-&")
        if not shorter:
            return name
        name = shorter


def compact(name: str) -> str:
    """Comparison key: ASCII, lower case, letters and digits only, legal form dropped."""
    return re.sub(r"[^a-z0-9]+", "", anyascii(strip_legal_form(name)).lower())


# Words that are never a brand: page names and greetings, several languages.
_GENERIC = {
    compact(w)
    for w in (
        "home", "homepage", "home page", "start", "startseite", "strona główna", "strona glowna",
        "główna", "index", "welcome", "witamy", "willkommen", "bienvenue", "official site",
        "official website", "oficjalna strona", "logo", "untitled", "default", "main page", "main",
        "news", "blog", "contact", "kontakt", "about", "about us", "o nas", "sklep", "shop",
        "online shop", "sklep internetowy", "page not found", "404", "loading", "menu", "search",
        "go to homepage", "go to home page", "go home", "back to home", "back to homepage",
        "return to homepage", "przejdź do strony głównej", "powrót do strony głównej", "zur startseite",
        "image", "obrazek", "grafika", "header", "banner", "company logo", "site logo",
        "our services", "services", "products", "our products", "oferta", "usługi", "produkty", "o firmie",
        "aktualności", "galeria", "gallery", "careers", "kariera", "faq", "cennik", "pricing", "leistungen",
        "produkte", "über uns", "impressum", "datenschutz", "privacy policy", "polityka prywatności",
        # CMS defaults nobody changed
        "my blog", "my wordpress blog", "just another wordpress site", "wordpress", "my site", "site title",
        "my website", "moja strona", "shopify", "wix", "squarespace", "coming soon", "under construction",
    )
}  # fmt: skip
_PREFIXES = re.compile(
    r"^(?:welcome\s+to(?:\s+the)?(?:\s+(?:official\s+)?(?:site|website|home\s*page)\s+of)?"
    r"|witamy\s+(?:w|na|we)(?:\s+(?:oficjalnej\s+)?stronie(?:\s+(?:internetowej|firmowej|firmy))*)?"
    r"|witaj\s+(?:w|na)|willkommen\s+(?:bei|auf|im|in)|bienvenue\s+(?:chez|sur|à)|logo(?:\s+of)?"
    r"|(?:the\s+)?official\s+(?:site|website|home\s*page)\s+of|oficjalna\s+strona(?:\s+internetowa)?"
    r"(?:\s+firmy)?|strona\s+(?:internetowa|firmowa)(?:\s+firmy)?)\s+",
    re.IGNORECASE,
)
_SUFFIXES = re.compile(
    r"\s+(?:logo(?:type)?|official\s+(?:site|website)|homepage|home\s+page|strona\s+główna)\s*$",
    re.IGNORECASE,
)
_MARKS = re.compile(r"[®™©℠]")
# Emoji, pictographs and dingbats (☎ ✆ ★ ✔ ...) that titles decorate names with.
_SYMBOLS = re.compile(r"[\u2190-\u2bff\U0001f000-\U0001faff\ufe0f\u200d]")
_PHONE_TAIL = re.compile(r"(?:\s*(?:tel\.?|phone|☎)?\s*[:.]?\s*\+?\(?\d[\d\s()/-]{6,}\d)\s*$", re.IGNORECASE)
_FILE_NAME = re.compile(r"\.(?:png|jpe?g|gif|svg|webp|ico|avif)$", re.IGNORECASE)


def clean_name(raw: str | None, *, max_len: int = 80) -> str | None:
    """A display-ready name, or None when the text is empty, generic or not a name."""
    if not raw:
        return None
    text = _SYMBOLS.sub(" ", _MARKS.sub("", raw))
    text = _PHONE_TAIL.sub("", " ".join(text.split()))
    text = text.strip(" \t\"'“”„«»‹›|·•-–—:;,")
    if compact(text) in _GENERIC:
        return None  # before trimming: "Go to homepage" must not become "Go to"
    for _ in range(2):
        text = _PREFIXES.sub("", text)
        text = _SUFFIXES.sub("", text).strip(" \"'“”„«»|·•-–—:;,!")
    key = compact(text)
    if not key or key in _GENERIC or key.isdigit() or len(text) > max_len:
        return None
    if re.match(r"^(?:https?://|www\.)", text, re.IGNORECASE) or _FILE_NAME.search(text):
        return None
    return text


_TITLE_SPLIT = re.compile(r"\s*[|·•»«–—‒―]\s*|\s+[-:~/]\s+|:\s+|\s+-(?=\S)|(?<=\S)-\s+")


def title_parts(title: str | None) -> list[str]:
    """Pieces of a ``<title>`` split on the usual separators, cleaned, generic ones dropped."""
    if not title:
        return []
    out = []
    for piece in _TITLE_SPLIT.split(" ".join(title.split())):
        cleaned = clean_name(piece)
        if cleaned:
            out.append(cleaned)
    return out


def _tagline_factor(value: str) -> float:
    """1.0 for name-shaped values; less for sentences and slogans (many words, lower case, years)."""
    words = value.split()
    factor = 1.0
    if len(words) > 5:
        factor *= 0.35
    elif len(words) > 4:
        factor *= 0.7
    lower_words = sum(1 for w in words if w[:1].islower() and len(w) > 3)
    if lower_words >= 2:
        factor *= 0.5
    if re.search(r"\b(?:19|20)\d\d\b", value) or value.endswith(("!", "?", ".")):
        factor *= 0.5
    return factor


def _domain_agreement(key: str, label: str, value: str) -> float:
    """How much the domain label vouches for a name: all of it, it inside the name, or some words."""
    if key == label:
        return 0.8
    if label in key:
        return 0.4  # "ACME Widgets" on acme.com
    words = [compact(w) for w in re.split(r"[\s&+/-]+", value)]
    covered = sum(len(w) for w in words if len(w) >= 3 and w in label)
    return 0.5 * min(covered / len(label), 1.0)  # "Kancelaria Jan Kowalski" on adwokat-kowalski.pl


def _known_similarity(known_key: str, known_clean: str, value: str) -> float:
    key = compact(value)
    if not known_key or not key:
        return 0.0
    if key == known_key:
        return 1.0
    ratio = fuzz.token_set_ratio(known_clean.lower(), strip_legal_form(value).lower())
    if ratio >= 90:
        return 0.8
    if len(key) >= 3 and (key in known_key or known_key in key):
        return 0.5
    return 0.0


def choose_name(
    signals: Sequence[NameSignal], *, known_name: str | None = None, domain: str = ""
) -> str | None:
    """The value the signals agree on most (see the module docstring), or None without signals."""
    best = choose_signal(signals, known_name=known_name, domain=domain)
    return display_form(best.value) if best else None


def display_form(value: str) -> str:
    """A name as shown: without its legal form (a display name is the brand), never empty."""
    return strip_legal_form(value) or value


def choose_signal(
    signals: Sequence[NameSignal], *, known_name: str | None = None, domain: str = ""
) -> NameSignal | None:
    """The signal whose value the signals agree on most; its ``source`` is the name's provenance."""
    groups: dict[str, list[NameSignal]] = {}
    for s in signals:
        key = compact(s.value)
        if key:
            groups.setdefault(key, []).append(s)
    if not groups:
        return None
    label = compact(domain)
    known_clean = strip_legal_form(" ".join(known_name.split())) if known_name else ""
    known_key = compact(known_clean)

    def support(key: str) -> float:
        members = groups[key]
        own = sum(s.weight for s in members)
        shape = max(_tagline_factor(s.value) for s in members)
        total = own * shape
        for other, others in groups.items():
            if other != key and len(key) >= 3 and key in other:
                # "ACME" is supported by "ACME Widgets": half of that group's weight.
                total += 0.5 * sum(s.weight for s in others) * shape
            elif other != key and len(other) >= 3 and other in key:
                total += 0.25 * sum(s.weight for s in others) * shape
        if label and len(key) >= 3:
            total += _domain_agreement(key, label, groups[key][0].value)
        if known_key:
            total += 1.5 * max(_known_similarity(known_key, known_clean, s.value) for s in members)
        return total

    best_key = max(groups, key=lambda k: (support(k), -len(k)))
    # Show the form of the weightiest statement of the winning group.
    return max(groups[best_key], key=lambda s: (s.weight, -len(s.value)))


def page_name(
    signals: Sequence[NameSignal], known_name: str | None, url: str
) -> tuple[str | None, str | None]:
    """(display name, the signal source it came from) for a page; the domain when it names nothing."""
    host = urlsplit(url).hostname or ""
    label = domain_label(host)
    best = choose_signal(signals, known_name=known_name, domain=label)
    if best is not None:
        return display_form(best.value), best.source
    fallback = domain_display(label) if label else None
    return fallback, ("domain" if fallback else None)


def logo_alt_signals(ranked: Sequence[LogoCandidate]) -> list[NameSignal]:
    """The best on-page logo's alt text names the brand more often than not ("ACME - since 1990")."""
    for c in ranked:
        if c.source in ("img", "svg", "itemprop") and c.alt:
            parts = title_parts(c.alt)
            return [NameSignal("logo-alt", part, 0.5 if i == 0 else 0.3) for i, part in enumerate(parts)]
    return []


def domain_display(domain_or_label: str) -> str | None:
    """A last-resort display name made from a domain label: ``acme-widgets`` -> ``Acme Widgets``."""
    label = domain_label(domain_or_label) if "." in domain_or_label else domain_or_label
    words = [w for w in re.split(r"[-_]+", label) if w]
    if not words:
        return None
    return " ".join(w if not w.islower() else w.capitalize() for w in words)


def unique(values: Iterable[str]) -> list[str]:
    """Values in first-seen order without repeats."""
    seen: set[str] = set()
    out = []
    for v in values:
        if v not in seen:
            seen.add(v)
            out.append(v)
    return out
