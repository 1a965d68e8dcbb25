"""Display names: gather the page's name signals, clean them, pick the one they agree on.

Each signal is a (source, cleaned value, weight). The chosen name is the value whose supporters
weigh most: signals that say the same name after normalisation add up, signals that contain it
count half, the counterparty's own name (when known) and the domain vote for what they resemble,
and tagline-shaped values are discounted. So ``Home | ACME – best widgets since 1990`` on
``acme.com`` gives "ACME" without any rule about which side of the ``|`` the brand sits on.
"""

from __future__ import annotations

import html
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
    "copyright_name",
    "declared_parts",
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


_AND = re.compile(r"\s*[&+]\s*")
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


def compact(name: str, *, ampersand: str = "and") -> str:
    """Comparison key: ASCII, lower case, letters and digits only, legal form dropped; ``&`` and ``+``
    read as "and" (``Two Peas & Their Pod`` is ``Two Peas and Their Pod``). Domains often leave the
    "and" out (``Cobalt & Finch`` on cobaltfinch.co.uk): ``ampersand=""`` gives that key."""
    key = anyascii(strip_legal_form(name)).lower()
    if "&" in key or "+" in key:  # _AND can match anywhere (it starts with \s*): only run it when it can
        key = _AND.sub(ampersand, key)
    return _NOT_ALNUM.sub("", key)


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
_MARKS = re.compile(r"\s*©\s*")  # a copyright sign is no part of a name; ® and ™ are the site's spelling
# Emoji, pictographs and dingbats (☎ ✆ ★ ✔ ...) that titles decorate names with.
_SYMBOLS = re.compile(r"[\u2190-\u2bff\U0001f000-\U0001faff\ufe0f\u200d]")
_PHONE_TAIL = re.compile(r"(?:\s*(?:tel\.?|phone|☎)?\s*[:.]?\s*\+?\(?\d[\d\s()/-]{6,}\d)\s*$", re.IGNORECASE)
_FILE_NAME = re.compile(r"\.(?:png|jpe?g|gif|svg|webp|ico|avif)$", re.IGNORECASE)


_TAG = re.compile(r"<[^<>]{0,200}>")
# A tag with no closing ">" (a value cut short by a length limit, or markup encoded as text: "&lt;a"),
# from its "<" to the end: "Acme <a href" -> "Acme".
_OPEN_TAG = re.compile(r"<[a-z/!?][^>]*$", re.IGNORECASE)
# A CMS that cuts a value to N characters may cut an entity in half: "Two Peas &amp;am" -> "Two Peas &am".
_CUT_ENTITY = re.compile(r"\s+&(?:#x?[0-9a-f]{0,5}|[a-z]{1,7})?$", re.IGNORECASE)


def decode_entities(text: str) -> str:
    """Text without HTML entities or markup: a name never carries them, whatever the page did.

    The parser decodes a page's entities once; a page that encoded again (``Smith &amp;amp; Sons``)
    or a JSON-LD plugin that encoded its strings (``Meathead&#039;s``) still leaves some, and a value
    cut short may end in half an entity, which is dropped with the cut word's ``&``, or in half a tag,
    which is dropped from its ``<``.
    """
    if "&" in text:
        for _ in range(5):
            decoded = html.unescape(text)
            if decoded == text:
                break
            text = decoded
        text = _CUT_ENTITY.sub("", text)
    if "<" in text:
        text = _OPEN_TAG.sub("", _TAG.sub(" ", text))
    return text


def clean_name(raw: str | None, *, max_len: int = 80) -> str | None:
    """A display-ready name, or None when the text is empty, generic or not a name."""
    if not raw:
        return None
    text = _SYMBOLS.sub(" ", _MARKS.sub(" ", decode_entities(raw)))
    text = _PHONE_TAIL.sub("", " ".join(text.split()))
    text = text.strip(" \t\"'“”„«»‹›|·•-–—:;,")
    if compact(text) in _GENERIC:
        return None  # before trimming: "Go to homepage" must not become "Go to"
    for _ in range(2):
        unprefixed = _PREFIXES.sub("", text)
        # "Welcome to ACME!" ends in the greeting's "!"; "Yahoo!" ends in the name's own.
        ends = " \"'“”„«»|·•-–—:;,!" if unprefixed != text else " \"'“”„«»|·•-–—:;,"
        text = _SUFFIXES.sub("", unprefixed).strip(ends)
    key = compact(text)
    if not key or key in _GENERIC or key.isdigit() or len(text) > max_len:
        return None
    if re.match(r"^(?:https?://|www\.)", text, re.IGNORECASE) or _FILE_NAME.search(text):
        return None
    return text


