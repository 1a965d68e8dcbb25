"""The page walk: one pass over the parsed page that hands each element to the signal it carries.

``<title>``, ``<meta>`` (Open Graph, application-name, tiles), ``<link rel>`` icons and manifest,
``<img>`` logos (lazy-loading and ``<picture>`` aware), inline ``<svg>``, JSON-LD scripts, then one
XPath pass for microdata and CSS-background logos.

Parsing uses lxml's HTML parser (libxml2) directly rather than BeautifulSoup on top of it: the
same parser and tree-building rules, five to ten times faster on real homepages.
"""

from __future__ import annotations

import html as html_lib
import re
from dataclasses import replace
from typing import Any

from lxml import etree

from enricher.branding.candidates import Source, parse_sizes, resolve
from enricher.branding.jsonld import ORG_ITEMTYPE, load_json_ld, microdata_name, read_json_ld
from enricher.branding.names import NameSignal, compact, copyright_name, title_parts
from enricher.branding.scan import (
    LOGO_RE,
    Scan,
    attrs_text,
    context_notes,
    context_of,
    fast_alternation,
    inside_svg,
    text_of,
    to_int,
)
from enricher.branding.svg import inline_svg

__all__ = ["MAX_UNMARKED", "copyright_signal", "parse", "walk"]

#: Header pictures kept although nothing marks them as a logo (the rest are menu thumbnails).
MAX_UNMARKED = 4

# Plain etree elements, not lxml.html's: those look up a Python element class for every node touched.
# collect_ids=False: libxml2 then keeps no table of id attributes, which only XPath's id() reads (never
# used here); the tree is the same and the parse of the 200 dev pages takes 0.35 -> 0.24 s.
_PARSER = etree.HTMLParser(
    encoding="utf-8", remove_comments=True, remove_pis=True, no_network=True, collect_ids=False
)
_LOGO_FILE_RE = re.compile(r"logo(?!s)")  # in a file or folder name; a /logos/ folder holds many
_SRC_ATTRS = ("src", "data-src", "data-lazy-src", "data-original", "srcset", "data-srcset")
_LAZY_ATTRS = ("data-src", "data-lazy-src", "data-original", "data-lazy", "data-url", "data-srcset",
               "data-lazy-srcset", "srcset")  # fmt: skip
_PLACEHOLDER_RE = re.compile(r"blank|spacer|placeholder|transparent|pixel|lazy|loading|1x1", re.I)


def parse(text: str, utf8: bytes | None = None) -> Any:
    """The page's root element, or None for an empty or unparseable page.

    ``utf8``, when given, is ``text`` encoded as UTF-8 already (the page's own bytes): encoding a
    300 KB page again costs more than a tenth of a millisecond.
    """
    if not text or text.isspace():
        return None
    try:
        data = utf8 if utf8 is not None else text.encode("utf-8", "replace")
        return etree.fromstring(data, parser=_PARSER)
    except (etree.LxmlError, ValueError):
        return None


