"""Offline extraction of a page's logo candidates and display name (pure: no network).

One pass over the parsed page collects every signal with its source: JSON-LD organisations,
``og:logo``, ``itemprop=logo``, ``<img>``/inline ``<svg>`` logos in the header or marked "logo",
``<link rel>`` icons, msapplication tiles, ``og:image`` and finally ``/favicon.ico``. The web app
manifest cannot be read offline: its URL is returned (``manifest_url``) and the fetcher feeds the
fetched text back through :meth:`Extraction.with_manifest`.

Parsing uses lxml's HTML parser (libxml2) directly rather than BeautifulSoup on top of it: the
same parser and tree-building rules, five to ten times faster on real homepages, which is what
lets one core extract well over 50 pages a second (see ``benchmarks/branding_extract.py``).
"""

from __future__ import annotations

import base64
import codecs
import contextlib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple
from urllib.parse import urlsplit, urlunsplit
from xml.sax.saxutils import escape, quoteattr

import charset_normalizer
from bs4.dammit import EncodingDetector
from lxml import etree

from enricher.branding.candidates import (
    DATA_URI_MAX_BYTES,
    LogoCandidate,
    Source,
    decode_data_uri,
    format_of,
    image_size,
    parse_sizes,
    rank,
    resolve,
    trap_reason,
)
from enricher.branding.names import (
    NameSignal,
    choose_signal,
    clean_name,
    compact,
    display_form,
    domain_display,
    domain_label,
    registered_domain,
    title_parts,
)
from enricher.errors import RecordError

__all__ = [
    "MAX_CANDIDATES",
    "SVG_MAX_BYTES",
    "Extraction",
    "declared_charset",
    "decode_html",
    "extract",
    "manifest_names",
    "parse_manifest",
]

#: Largest serialised inline ``<svg>`` turned into a ``data:`` logo URL.
SVG_MAX_BYTES = 64 * 1024
#: Header pictures kept although nothing marks them as a logo (the rest are menu thumbnails).
MAX_UNMARKED = 4
#: Candidates kept per page, best first (the last is always /favicon.ico).
MAX_CANDIDATES = 40
#: How many ancestors up a logo/brand class or a home link still marks a picture as the logo.
NEAR_LEVELS = 4


@dataclass(frozen=True)
class Extraction:
    """What one page says about its brand: ranked logo candidates and the chosen display name."""

    url: str
    display_name: str | None
    name_signals: list[NameSignal]
    candidates: list[LogoCandidate]  # best first; /favicon.ico last
    manifest_url: str | None = None
    base_url: str = ""
    title: str | None = None
    encoding: str = "utf-8"
    known_name: str | None = None
    dropped: list[tuple[str, str]] = field(default_factory=list)  # (url, why) of refused candidates
    name_source: str | None = None  # the signal the display name came from (og:site_name, title, domain...)

    @property
    def logo_url(self) -> str | None:
        """URL of the best candidate (a ``data:`` URI for an inline SVG), or None."""
        return self.candidates[0].url if self.candidates else None

    def to_contract(self, url: str | None = None) -> dict[str, Any]:
        """DESIGN.md's ``brand`` JSON: url, displayName, logoUrl, candidates best first."""
        return {
            "url": url if url is not None else self.url,
            "displayName": self.display_name,
            "logoUrl": self.logo_url,
            "candidates": [c.to_contract() for c in self.candidates],
        }

    def with_candidates(self, extra: Iterable[LogoCandidate]) -> Extraction:
        """A copy with more candidates ranked in (e.g. checked images, manifest icons)."""
        return replace(self, candidates=rank([*self.candidates, *extra]))

    def with_manifest(self, json_text: str | bytes, manifest_url: str | None = None) -> Extraction:
        """A copy that also counts the fetched web app manifest's icons and names."""
        where = manifest_url or self.manifest_url or self.url
        icons = parse_manifest(json_text, where, own_domain=registered_domain(self.url))
        signals = [*self.name_signals, *manifest_names(json_text)]
        name, source = _choose(signals, self.known_name, self.url)
        return replace(
            self,
            candidates=rank([*self.candidates, *icons]),
            name_signals=signals,
            display_name=name,
            name_source=source,
        )


# --- decoding --------------------------------------------------------------------------------------

# WHATWG: these labels mean windows-1252 in browsers.
_ALIASES = dict.fromkeys(
    ("iso-8859-1", "latin1", "latin-1", "ascii", "us-ascii", "x-user-defined"), "windows-1252"
)


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    label = name.strip().lower()
    label = _ALIASES.get(label, label)
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def declared_charset(data: bytes) -> str | None:
    """The codec a page declares in ``<meta charset>``/http-equiv or an XML declaration, if known.

    The scan is BeautifulSoup's ``EncodingDetector`` (maintained, follows what browsers accept); we
    look at the first 16 KB: browsers read 1 KB, but real pages put scripts before the meta.
    """
    found = EncodingDetector.find_declared_encoding(data[:16384], is_html=True, search_entire_document=True)
    return _codec(found) if found else None


def decode_html(data: str | bytes, encoding: str | None = None) -> tuple[str, str]:
    """(text, codec used): BOM, then the given encoding (HTTP header), then ``<meta charset>``/
    http-equiv, then UTF-8 if the bytes are UTF-8, else a guess; undecodable bytes become U+FFFD."""
    if isinstance(data, str):
        return data, "unicode"
    for bom, name in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
                      (codecs.BOM_UTF16_BE, "utf-16-be")):  # fmt: skip
        if data.startswith(bom):
            return data[len(bom) :].decode(name, "replace"), name
    codec = _codec(encoding)
    if codec is None:
        codec = declared_charset(data)
        if codec and codec.startswith("utf-16"):
            codec = "utf-8"  # a byte-oriented page claiming UTF-16 is lying (HTML spec does the same)
    if codec is None:
        try:
            return data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            codec = guess_charset(data) or "utf-8"
    return data.decode(codec, "replace"), codec