_TITLE_SPLIT = re.compile(
    r"\s*[|·•»«–—‒―]\s*|\s+[-:~/]\s+|:\s+|\s+-(?=\S)|(?<=\S)-\s+"
    r"|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])"  # "_" between words of a CJK title ("…】_下厨房"), not in a_b
)
_OPEN, _CLOSE = "([{（【「『〔", ")]}）】」』〕"
_WRAPPERS = "()[]{}（）【】「」『』〔〕"


def _split_top_level(text: str, splitter: re.Pattern[str]) -> list[str]:
    """``text`` split at the separators that sit outside brackets: "Pepper chicken (Yuringi: 유린기)
    recipe" is one piece, and "【…_…】_Site" splits only before "Site"."""
    depth, inside = 0, []
    for ch in text:
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE and depth:
            depth -= 1
        inside.append(depth > 0)
    pieces, start = [], 0
    for m in splitter.finditer(text):
        if m.start() < len(inside) and not inside[m.start()] and m.end() > m.start():
            pieces.append(text[start : m.start()])
            start = m.end()
    pieces.append(text[start:])
    return pieces


def title_parts(title: str | None) -> list[str]:
    """Pieces of a ``<title>`` split on the usual separators (not inside brackets), cleaned,
    generic ones dropped."""
    if not title:
        return []
    out = []
    for piece in _split_top_level(" ".join(title.split()), _TITLE_SPLIT):
        piece = piece.strip()
        if len(piece) > 2 and piece[0] in _OPEN and piece[-1] in _CLOSE and _closes(piece):
            piece = piece[1:-1]  # a whole piece in brackets: 【…】
        cleaned = clean_name(piece)
        if cleaned:
            out.append(cleaned)
    return out


_DECLARED_SPLIT = re.compile(r"\s+[|·•»–—‒―]\s+|\s+-\s+")


_COPYRIGHT_MARK = re.compile(r"©|\(c\)|\bcopyright\b", re.IGNORECASE)
_YEARS = re.compile(
    r"(?<!\d)(?:19|20)\d\d(?:\s*[-–—]\s*(?:(?:19|20)\d\d|present|now|heute|dziś))?(?!\d)", re.IGNORECASE
)
_RIGHTS = re.compile(
    r"all\s+rights\s+reserved|alle\s+rechte|wszelkie\s+prawa|tous\s+droits|todos\s+los\s+derechos"
    r"|tutti\s+i\s+diritti|alle\s+rettigheder|alla\s+rättigheter|kaikki\s+oikeudet|všechna\s+práva",
    re.IGNORECASE,
)
_COPYRIGHT_END = re.compile(r"\s[|·•–—]\s|\s-\s|[|·•\n]|\.\s+(?=[A-ZĄĆĘŁŃÓŚŹŻ][a-ząćęłńóśźż]+\s)")


def copyright_name(text: str | None) -> str | None:
    """The holder a copyright line names: "© 2024 ACME Sp. z o.o. All rights reserved." -> "ACME
    Sp. z o.o.", "ADRIANA'S BEST RECIPES COPYRIGHT © 2011-2025" -> "ADRIANA'S BEST RECIPES"; None
    when the line names nobody ("Copyright © 2023 · Theme by...")."""
    if not text or len(text) > 300:
        return None
    text = " ".join(text.split())
    mark = _COPYRIGHT_MARK.search(text)
    if mark is None:
        return None
    rights = _RIGHTS.search(text)
    end = rights.start() if rights else len(text)
    before, after = text[: mark.start()], text[mark.end() : max(end, mark.end())]
    after = _COPYRIGHT_MARK.sub(" ", after)
    after = re.sub(r"^\s*(?:by|bei|przez|par|di)\s+", " ", _YEARS.sub(" ", after, count=1), flags=re.I)
    holder = _COPYRIGHT_END.split(after.strip(), maxsplit=1)[0].strip(" .,:;")
    if not holder and before.strip():
        holder = _COPYRIGHT_END.split(before.strip())[-1].strip(" .,:;")
    holder = _YEARS.sub(" ", holder).strip(" .,:;")
    return clean_name(holder, max_len=60) if holder else None