def walk(root: Any, scan: Scan) -> None:
    """Visit the elements that can carry a signal, in document order."""
    # One walk of the tree collects them and the <base> elements: each walk of a 300 KB page costs a
    # quarter of a millisecond, and a separate XPath for <base> walked it all again (0.07 s of 200 pages).
    elements = list(root.iter("base", "title", "meta", "link", "script", "img", "svg"))
    # The first <base href> applies to the whole document, even to links that come before it.
    for el in elements:
        if el.tag == "base" and el.get("href") is not None:
            scan.base = resolve(scan.url, el.get("href")) or scan.url
            break
    json_ld: list[Any] = []
    for el in elements:
        tag = el.tag
        if tag == "title":
            if scan.title is None and not inside_svg(el):
                scan.title = text_of(el)
                for i, piece in enumerate(title_parts(scan.title)):
                    scan.signals.append(NameSignal("title", piece, 0.6 if i == 0 else 0.5))
        elif tag == "meta":
            _meta(el, scan)
        elif tag == "link":
            _link(el, scan)
        elif tag == "script":
            if (el.get("type") or "").strip().lower() == "application/ld+json":
                problems: list[str] = []
                json_ld.extend(load_json_ld(el.text or "", problems))
                scan.dropped.extend(("JSON-LD block", why) for why in problems)
        elif tag == "img":
            _img(el, scan)
        elif tag == "svg":
            inline_svg(el, scan)
    if json_ld:
        # All scripts together: a WebSite in one may name its publisher defined in another.
        read_json_ld(json_ld, scan)
    # One more pass, in C: the attributes that may carry a signal (microdata, CSS backgrounds).
    # Selecting attribute nodes is several times faster in libxml2 than testing every element.
    for attr in root.xpath("//@itemscope | //@itemprop | //@style"):
        el = attr.getparent()
        kind = attr.attrname
        if kind == "itemscope":
            if ORG_ITEMTYPE.search(el.get("itemtype") or ""):
                microdata_name(el, scan)
        elif kind == "itemprop":
            if "logo" in attr.lower().split() and el.tag not in ("img", "meta", "link"):
                _itemprop_logo(el, scan)
        elif "url(" in attr and (el.get("class") or el.get("id")):
            _css_background(el, scan)


_COPYRIGHT_MARKS = ("©", "&copy;", "&#169;", "opyright", "OPYRIGHT")


def copyright_signal(html: str, scan: Scan) -> None:
    """The copyright line's holder, a weak signal that agrees or not: the last text naming one (the
    footer's), read from the page's text nodes found by string search, not by walking the tree (a
    full-tree text scan cost a millisecond a page). Text inside a script is skipped."""
    end = len(html)
    floor = max(0, end - 100_000)  # footers sit at the end; the rest of a 300 KB page is not read
    for _ in range(6):
        at = max(html.rfind(mark, floor, end) for mark in _COPYRIGHT_MARKS)
        if at < 0:
            return
        start = html.rfind(">", 0, at) + 1
        stop = html.find("<", at)
        stop = len(html) if stop < 0 else stop
        end = max(start - 1, 0)
        opened = html.rfind("<script", 0, at)
        if opened >= 0 and html.rfind("</script", opened, at) < 0:
            continue  # a "©" inside a script or JSON-LD string is no footer line
        holder = copyright_name(html_lib.unescape(html[start:stop]))
        if holder:
            scan.signals.append(NameSignal("copyright", holder, 0.2))
            return
        if end == 0:
            return


def _itemprop_logo(el: Any, scan: Scan) -> None:
    """``itemprop=logo`` on something else than img/meta/link: an ImageObject scope with a url."""
    ref = el.get("src") or el.get("href") or el.get("content")
    if not ref:
        inner = el.xpath(".//*[@itemprop='url' or @itemprop='contentUrl'][1]")
        ref = (inner[0].get("content") or inner[0].get("href") or inner[0].get("src")) if inner else None
    scan.add(ref, "itemprop", "logo")


_MS_TILES = {"msapplication-tileimage", "msapplication-square70x70logo", "msapplication-square150x150logo",
             "msapplication-square310x310logo", "msapplication-wide310x150logo"}  # fmt: skip