def guess_charset(data: bytes) -> str | None:
    """The likeliest codec of bytes that declare none and are not UTF-8 (old windows-1250 pages).

    charset-normalizer (maintained, no C extension needed) reads the first 64 KB; this path is rare,
    so its cost (milliseconds) does not touch the common UTF-8 case.
    """
    best = charset_normalizer.from_bytes(data[:65536]).best()
    return _codec(best.encoding) if best is not None else None


# --- the scan ---------------------------------------------------------------------------------------

# Plain etree elements, not lxml.html's: those look up a Python element class for every node touched.
_PARSER = etree.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True, no_network=True)

_HEADER_RE = re.compile(r"header|navbar|masthead|topbar|top-bar|site-branding|(?<![a-z])nav(?![a-z])")
_FOOTER_RE = re.compile(r"footer|(?<![a-z])foot(?![a-z])")
_LOGO_RE = re.compile(r"logo(?!s)|(?<![a-z])brand(?!s)")
_LOGO_FILE_RE = re.compile(r"logo(?!s)")  # in a file or folder name; a /logos/ folder holds many
_SRC_ATTRS = ("src", "data-src", "data-lazy-src", "data-original", "srcset", "data-srcset")
_TRAP_CONTAINER_RE = re.compile(
    r"cookie|consent|gdpr|onetrust|cybot|usercentrics|didomi|(?<![a-z])cmp(?![a-z])|rodo"
    r"|partner|sponsor|payment|platnosc|płatno|(?<![a-z])pay(?:-|_|ment)|social|(?<![a-z])share|sharing"
    r"|follow-us|(?<![a-z])clients?(?![a-z])|customers|(?<![a-z])brands(?![a-z])|logos(?![a-z])|awards"
    r"|certific|badges|trust|app-?store|google-?play|download-app|(?<![a-z])apps(?![a-z])"
    r"|(?<![a-z])lang(?![a-z])|language|wpml|(?<![a-z])flags?(?![a-z])"
    r"|fundusze|eu-?funds?|unia|nagrod|(?<![a-z])certs?(?![a-z])|gazel"
)
_HOME_PATH = re.compile(r"^/?(?:index\.(?:html?|php|aspx?)|home|start|[a-z]{2}(?:[-_][a-z]{2})?)?/?$", re.I)
_LAZY_ATTRS = ("data-src", "data-lazy-src", "data-original", "data-lazy", "data-url", "data-srcset",
               "data-lazy-srcset", "srcset")  # fmt: skip
_PLACEHOLDER_RE = re.compile(r"blank|spacer|placeholder|transparent|pixel|lazy|loading|1x1", re.I)
_ORG_TYPES = {
    "organization", "corporation", "localbusiness", "onlinestore", "onlinebusiness", "store", "ngo",
    "airline", "bank", "bankorcreditunion", "financialservice", "professionalservice", "legalservice",
    "insuranceagency", "restaurant", "foodestablishment", "hotel", "lodgingbusiness", "autodealer",
    "automotivebusiness", "homeandconstructionbusiness", "medicalbusiness", "healthandbeautybusiness",
    "travelagency", "realestateagent", "employmentagency", "sportsactivitylocation", "entertainmentbusiness",
    "shoppingcenter", "dentist", "pharmacy", "accountingservice", "governmentorganization",
    "educationalorganization", "newsmediaorganization", "sportsorganization", "medicalorganization",
    "researchorganization", "workersunion", "library", "museum", "brand",
}  # fmt: skip
_PUBLISHER_HOLDERS = {"website", "webpage", "aboutpage", "contactpage", "collectionpage", "article",
                      "newsarticle", "blogposting", "itempage", "searchresultspage"}  # fmt: skip


@dataclass
class _Scan:
    """Mutable state of one extraction; becomes an :class:`Extraction` at the end."""

    url: str
    base: str
    domain: str
    label_key: str
    known_key: str
    candidates: list[LogoCandidate] = field(default_factory=list)
    signals: list[NameSignal] = field(default_factory=list)
    dropped: list[tuple[str, str]] = field(default_factory=list)
    manifest_url: str | None = None
    title: str | None = None
    img_order: int = 0
    og_image_index: int | None = None
    unmarked: int = 0  # header pictures kept without any logo hint (capped: mega-menu thumbnails)
    regions: dict[Any, _Region] = field(default_factory=dict)
    home_links: dict[str, bool] = field(default_factory=dict)

    def add(
        self,
        ref: str | None,
        source: Source,
        kind: str,
        *,
        width: int | None = None,
        height: int | None = None,
        fmt_hint: str | None = None,
        alt: str | None = None,
        notes: Iterable[str] = (),
        check_trap: bool = True,
        texts: tuple[str | None, ...] = (),
        strict: bool = False,
    ) -> LogoCandidate | None:
        url = resolve(self.base, ref)
        if url is None:
            return None
        notes = list(notes)
        if url.startswith("data:"):
            decoded = decode_data_uri(url)
            if decoded is None:
                self.dropped.append((url[:60], "malformed or oversized data: URI"))
                return None
            mime, data = decoded
            if not mime.startswith("image/"):
                self.dropped.append((url[:60], f"data: URI of type {mime}"))
                return None
            dw, dh = image_size(data)
            if len(data) < 100 and (dw is None or max(dw, dh or 0) <= 2):
                notes.append("placeholder")
            width, height = width or dw, height or dh
            fmt_hint = fmt_hint or mime
        if check_trap:
            why = trap_reason(url, alt, *texts, own_domain=self.domain, strict=strict)
            if why:
                self.dropped.append((url, why))
                return None
        if width is None and not url.startswith("data:"):
            width, height = parse_sizes(urlsplit(url).path.rsplit("/", 1)[-1])
        if self._name_in(url, alt):
            notes.append("name-match")
        cand = LogoCandidate(
            url=url,
            source=source,
            kind=kind,  # type: ignore[arg-type]
            width=width,
            height=height,
            format=format_of(url, fmt_hint),
            alt=alt,
            notes=tuple(notes),
            order=self.img_order if source in ("img", "svg") else 0,
        )
        self.candidates.append(cand)
        return cand

    def _name_in(self, url: str, alt: str | None) -> bool:
        text = compact((alt or "") + " " + ("" if url.startswith("data:") else urlsplit(url).path))
        return any(k and len(k) >= 3 and k in text for k in (self.label_key, self.known_key))

    def signal(self, source: str, raw: str | None, weight: float) -> None:
        value = clean_name(raw)
        if value:
            self.signals.append(NameSignal(source, value, weight))