def declared_parts(value: str | None) -> list[str]:
    """A declared name (og:site_name, JSON-LD, application-name) cut at a spaced separator:
    "Ambers Kitchen Cooks - tried and true recipes" states the name, then a tagline. Hyphens inside
    words ("Coca-Cola") and separators inside brackets do not cut."""
    if not value:
        return []
    if not _DECLARED_SPLIT.search(value):
        cleaned = clean_name(value)
        return [cleaned] if cleaned else []
    out = []
    for piece in _split_top_level(" ".join(value.split()), _DECLARED_SPLIT):
        cleaned = clean_name(piece)
        if cleaned:
            out.append(cleaned)
    return out


def _closes(piece: str) -> bool:
    """The piece's first bracket is closed by its last character (not "(a) b (c)")."""
    depth = 0
    for i, ch in enumerate(piece):
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            depth -= 1
            if depth == 0:
                return i == len(piece) - 1
    return False


def _tagline_factor(value: str, declared: bool) -> float:
    """1.0 for name-shaped values; less for sentences and slogans (many words, lower case, years).

    Length or a final "!" alone do not discount a ``declared`` name (the site says it is its name):
    "Just a Little Bit of Bacon" is long, "Get the Good Stuff!" exclaims, and a declared tagline
    was already cut off by :func:`declared_parts`.
    """
    words = value.split()
    factor = 1.0
    if declared:
        pass
    elif len(words) > 5:
        factor *= 0.35
    elif len(words) > 4:
        factor *= 0.7
    lower_words = sum(1 for w in words if w[:1].islower() and len(w) > 3)
    if lower_words >= 2:
        factor *= 0.5
    if re.search(r"\b(?:19|20)\d\d\b", value) or (not declared and value.endswith(("!", "?", "."))):
        factor *= 0.5
    return factor


def _domain_agreement(key: str, label: str, value: str) -> float:
    """How much the domain label vouches for a name: all of it, it inside the name, or some words."""
    if key == label:
        return 0.8
    if label in key:
        return 0.8  # "ACME Widgets" on acme.com: the domain takes no side between "ACME" and it
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


def name_key(value: str) -> str:
    """:func:`compact`, with a name written as a domain read as the name: "AmazingRibs.com" is
    "AmazingRibs", "Meathead's AmazingRibs.com" is "Meathead's AmazingRibs"."""
    head, _, last = value.rpartition(" ")
    if "." in last and not last.endswith("."):
        ext = _EXTRACT(last)
        if ext.suffix and ext.domain:
            return compact(f"{head} {ext.domain}")
    return compact(value)


def choose_signal(
    signals: Sequence[NameSignal], *, known_name: str | None = None, domain: str = "", home: bool = True
) -> NameSignal | None:
    """The signal whose value the signals agree on most; its ``source`` is the name's provenance.

    ``home`` is False for a page deeper than the site's home page: its ``<title>`` names the
    article ("Overloaded Cheese Toastie Recipe"), so a name that only the title states counts only
    when something else agrees with it (another signal, the domain, the known name); with none,
    None: no name rather than a wrong one.
    """
    groups: dict[str, list[NameSignal]] = {}
    for s in signals:
        key = name_key(without_article(s.value))
        if key:
            groups.setdefault(key, []).append(s)
    if not groups:
        return None
    label = compact(domain)
    known_clean = strip_legal_form(" ".join(known_name.split())) if known_name else ""
    known_key = compact(known_clean)

    declared = {k: any(s.source not in _PAGE_SOURCES for s in ms) for k, ms in groups.items()}

    def support(key: str) -> float | None:
        members = groups[key]
        own = sum(s.weight for s in members)
        shape = max(_tagline_factor(s.value, s.source not in _PAGE_SOURCES) for s in members)
        total = own * shape
        kinds = {s.source for s in members}  # the independent signals that state this name
        for other, others in groups.items():
            if other == key:
                continue
            if len(key) >= 3 and key in other:
                # "ACME" is supported by "ACME Widgets": half of that group's weight.
                total += 0.5 * sum(s.weight for s in others) * shape
            elif len(other) >= 3 and other in key:
                # "Jumbo Supermarkten" (declared) is supported by the shorter "Jumbo" as much; a name
                # that only the page states around a shorter one ("Brightwave Digital Agency" in a
                # title) is decoration around it, supported at half that.
                share = 0.5 if declared[key] else 0.25
                total += share * sum(s.weight for s in others) * shape
            else:
                continue
            kinds.update(s.source for s in others)
        if label and len(key) >= 3:
            vouch = max(_domain_vouch(s.value, label) for s in members)
            total += vouch
            if vouch > 0:
                kinds.add("domain")
        if known_key:
            similar = max(_known_similarity(known_key, known_clean, s.value) for s in members)
            total += 1.5 * similar
            if similar > 0:
                kinds.add("known name")
        if all(s.source in _SUPPORT_ONLY for s in members):
            return None  # a Twitter handle or a copyright holder backs a name, it is never shown as one
        # One declared name, or two independent signals, make a name; on a deep page a lone title
        # segment (or a lone copyright line) is no name.
        if not (home or kinds - _PAGE_SOURCES or len(kinds) >= 2):
            return None
        return total

    scored = [(total, -len(k), k) for k in groups if (total := support(k)) is not None]
    if not scored:
        return None
    best_key = max(scored)[2]
    return _spelling(groups[best_key], label)