def _meta(el: Any, scan: Scan) -> None:
    key = (el.get("property") or el.get("name") or "").strip().lower()
    content = el.get("content")
    itemprop = (el.get("itemprop") or "").lower().split()
    if "logo" in itemprop:
        scan.add(content, "itemprop", "logo")
    if not key or content is None:
        return
    if key == "og:logo":
        scan.add(content, "og:logo", "logo")
    elif key == "og:url":
        scan.page_addresses.append(content)
    elif key == "og:type":
        scan.page_type = content.strip().lower()
    elif key in ("og:image", "og:image:url", "og:image:secure_url"):
        if key == "og:image" or scan.og_image_index is None:
            logo_named = "logo" in content.lower().rsplit("/", 1)[-1]
            c = scan.add(content, "og:image", "image", notes=["logo-word"] if logo_named else [])
            scan.og_image_index = len(scan.candidates) - 1 if c else None
    elif key in ("og:image:width", "og:image:height") and scan.og_image_index is not None:
        c = scan.candidates[scan.og_image_index]
        n = to_int(content)
        scan.candidates[scan.og_image_index] = (
            replace(c, width=n) if key.endswith("width") else replace(c, height=n)
        )
    elif key == "og:site_name":
        scan.signal("og:site_name", content, 0.9)
    elif key == "application-name":
        scan.signal("application-name", content, 0.7)
    elif key == "apple-mobile-web-app-title":
        scan.signal("apple-mobile-web-app-title", content, 0.6)
    elif key == "twitter:site":
        handle = content.strip().lstrip("@")
        if handle and " " not in handle:
            scan.signals.append(NameSignal("twitter:site", handle, 0.2))
    elif key in _MS_TILES:
        w, h = parse_sizes(key)
        scan.add(content, "msapplication", "icon", width=w, height=h or w)


def _link(el: Any, scan: Scan) -> None:
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
    if "canonical" in rel:
        scan.page_addresses.append(href)
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


_SRCSET_SPLIT = re.compile(r",\s+|,(?=\S+\s+\d)")
_DESCRIPTOR = re.compile(r"^(\d+(?:\.\d+)?)([wx])$")


def _best_srcset(srcset: str | None) -> tuple[str | None, int | None]:
    """URL of the largest entry of a ``srcset`` and its width descriptor (if it has one)."""
    if not srcset:
        return None, None
    best: tuple[float, str, int | None] | None = None
    for item in _SRCSET_SPLIT.split(srcset.strip()):
        bits = item.strip().split()
        if not bits:
            continue
        ref, desc = bits[0], (bits[1] if len(bits) > 1 else "1x")
        m = _DESCRIPTOR.match(desc)
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


def _sources(el: Any) -> str:
    return " ".join([v for v in (el.get(a) for a in _SRC_ATTRS) if v]).lower()


def _img(el: Any, scan: Scan) -> None:
    own = " ".join(filter(None, (el.get("class"), el.get("id"), el.get("alt"), el.get("title")))).lower()
    itemprop_logo = "logo" in (el.get("itemprop") or "").lower().split()
    # The sources (srcsets, data: URIs of kilobytes) are joined and lower-cased only when needed.
    own_logo = bool(LOGO_RE.search(own)) or bool(_LOGO_FILE_RE.search(_sources(el)))
    ctx = context_of(el, scan)
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
    width = to_int(el.get("width")) or srcset_w
    height = to_int(el.get("height")) if not srcset_w else None
    attr_w, attr_h = to_int(el.get("width")), to_int(el.get("height"))
    if srcset_w and attr_w and attr_h:
        height = round(srcset_w * attr_h / attr_w)
        width = srcset_w
    notes = context_notes(ctx, own_logo)
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
_VARIANT_RE = re.compile(fast_alternation(
    ("white", "inverse", "invert", "negative", "(?<![a-z])light", "(?<![a-z])mono", "sticky", "mobile",
     "(?<![a-z])small")
))  # fmt: skip


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


_CSS_URL = re.compile(r"""url\(\s*['"]?([^'")]+?)['"]?\s*\)""", re.IGNORECASE)


def _css_background(el: Any, scan: Scan) -> None:
    """A logo drawn as the CSS background of an element marked logo/brand (older themes do this)."""
    m = _CSS_URL.search(el.get("style") or "")
    if not m or not LOGO_RE.search(attrs_text(el)):
        return
    ctx = context_of(el, scan)
    if ctx.trap:
        scan.dropped.append((m.group(1)[:200], ctx.trap))
        return
    alt = (el.get("title") or el.get("aria-label") or text_of(el) or "").strip()[:120] or None
    notes = [*context_notes(ctx, True), "css-background"]
    if scan.add(m.group(1), "img", "logo", alt=alt, notes=notes, strict=True) is not None:
        scan.img_order += 1