def extract(
    html: str | bytes, url: str, *, known_name: str | None = None, encoding: str | None = None
) -> Extraction:
    """Logo candidates (best first) and display name of the page ``html`` served at ``url``.

    ``encoding`` is the charset the server declared, if any; bytes are otherwise decoded by their
    ``<meta charset>``. ``known_name`` (the counterparty's own name) breaks ties between names.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RecordError(f"page URL must be an absolute http(s) URL, got {url[:200]!r}")
    text, codec = decode_html(html, encoding)
    domain = registered_domain(parts.hostname) or parts.hostname
    known_key = compact(known_name) if known_name else ""
    # Resolve against the URL without any user:password@: credentials never reach a candidate URL.
    page = urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))
    scan = _Scan(url=page, base=page, domain=domain, label_key=compact(domain_label(parts.hostname)),
                 known_key=known_key)  # fmt: skip
    root = _parse(text)
    if root is not None:
        _walk(root, scan)
    favicon = f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}/favicon.ico"
    scan.add(favicon, "favicon.ico", "favicon", check_trap=False)
    ranked = _cap(rank(scan.candidates))
    _alt_signals(ranked, scan)
    name, name_source = _choose(scan.signals, known_name, url)
    return Extraction(
        url=url,
        display_name=name,
        name_source=name_source,
        name_signals=scan.signals,
        candidates=ranked,
        manifest_url=scan.manifest_url,
        base_url=scan.base,
        title=scan.title,
        encoding=codec,
        known_name=known_name,
        dropped=scan.dropped,
    )


def _choose(signals: list[NameSignal], known_name: str | None, url: str) -> tuple[str | None, str | None]:
    """(display name, the signal source it came from); the domain when the page names nothing."""
    host = urlsplit(url).hostname or ""
    label = domain_label(host)
    best = choose_signal(signals, known_name=known_name, domain=label)
    if best is not None:
        return display_form(best.value), best.source
    fallback = domain_display(label) if label else None
    return fallback, ("domain" if fallback else None)


def _cap(ranked: list[LogoCandidate]) -> list[LogoCandidate]:
    """The best MAX_CANDIDATES, /favicon.ico still last: a logo wall must not bloat every answer."""
    if len(ranked) <= MAX_CANDIDATES:
        return ranked
    return [*ranked[: MAX_CANDIDATES - 1], ranked[-1]]


def _parse(text: str) -> Any:
    if not text.strip():
        return None
    try:
        return etree.fromstring(text.encode("utf-8", "replace"), parser=_PARSER)
    except (etree.LxmlError, ValueError):
        return None


def _walk(root: Any, scan: _Scan) -> None:
    """Visit the elements that can carry a signal, in document order."""
    # The first <base href> applies to the whole document, even to links that come before it.
    base = root.xpath("(//base[@href])[1]/@href")
    if base:
        scan.base = resolve(scan.url, str(base[0])) or scan.url
    json_ld: list[Any] = []
    for el in root.iter("title", "meta", "link", "script", "img", "svg"):
        tag = el.tag
        if tag == "title":
            if scan.title is None and not _inside_svg(el):
                scan.title = _text(el)
                for i, piece in enumerate(title_parts(scan.title)):
                    scan.signals.append(NameSignal("title", piece, 0.6 if i == 0 else 0.5))
        elif tag == "meta":
            _meta(el, scan)
        elif tag == "link":
            _link(el, scan)
        elif tag == "script":
            if (el.get("type") or "").strip().lower() == "application/ld+json":
                json_ld.extend(load_json_ld(el.text or ""))
        elif tag == "img":
            _img(el, scan)
        elif tag == "svg":
            _svg(el, scan)
    if json_ld:
        # All scripts together: a WebSite in one may name its publisher defined in another.
        _json_ld(json_ld, scan)
    # One more pass, in C: the attributes that may carry a signal (microdata, CSS backgrounds).
    # Selecting attribute nodes is several times faster in libxml2 than testing every element.
    for attr in root.xpath("//@itemscope | //@itemprop | //@style"):
        el = attr.getparent()
        kind = attr.attrname
        if kind == "itemscope":
            if _ORG_ITEMTYPE.search(el.get("itemtype") or ""):
                _microdata_name(el, scan)
        elif kind == "itemprop":
            if "logo" in attr.lower().split() and el.tag not in ("img", "meta", "link"):
                _itemprop_logo(el, scan)
        elif "url(" in attr and (el.get("class") or el.get("id")):
            _css_background(el, scan)


def _itemprop_logo(el: Any, scan: _Scan) -> None:
    """``itemprop=logo`` on something else than img/meta/link: an ImageObject scope with a url."""
    ref = el.get("src") or el.get("href") or el.get("content")
    if not ref:
        inner = el.xpath(".//*[@itemprop='url' or @itemprop='contentUrl'][1]")
        ref = (inner[0].get("content") or inner[0].get("href") or inner[0].get("src")) if inner else None
    scan.add(ref, "itemprop", "logo")


def _text(el: Any) -> str:
    return "".join(el.itertext())


def _inside_svg(el: Any) -> bool:
    return any(a.tag == "svg" for a in el.iterancestors())


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 < value < 100_000 else None
    if isinstance(value, float):
        return int(value) if 0 < value < 100_000 else None
    if isinstance(value, dict):
        return _int(value.get("value"))
    if isinstance(value, str):
        m = re.match(r"^\s*(\d{1,5})(?:\.\d+)?\s*(?:px)?\s*$", value)
        return _int(int(m.group(1))) if m else None
    return None


_MS_TILES = {"msapplication-tileimage", "msapplication-square70x70logo", "msapplication-square150x150logo",
             "msapplication-square310x310logo", "msapplication-wide310x150logo"}  # fmt: skip


def _meta(el: Any, scan: _Scan) -> None:
    key = (el.get("property") or el.get("name") or "").strip().lower()
    content = el.get("content")
    itemprop = (el.get("itemprop") or "").lower().split()
    if "logo" in itemprop:
        scan.add(content, "itemprop", "logo")
    if not key or content is None:
        return
    if key == "og:logo":
        scan.add(content, "og:logo", "logo")
    elif key in ("og:image", "og:image:url", "og:image:secure_url"):
        if key == "og:image" or scan.og_image_index is None:
            logo_named = "logo" in content.lower().rsplit("/", 1)[-1]
            c = scan.add(content, "og:image", "image", notes=["logo-word"] if logo_named else [])
            scan.og_image_index = len(scan.candidates) - 1 if c else None
    elif key in ("og:image:width", "og:image:height") and scan.og_image_index is not None:
        c = scan.candidates[scan.og_image_index]
        n = _int(content)
        scan.candidates[scan.og_image_index] = (
            replace(c, width=n) if key.endswith("width") else replace(c, height=n)
        )
    elif key == "og:site_name":
        scan.signal("og:site_name", content, 0.9)
    elif key == "application-name":
        scan.signal("application-name", content, 0.7)
    elif key == "apple-mobile-web-app-title":
        scan.signal("apple-mobile-web-app-title", content, 0.6)
    elif key in _MS_TILES:
        w, h = parse_sizes(key)
        scan.add(content, "msapplication", "icon", width=w, height=h or w)


def _link(el: Any, scan: _Scan) -> None:
    rel = (el.get("rel") or "").lower().split()
    href = el.get("href")
    if "logo" in (el.get("itemprop") or "").lower().split():
        scan.add(href, "itemprop", "logo")
    if not rel or not href:
        return
    if "manifest" in rel:
        if scan.manifest_url is None:
            scan.manifest_url = resolve(scan.base, href)
        return
    w, h = parse_sizes(el.get("sizes"))
    notes = ["any-size"] if (el.get("sizes") or "").strip().lower() == "any" else []
    mime = el.get("type")
    if "apple-touch-icon" in rel or "apple-touch-icon-precomposed" in rel:
        scan.add(href, "apple-touch-icon", "icon", width=w, height=h, fmt_hint=mime, notes=notes)
    elif "mask-icon" in rel:
        scan.add(href, "mask-icon", "icon", width=w, height=h, fmt_hint=mime or "image/svg+xml",
                 notes=[*notes, "monochrome"])  # fmt: skip
    elif "icon" in rel or "fluid-icon" in rel:
        scan.add(href, "icon", "icon", width=w, height=h, fmt_hint=mime, notes=notes)


# --- JSON-LD ---------------------------------------------------------------------------------------

_TRAILING_COMMA = re.compile(r",\s*([}\]])")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def load_json_ld(text: str) -> list[Any]:
    """Every JSON value in a JSON-LD script, tolerating the usual breakage (comments, CDATA,
    trailing commas, raw newlines in strings, several objects back to back); [] if hopeless."""
    text = text.strip()
    text = re.sub(r"^\s*(?://\s*)?<!\[CDATA\[|(?://\s*)?\]\]>\s*$|^\s*<!--|-->\s*$", "", text).strip()
    if not text:
        return []
    for attempt in (text, _TRAILING_COMMA.sub(r"\1", _CONTROL.sub(" ", text))):
        try:
            return [json.loads(attempt, strict=False)]
        except ValueError:
            pass
        # Several values back to back ("{...}{...}" or "{...},{...}"): decode one after another.
        decoder = json.JSONDecoder(strict=False)
        values: list[Any] = []
        pos = 0
        try:
            while pos < len(attempt):
                value, pos = decoder.raw_decode(attempt, pos)
                values.append(value)
                while pos < len(attempt) and attempt[pos] in " \t\r\n,;":
                    pos += 1
        except ValueError:
            pass
        if values:
            return values
    return []


def _types(node: dict[str, Any]) -> set[str]:
    t = node.get("@type")
    items = t if isinstance(t, list) else [t]
    return {i.rsplit("/", 1)[-1].rsplit(":", 1)[-1].lower() for i in items if isinstance(i, str)}


def _nodes(value: Any, depth: int = 0) -> Iterator[dict[str, Any]]:
    """Top-level nodes: arrays flattened, ``@graph`` opened (nested graphs too)."""
    if depth > 5:
        return
    if isinstance(value, list):
        for v in value:
            yield from _nodes(v, depth + 1)
    elif isinstance(value, dict):
        if "@graph" in value:
            yield from _nodes(value["@graph"], depth + 1)
        if "@type" in value:
            yield value


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def _json_ld(values: list[Any], scan: _Scan) -> None:
    nodes = [n for v in values for n in _nodes(v)]
    by_id = {n["@id"]: n for n in nodes if isinstance(n.get("@id"), str)}

    def deref(v: Any) -> Any:
        if isinstance(v, dict) and set(v) <= {"@id"} and v.get("@id") in by_id:
            return by_id[v["@id"]]
        return v

    publishers: list[dict[str, Any]] = []
    for n in nodes:
        types = _types(n)
        if types & _PUBLISHER_HOLDERS:
            if "website" in types:
                for name in _strings(n.get("name")):
                    scan.signal("json-ld:website", name, 0.7)
            for key in ("publisher", "copyrightHolder", "creator") if "website" in types else ("publisher",):
                for p in _listed(n.get(key)):
                    p = deref(p)
                    if isinstance(p, dict):
                        publishers.append(p)
    orgs = [n for n in nodes if _is_org(n)]
    primary: dict[str, Any] | None = None
    for cand in [*publishers, *orgs]:
        if _org_url_matches(cand, scan.domain):
            primary = cand
            break
    if primary is None and (publishers or orgs):
        primary = (publishers or orgs)[0]
    seen: set[int] = set()
    for org in [*publishers, *orgs]:
        if id(org) in seen:
            continue
        seen.add(id(org))
        is_primary = org is primary
        other_site = not is_primary and not _org_url_matches(org, scan.domain) and bool(org.get("url"))
        notes = () if is_primary else ("secondary",)
        weight = 1.0 if is_primary else 0.3
        if ("brand" in _types(org) and not is_primary) or other_site:
            # Another site's organisation (a partner, a manufacturer): neither its name nor its logo.
            scan.dropped.append((str(org.get("url"))[:200], "JSON-LD organisation of another site"))
            continue
        for name in _strings(org.get("name")):
            scan.signal("json-ld:name", name, weight)
        for name in _strings(org.get("alternateName")):
            scan.signal("json-ld:alternateName", name, weight * 0.7)
        for name in _strings(org.get("legalName")):
            scan.signal("json-ld:legalName", name, weight * 0.6)
        for logo in _listed(org.get("logo")):
            _json_ld_image(deref(logo), scan, notes)
        if not org.get("logo") and org.get("image"):
            img = org.get("image")
            # An organisation's "image" is often a shop front or a team photo: weak, like og:image.
            _json_ld_image(deref(img[0] if isinstance(img, list) and img else img), scan, notes, kind="image")


_ORG_SUFFIXES = ("organization", "business", "store", "service", "agency", "repair", "dealer", "shop",
                 "office", "clinic", "restaurant", "hotel", "company", "corporation", "practice")  # fmt: skip
_NOT_ORG = {
    "person", "product", "offer", "event", "postaladdress", "place", "website", "webpage", "imageobject",
    "breadcrumblist", "listitem", "article", "blogposting", "review", "rating", "aggregaterating",
}  # fmt: skip
_BUSINESS_KEYS = ("openingHours", "openingHoursSpecification", "priceRange", "telephone", "address", "vatID")


def _is_org(node: dict[str, Any]) -> bool:
    """An organisation or any of schema.org's ~150 LocalBusiness kinds (AutoRepair, Dentist...)."""
    types = _types(node)
    if types & _ORG_TYPES or any(t.endswith(_ORG_SUFFIXES) for t in types):
        return True
    if types & _NOT_ORG:
        return False
    return bool(node.get("logo")) or (bool(node.get("name")) and any(k in node for k in _BUSINESS_KEYS))