def _domain_vouch(value: str, label: str) -> float:
    vouch = _domain_agreement(name_key(value), label, value)
    if "&" in value or "+" in value:
        vouch = max(vouch, _domain_agreement(compact(value, ampersand=""), label, value))
    return vouch


# A leading article: "The Kitchn" and "Kitchn" are one name, written with or without it.
_ARTICLE = re.compile(r"^(?:the|der|die|das|le|la|les|el|il|het)\s+(?=\S{3})", re.IGNORECASE)


def without_article(value: str) -> str:
    """The name without a leading article ("The Kitchn" -> "Kitchn"): the same name either way; which
    way the site goes by it is for :func:`_spelling` to tell."""
    return _ARTICLE.sub("", value)


# Signals that mention the name rather than declare it: they support and agree, the declared
# spelling is shown when there is one.
_PAGE_SOURCES = frozenset({"title", "logo-alt", "copyright", "twitter:site"})
# The copyright line names the owner (often a parent company: "Migros-Genossenschafts-Bund" on a
# Migusto page), a Twitter handle is squeezed ("ambitiouskitch"): they back a name, never are one.
_SUPPORT_ONLY = frozenset({"twitter:site", "copyright"})


def _spelling(members: Sequence[NameSignal], label: str = "") -> NameSignal:
    """The statement to show among those of one name: the spelling the site declares most, by weight
    ("Kitchen Divas" of og:site_name and the WebSite over an Organization's "KitchenDivas").

    Only declared names vote when there are any: titles and alt texts restyle a name (upper case,
    "AmazingRibs.com" for "Meathead's AmazingRibs.com"), the site's declaration is its own spelling.
    A leading article is part of the name when the site's address carries it: "The Kitchn" on
    thekitchn.com although its og:site_name drops the "The"; without that, the declaration decides.
    """
    with_article = [s for s in members if s.value != without_article(s.value) and name_key(s.value) == label]
    if with_article and any(name_key(s.value) != label for s in members):
        members = with_article
    voters = [s for s in members if s.source not in _PAGE_SOURCES] or list(members)
    votes: dict[str, float] = {}
    for s in voters:
        votes[s.value] = votes.get(s.value, 0.0) + s.weight
    return max(voters, key=lambda s: (votes[s.value], -len(s.value), s.weight, -_RANK.get(s.source, 99)))


# Among equal statements, the provenance shown: the organisation first, then how else a site declares it.
_RANK = {"json-ld:name": 0, "json-ld:website": 1, "og:site_name": 2, "microdata:name": 3}


def page_name(
    signals: Sequence[NameSignal], known_name: str | None, url: str, *, home: bool = True
) -> tuple[str | None, str | None]:
    """(display name, the signal source it came from) for a page; the domain when it names nothing.

    ``home``: the page is the site's home page (see :func:`choose_signal`).
    """
    label = domain_label(urlsplit(url).hostname or "")
    best = choose_signal(signals, known_name=known_name, domain=label, home=home)
    if best is not None:
        return display_form(best.value), best.source
    fallback = domain_display(label) if label else None
    return fallback, ("domain" if fallback else None)


def logo_alt_signals(ranked: Sequence[LogoCandidate]) -> list[NameSignal]:
    """The alt text of the page's logo names the brand more often than not ("ACME - since 1990").

    Only the best on-page picture counts, and only when something marks it as the logo (a logo
    class, a home link, itemprop=logo): any other picture's alt text describes the picture.
    """
    for c in ranked:
        if c.source in ("img", "svg", "itemprop"):
            if not c.alt or not (c.source == "itemprop" or {"logo-word", "home-link"} & set(c.notes)):
                return []
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