def _org_url_matches(org: dict[str, Any], domain: str) -> bool:
    for u in _strings(org.get("url")) + _strings(org.get("@id")):
        host = urlsplit(u).hostname
        if host and registered_domain(host) == domain:
            return True
    return False


def _json_ld_image(logo: Any, scan: _Scan, notes: tuple[str, ...], kind: str = "logo") -> None:
    if isinstance(logo, str):
        scan.add(logo, "json-ld", kind, notes=notes)
    elif isinstance(logo, dict):
        ref = next((v for k in ("url", "contentUrl", "@id") for v in _strings(logo.get(k))), None)
        scan.add(ref, "json-ld", kind, width=_int(logo.get("width")), height=_int(logo.get("height")),
                 fmt_hint=logo.get("encodingFormat") if isinstance(logo.get("encodingFormat"), str) else None,
                 notes=notes)  # fmt: skip


# --- <img> and inline <svg> -----------------------------------------------------------------------


class _Region(NamedTuple):
    """Facts about an element and all its ancestors (memoised per element during one scan).

    A NamedTuple, not a dataclass: one is built per ancestor of every picture, so it must be cheap.
    """

    header: bool
    footer: bool
    trap: str | None
    in_svg: bool
    logo_depth: int  # levels up to the nearest element with a logo/brand class (0: this one)
    home_depth: int  # levels up to the nearest link to the home page (0: this one)


_FAR = 99
_NO_REGION = _Region(False, False, None, False, _FAR, _FAR)


@dataclass(frozen=True, slots=True)
class _Context:
    header: bool
    footer: bool
    trap: str | None
    logo_near: bool
    home_link: bool


def _attrs_text(el: Any) -> str:
    return f"{el.get('class') or ''} {el.get('id') or ''}".lower()


def _classify(text: str) -> tuple[bool, bool, str | None, bool]:
    """(header, footer, trap, logo) for one class+id string; memoised, pages repeat their classes."""
    hit = _CLASSIFIED.get(text)
    if hit is None:
        m = _TRAP_CONTAINER_RE.search(text)
        hit = (
            bool(_HEADER_RE.search(text)),
            bool(_FOOTER_RE.search(text)),
            f"inside a {m.group(0)!r} block" if m else None,
            bool(_LOGO_RE.search(text)),
        )
        if len(_CLASSIFIED) < 50_000:
            _CLASSIFIED[text] = hit
    return hit


_CLASSIFIED: dict[str, tuple[bool, bool, str | None, bool]] = {}
_CMP_RE = re.compile(r"cookie|consent|gdpr|onetrust|cybot|usercentrics|didomi|cmp|rodo")


def _region(el: Any, scan: _Scan) -> _Region:
    """The region of ``el``: computed once per element, top-down from the nearest known ancestor."""
    memo = scan.regions
    chain = []
    node = el
    while node is not None and node not in memo:
        chain.append(node)
        node = node.getparent()
    region = memo[node] if node is not None else _NO_REGION
    for node in reversed(chain):
        tag = node.tag if isinstance(node.tag, str) else ""
        header, footer, trap = region.header, region.footer, region.trap
        logo_depth, home_depth = min(region.logo_depth + 1, _FAR), min(region.home_depth + 1, _FAR)
        cls, ident = node.get("class"), node.get("id")
        if tag in ("html", "body"):
            cls = ident = None  # CMPs and themes flag the whole page ("has-cookie-bar", "sticky-footer")
        if cls or ident:
            h, f, t, logo = _classify(f"{cls or ''} {ident or ''}".lower())
            header, footer, trap = header or h, footer or f, trap or t
            if logo:
                logo_depth = 0
        if tag == "a" and _is_home(node.get("href"), scan):
            home_depth = 0
        elif tag in ("header", "nav"):
            header = True
        elif tag == "footer":
            footer = True
        role, aria = node.get("role"), node.get("aria-label")
        if role:
            role = role.lower()
            header = header or role in ("banner", "navigation")
            footer = footer or role == "contentinfo"
        if (tag == "header" or role == "banner") and trap and not _CMP_RE.search(trap):
            # The page's own header inside a broad wrapper ("social-enabled"): not the trap's content.
            trap, footer = None, False
        if aria and trap is None:
            m = _TRAP_CONTAINER_RE.search(aria.lower())
            trap = f"inside a {m.group(0)!r} block" if m else None
        region = _Region(header, footer, trap, region.in_svg or tag == "svg", logo_depth, home_depth)
        memo[node] = region
    return region


def _near(el: Any, scan: _Scan) -> tuple[bool, bool]:
    """(a logo/brand class, a link to the home page) within the four nearest ancestors."""
    parent = el.getparent()
    if parent is None:
        return False, False
    region = _region(parent, scan)
    return region.logo_depth < NEAR_LEVELS, region.home_depth < NEAR_LEVELS


def _context(el: Any, scan: _Scan, near: tuple[bool, bool] | None = None) -> _Context:
    parent = el.getparent()
    region = _region(parent, scan) if parent is not None else _NO_REGION
    logo_near, home = near if near is not None else _near(el, scan)
    return _Context(region.header, region.footer, region.trap, logo_near, home)


def _is_home(href: str | None, scan: _Scan) -> bool:
    if not href:
        return False
    known = scan.home_links.get(href)
    if known is not None:
        return known
    # Cheap test first: most links (products, categories) cannot be the home page whatever the base.
    core = href.strip().split("#", 1)[0].split("?", 1)[0]
    if core.startswith(("http://", "https://", "//")):
        core = "/" + core.split("//", 1)[1].partition("/")[2]
    if not (_HOME_PATH.match(core) or core in (".", "./")):
        scan.home_links[href] = False
        return False
    target = resolve(scan.base, href)
    answer = False
    if target is not None:
        parts = urlsplit(target)
        page_host = (urlsplit(scan.url).hostname or "").removeprefix("www.")
        answer = (parts.hostname or "").removeprefix("www.") == page_host and bool(
            _HOME_PATH.match(parts.path)
        )
    scan.home_links[href] = answer
    return answer


def _best_srcset(srcset: str | None) -> tuple[str | None, int | None]:
    """URL of the largest entry of a ``srcset`` and its width descriptor (if it has one)."""
    if not srcset:
        return None, None
    best: tuple[float, str, int | None] | None = None
    for item in re.split(r",\s+|,(?=\S+\s+\d)", srcset.strip()):
        bits = item.strip().split()
        if not bits:
            continue
        ref, desc = bits[0], (bits[1] if len(bits) > 1 else "1x")
        m = re.match(r"^(\d+(?:\.\d+)?)([wx])$", desc)
        size = float(m.group(1)) if m else 1.0
        weight = size if (m and m.group(2) == "w") else size * 1000  # 2x of unknown width beats 1x
        wval = int(size) if (m and m.group(2) == "w") else None
        if best is None or weight > best[0]:
            best = (weight, ref, wval)
    return (best[1], best[2]) if best else (None, None)


def _is_placeholder(ref: str | None) -> bool:
    if not ref or not ref.strip():
        return True
    ref = ref.strip()
    if ref.startswith("data:"):
        return len(ref) < 200  # a 1x1 gif or an empty svg: lazy-loading stand-ins
    return bool(_PLACEHOLDER_RE.search(ref.rsplit("/", 1)[-1]))


def _img_ref(el: Any) -> tuple[str | None, int | None]:
    """The real image URL of an <img>, looking past lazy-loading placeholders; width if srcset says."""
    src = el.get("src")
    srcset_ref, srcset_w = _best_srcset(
        el.get("srcset") or el.get("data-srcset") or el.get("data-lazy-srcset")
    )
    if srcset_ref and not _is_placeholder(srcset_ref):
        return srcset_ref, srcset_w
    if not _is_placeholder(src):
        return src, None
    for attr in _LAZY_ATTRS:
        value = el.get(attr)
        if value and attr.endswith("srcset"):
            value, w = _best_srcset(value)
            if value and not _is_placeholder(value):
                return value, w
        elif value and not _is_placeholder(value):
            return value.strip(), None
    return src, None


def _img(el: Any, scan: _Scan) -> None:
    own = " ".join(filter(None, (el.get("class"), el.get("id"), el.get("alt"), el.get("title")))).lower()
    sources = " ".join(filter(None, (el.get(a) for a in _SRC_ATTRS))).lower()
    itemprop_logo = "logo" in (el.get("itemprop") or "").lower().split()
    own_logo = bool(_LOGO_RE.search(own)) or bool(_LOGO_FILE_RE.search(sources))
    ctx = _context(el, scan)
    marked = itemprop_logo or own_logo or ctx.logo_near or ctx.home_link
    if not marked:
        # A header picture without any logo hint: keep the first few only (menus carry thumbnails).
        if not ctx.header or ctx.trap or scan.unmarked >= MAX_UNMARKED:
            return
        scan.unmarked += 1
    ref, srcset_w = _img_ref(el)  # only now: srcset parsing is the costly part for product grids
    if not ref:
        return
    if not (own_logo or ctx.logo_near or itemprop_logo) and _is_home_icon(el, ref):
        scan.dropped.append((ref[:200], "a home icon (breadcrumb or menu), not a logo"))
        return
    alt = (el.get("alt") or el.get("title") or "").strip() or None
    if ctx.trap:  # itemprop=logo too: a partners section may carry its partners' microdata
        scan.dropped.append((ref[:200], ctx.trap))
        return
    width = _int(el.get("width")) or srcset_w
    height = _int(el.get("height")) if not srcset_w else None
    attr_w, attr_h = _int(el.get("width")), _int(el.get("height"))
    if srcset_w and attr_w and attr_h:
        height = round(srcset_w * attr_h / attr_w)
        width = srcset_w
    notes = _notes(ctx, own_logo)
    if _VARIANT_RE.search(f"{own} {ref.lower().rsplit('/', 1)[-1]}"):
        notes.append("variant")
    source: Source = "itemprop" if itemprop_logo else "img"
    texts = (el.get("title"), el.get("class"))
    picture = _picture_of(el)
    if picture is not None:
        # <picture><source type="image/svg+xml" srcset="logo.svg"><img src="logo.png"></picture>
        for alt_source in picture.iter("source"):
            alt_ref, alt_w = _best_srcset(alt_source.get("srcset") or alt_source.get("data-srcset"))
            if alt_ref and not _is_placeholder(alt_ref):
                alt_h = None if alt_w else height
                scan.add(
                    alt_ref,
                    source,
                    "logo",
                    width=alt_w or width,
                    height=alt_h,
                    alt=alt,
                    fmt_hint=alt_source.get("type"),
                    notes=notes,
                    texts=texts,
                    strict=True,
                )
    if scan.add(ref, source, "logo", width=width, height=height, alt=alt, notes=notes, texts=texts,
                strict=True) is not None:  # fmt: skip
        scan.img_order += 1


_HOME_WORDS = {"home", "homepage", "start", "stronaglowna", "startseite", "accueil", "inicio"}
_HOME_FILE = re.compile(r"(?<![a-z])(?:home|house)(?![a-z])[^/]*$")
# Alternative renderings of a logo for dark backgrounds, sticky or mobile headers: a worse choice.
_VARIANT_RE = re.compile(
    r"white|inverse|invert|negative|(?<![a-z])light|(?<![a-z])mono|sticky|mobile|(?<![a-z])small"
)


def _is_home_icon(el: Any, ref: str) -> bool:
    alt = compact(el.get("alt") or el.get("title") or "")
    return alt in _HOME_WORDS or bool(_HOME_FILE.search(ref.lower().split("?", 1)[0]))


def _picture_of(el: Any) -> Any:
    """The <picture> around an <img>; libxml2 (HTML 4) does not know <source> is empty, so the
    <img> may sit inside the <source> elements rather than next to them."""
    node = el.getparent()
    for _ in range(4):
        if node is None or node.tag not in ("picture", "source"):
            return None
        if node.tag == "picture":
            return node
        node = node.getparent()
    return None


def _notes(ctx: _Context, own_logo: bool) -> list[str]:
    notes = []
    if own_logo or ctx.logo_near:
        notes.append("logo-word")
    if ctx.home_link:
        notes.append("home-link")
    if ctx.header:
        notes.append("header")
    if ctx.footer:
        notes.append("footer")
    return notes


# SVG is case-sensitive XML; the HTML parser lower-cases names, so put the camelCase back.
_SVG_CAMEL = (
    "viewBox preserveAspectRatio gradientUnits gradientTransform patternUnits patternContentUnits "
    "patternTransform clipPathUnits maskUnits maskContentUnits markerWidth markerHeight markerUnits refX "
    "refY spreadMethod startOffset textLength lengthAdjust stdDeviation baseFrequency numOctaves "
    "filterUnits primitiveUnits pathLength linearGradient radialGradient clipPath textPath foreignObject "
    "feBlend feColorMatrix feComposite feFlood feGaussianBlur feMerge feMergeNode feOffset feMorphology "
    "feDropShadow feTurbulence feImage feTile xChannelSelector yChannelSelector tableValues"
)
_SVG_NAMES = {n.lower(): n for n in _SVG_CAMEL.split()}
_DRAWING = {"path", "rect", "circle", "ellipse", "line", "polyline", "polygon", "text", "image"}
_SVG_NS = "http://www.w3.org/2000/svg"


def _svg(el: Any, scan: _Scan) -> None:
    own = _attrs_text(el) + " " + (el.get("aria-label") or "").lower()
    title = el.find("title")
    title_text = _text(title).strip() if title is not None else ""
    own_logo = bool(_LOGO_RE.search(own + " " + title_text.lower()))
    near = _near(el, scan)
    if not (own_logo or near[0] or near[1]):
        return  # header icons (search, cart, burger) are inline SVG too: only marked ones count
    ctx = _context(el, scan, near)
    if _region(el, scan).in_svg and el.getparent() is not None and _region(el.getparent(), scan).in_svg:
        return  # nested <svg>: its outermost <svg> is the picture
    if ctx.trap:
        scan.dropped.append(("inline svg", ctx.trap))
        return
    why = trap_reason("", own, title_text, own_domain=scan.domain, strict=True)
    if why:
        scan.dropped.append(("inline svg", why))
        return
    data = serialise_svg(el, scan)
    if data is None:
        return
    width, height = _int(el.get("width")), _int(el.get("height"))
    if width is None:
        box = (el.get("viewbox") or "").replace(",", " ").split()
        if len(box) == 4:
            with contextlib.suppress(ValueError):
                width, height = round(float(box[2])), round(float(box[3]))
    alt = (el.get("aria-label") or title_text or "").strip() or None
    uri = "data:image/svg+xml;base64," + base64.b64encode(data).decode("ascii")
    if scan.add(uri, "svg", "logo", width=width or None, height=height or None, alt=alt,
                notes=_notes(ctx, own_logo), check_trap=False) is not None:  # fmt: skip
        scan.img_order += 1


def serialise_svg(el: Any, scan: _Scan | None = None) -> bytes | None:
    """A standalone SVG document for an inline ``<svg>``: names re-cased, scripts, event handlers and
    foreign content removed, ``<use href="#id">`` sprites inlined; None if empty or too large."""
    out: list[str] = []
    size = 0
    drawing = False
    root = el.getroottree().getroot()

    def emit(node: Any, top: bool, depth: int) -> bool:
        nonlocal size, drawing
        tag = node.tag
        if not isinstance(tag, str) or depth > 40:
            return True
        tag = tag.lower()
        if tag in ("script", "foreignobject"):
            return True
        if tag == "use":
            ref = node.get("href") or node.get("xlink:href") or ""
            found = root.xpath("//*[@id=$i]", i=ref[1:]) if ref.startswith("#") else []
            if found and found[0].tag in ("symbol", "g", "svg", "path") and found[0] is not el:
                # A sprite reference: inline the symbol as a nested <svg> so the data: URI stands alone.
                sym = found[0]
                keep = {k: node.get(k) for k in ("x", "y", "width", "height") if node.get(k)}
                if sym.get("viewbox"):
                    keep["viewBox"] = sym.get("viewbox")
                out.append("<svg" + "".join(f" {k}={quoteattr(str(v))}" for k, v in keep.items()) + ">")
                children = list(sym) if sym.tag != "path" else [sym]
                for child in children:
                    if not emit(child, False, depth + 1):
                        return False
                out.append("</svg>")
                return True
        name = _SVG_NAMES.get(tag, tag)
        if tag in _DRAWING:
            drawing = True
        attrs = []
        for k, v in node.attrib.items():
            k = str(k).lower()
            if k.startswith("on") or (
                k.endswith("href") and str(v).strip().lower().startswith("javascript:")
            ):
                continue
            if k in ("xmlns", "xmlns:xlink"):
                continue
            if k.endswith("href") and scan is not None and not str(v).startswith(("#", "data:")):
                # An embedded <image href="logo.png">: absolute, so the standalone data: URI still works.
                v = resolve(scan.base, str(v)) or ""
            attrs.append(f" {_SVG_NAMES.get(k, k)}={quoteattr(str(v))}")
        if top:
            attrs.insert(0, f' xmlns="{_SVG_NS}" xmlns:xlink="http://www.w3.org/1999/xlink"')
        piece = f"<{name}{''.join(attrs)}>"
        out.append(piece)
        size += len(piece)
        if node.text:
            out.append(escape(node.text))
            size += len(node.text)
        for child in node:
            if not emit(child, False, depth + 1):
                return False
            if child.tail:
                out.append(escape(child.tail))
                size += len(child.tail)
        out.append(f"</{name}>")
        return size <= SVG_MAX_BYTES

    if not emit(el, True, 0) or not drawing:
        return None
    data = "".join(out).encode("utf-8")
    return data if len(data) <= min(SVG_MAX_BYTES, DATA_URI_MAX_BYTES) else None


def _alt_signals(ranked: list[LogoCandidate], scan: _Scan) -> None:
    """The best on-page logo's alt text names the brand more often than not ("ACME - since 1990")."""
    for c in ranked:
        if c.source in ("img", "svg", "itemprop") and c.alt:
            for i, part in enumerate(title_parts(c.alt)):
                scan.signals.append(NameSignal("logo-alt", part, 0.5 if i == 0 else 0.3))
            return


_CSS_URL = re.compile(r"""url\(\s*['"]?([^'")]+?)['"]?\s*\)""", re.IGNORECASE)


def _css_background(el: Any, scan: _Scan) -> None:
    """A logo drawn as the CSS background of an element marked logo/brand (older themes do this)."""
    m = _CSS_URL.search(el.get("style") or "")
    if not m or not _LOGO_RE.search(_attrs_text(el)):
        return
    ctx = _context(el, scan)
    if ctx.trap:
        scan.dropped.append((m.group(1)[:200], ctx.trap))
        return
    alt = (el.get("title") or el.get("aria-label") or _text(el) or "").strip()[:120] or None
    notes = [*_notes(ctx, True), "css-background"]
    if scan.add(m.group(1), "img", "logo", alt=alt, notes=notes, strict=True) is not None:
        scan.img_order += 1


_ORG_ITEMTYPE = re.compile(r"schema\.org/(?:\w*Organization|Corporation|\w*Business|Store|Brand)\b", re.I)


def _microdata_name(scope: Any, scan: _Scan) -> None:
    """``itemprop=name`` of a microdata Organization (LocalBusiness...), not of a nested item."""
    stack = list(reversed(scope))
    while stack:
        el = stack.pop()
        if not isinstance(el.tag, str):
            continue
        if "name" in (el.get("itemprop") or "").split():
            scan.signal("microdata:name", el.get("content") or _text(el), 0.9)
            return
        if el.get("itemscope") is None:  # a nested item (its address, an offer) names something else
            stack.extend(reversed(el))


# --- the web app manifest ----------------------------------------------------------------------------


def _manifest_obj(json_text: str | bytes) -> dict[str, Any] | None:
    if isinstance(json_text, bytes):
        json_text = json_text.decode("utf-8-sig", "replace")
    values = load_json_ld(json_text)
    return values[0] if values and isinstance(values[0], dict) else None


def parse_manifest(json_text: str | bytes, manifest_url: str, *, own_domain: str = "") -> list[LogoCandidate]:
    """Icons of a web app manifest as candidates (source ``manifest``), URLs resolved against the
    manifest's own URL; [] for malformed JSON. Not ranked: pass them to ``rank`` or ``with_candidates``."""
    data = _manifest_obj(json_text)
    if data is None or not isinstance(data.get("icons"), list):
        return []
    scan = _Scan(url=manifest_url, base=manifest_url, domain=own_domain, label_key="", known_key="")
    for icon in data["icons"]:
        if not isinstance(icon, dict) or not isinstance(icon.get("src"), str):
            continue
        sizes = icon.get("sizes") if isinstance(icon.get("sizes"), str) else None
        w, h = parse_sizes(sizes)
        purpose = str(icon.get("purpose") or "").lower().split()
        notes = ["any-size"] if (sizes or "").strip().lower() == "any" else []
        if purpose and "any" not in purpose and "maskable" not in purpose:
            notes.append("monochrome")
        mime = icon.get("type") if isinstance(icon.get("type"), str) else None
        scan.add(icon["src"], "manifest", "icon", width=w, height=h, fmt_hint=mime, notes=notes)
    return scan.candidates


def manifest_names(json_text: str | bytes) -> list[NameSignal]:
    """``name`` and ``short_name`` of a web app manifest as name signals."""
    data = _manifest_obj(json_text)
    out: list[NameSignal] = []
    if data is None:
        return out
    for key, weight in (("name", 0.6), ("short_name", 0.5)):
        value = clean_name(data.get(key) if isinstance(data.get(key), str) else None)
        if value:
            out.append(NameSignal(f"manifest:{key}", value, weight))
    return out
