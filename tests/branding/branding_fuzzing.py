# ruff: noqa: E501 - tables of hostile values and markup read better unbroken
"""Hypothesis strategies for what a stranger's website controls: HTML, JSON-LD, the manifest, SVG.

Shared by the bounded fuzz tests (tests/branding/test_fuzz_extract.py) and the long runs of
``benchmarks/fuzz_branding.py``. Pages are built from the pieces extraction reads (meta, link,
img, inline svg, JSON-LD, microdata, CSS backgrounds) with hostile values mixed in: huge and
non-finite numbers, deep nesting, odd charsets, broken entities and data: URIs, random bytes.
"""

from __future__ import annotations

import base64
import json
import re
import time
from typing import Any

from hypothesis import strategies as st

from enricher.branding import extract
from enricher.branding.candidates import SOURCES
from enricher.branding.extract import Extraction
from enricher.branding.images import ImageInfo, ImageRejectedError, check_image
from enricher.errors import RecordError

#: Seconds one extraction (or one image check) may take on any input before it counts as a failure.
TIME_BOUND = 5.0

URLS = st.sampled_from(
    [
        "https://acme.pl/",
        "https://www.acme-widgets.co.uk/shop/item?id=7",
        "http://xn--mnchen-3ya.de/",
        "https://user:secret@acme.com/a/b/",
        "https://127.0.0.1:8443/",
        "https://shop.example.com/index.html",
    ]
)
NUMBERS = st.one_of(
    st.integers(-(10**6), 10**6).map(str),
    st.sampled_from(["1e400", "-1e400", "nan", "inf", "-inf", "9" * 5000, "0", "0.5px", "100%", "auto", ""]),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)
WORDS = st.sampled_from(
    ["logo", "brand", "header", "footer", "nav", "cookie", "partner", "social", "home", "Acme", "ACME Sp. z o.o.",
     "&amp;", "&am", "&#039;", "<b>", "©", "®", "|", " - ", "【", "】", "_", "Welcome to", "Strona główna", "x.com"]
)  # fmt: skip
TEXT = st.one_of(st.text(max_size=40), st.lists(WORDS, max_size=6).map(" ".join))
CHARSETS = st.one_of(
    st.sampled_from(["utf-8", "latin1", "windows-1250", "zlib", "rot13", "base64", "hex", "bz2", "uu", "idna",
                     "undefined", "utf-16", "utf-7", "x-user-defined", "iso-2022-kr", "", "\"'", "utf-32"]),
    st.text(max_size=12),
)  # fmt: skip


def _attr(value: str) -> str:
    return value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


def _data_uri(raw: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(raw).decode()}"


DATA_URIS = st.builds(
    _data_uri,
    st.one_of(st.binary(max_size=300), st.just(b"\x89PNG\r\n\x1a\n" + b"\0" * 16)),
    st.sampled_from(["image/png", "image/svg+xml", "text/html", "image/gif", ""]),
)
REFS = st.one_of(
    st.sampled_from(["/logo.svg", "logo.png", "//cdn.acme.pl/l.png", "javascript:alert(1)", "https://[::1/", "",
                     "data:,", "data:image/png;base64,!!!!", "/img/logo-white.svg 2x, /img/l.png 1x"]),
    DATA_URIS,
    TEXT,
)  # fmt: skip

JSON_VALUES = st.recursive(
    st.one_of(
        st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), TEXT, REFS,
        st.sampled_from(["Organization", "WebSite", "LocalBusiness", "Brand", "ImageObject", "@id"]),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(
            st.sampled_from(["@type", "@graph", "@id", "name", "logo", "url", "image", "publisher",
                             "alternateName", "legalName", "width", "height", "contentUrl", "icons", "src",
                             "sizes", "purpose", "short_name", "type"]),
            children,
            max_size=6,
        ),
    ),
    max_leaves=25,
)  # fmt: skip


def json_ld_script(text: str) -> str:
    """``text`` inside a JSON-LD script element (a "</" would close it early)."""
    escaped = text.replace("</", "<\\/")
    return f'<script type="application/ld+json">{escaped}</script>'


def deep_json(depth: int) -> str:
    """A JSON array nested ``depth`` deep (a hostile JSON-LD block or manifest)."""
    return "[" * depth + "{}" + "]" * depth


JSON_TEXTS = st.one_of(
    JSON_VALUES.map(json.dumps),
    st.integers(900, 5000).map(deep_json),
    st.text(max_size=200),
    JSON_VALUES.map(lambda v: json.dumps(v) + ",}]"),  # trailing garbage the loader tries to repair
)


@st.composite
def svg_markup(draw: st.DrawFn) -> str:
    """An <svg> element: hostile sizes, colours, sprite references, scripts and handlers."""
    attrs = {
        "class": draw(st.sampled_from(["logo", "icon", "brand-mark", ""])),
        "width": draw(NUMBERS),
        "height": draw(NUMBERS),
        "viewBox": " ".join(draw(st.lists(NUMBERS, min_size=0, max_size=5))),
        "onload": draw(st.sampled_from(["", "alert(1)"])),
    }
    fill = draw(
        st.one_of(st.sampled_from(["#c00", "#12345", "red"]), NUMBERS.map(lambda n: f"rgb({n},{n},0)"))
    )
    inner = draw(
        st.lists(
            st.sampled_from(
                [f'<rect width="10" height="10" fill="{fill}"/>', '<use href="#s"/>', "<script>x()</script>",
                 '<symbol id="s"><path d="M0 0h9"/></symbol>', "<title>Acme</title>", "<svg><svg><g/></svg></svg>",
                 '<image href="/logo.png"/>', "<foreignObject><p>x</p></foreignObject>", "<text>A</text>"]
            ),
            max_size=5,
        )
    )  # fmt: skip
    head = " ".join(f'{k}="{_attr(v)}"' for k, v in attrs.items() if v)
    return f"<svg {head}>{''.join(inner)}</svg>"


@st.composite
def element(draw: st.DrawFn) -> str:
    """One element extraction reads, with hostile attribute values."""
    kind = draw(
        st.sampled_from(["meta", "link", "img", "svg", "script", "title", "div", "a", "base", "picture"])
    )
    if kind == "meta":
        key = draw(st.sampled_from(["og:site_name", "og:logo", "og:image", "og:image:width", "application-name",
                                    "og:url", "og:type", "msapplication-TileImage", "charset", "twitter:site"]))  # fmt: skip
        if key == "charset":
            return f'<meta charset="{_attr(draw(CHARSETS))}">'
        return f'<meta property="{key}" content="{_attr(draw(st.one_of(TEXT, REFS, NUMBERS)))}">'
    if kind == "link":
        rel = draw(
            st.sampled_from(["icon", "apple-touch-icon", "mask-icon", "manifest", "canonical", "logo"])
        )
        sizes = draw(st.one_of(NUMBERS, st.just("any"), st.just("16x16 99999x99999")))
        return f'<link rel="{rel}" href="{_attr(draw(REFS))}" sizes="{_attr(sizes)}">'
    if kind == "img":
        attrs = {
            "src": draw(REFS), "srcset": draw(st.one_of(st.just(""), REFS)), "alt": draw(TEXT),
            "class": draw(st.sampled_from(["logo", "", "site-logo white", "partner"])),
            "width": draw(NUMBERS), "height": draw(NUMBERS), "itemprop": draw(st.sampled_from(["", "logo"])),
            "data-src": draw(st.one_of(st.just(""), REFS)),
        }  # fmt: skip
        return "<img " + " ".join(f'{k}="{_attr(v)}"' for k, v in attrs.items() if v) + ">"
    if kind == "svg":
        return draw(svg_markup())
    if kind == "script":
        return json_ld_script(draw(JSON_TEXTS))
    if kind == "title":
        return f"<title>{_attr(draw(TEXT))}</title>"
    if kind == "base":
        return f'<base href="{_attr(draw(REFS))}">'
    children = "".join(draw(st.lists(element(), max_size=3)))
    cls = draw(st.sampled_from(["header", "footer", "cookie-banner", "logo", "", "nav"]))
    style = draw(st.sampled_from(["", f"background:url({draw(REFS)})"]))
    if kind == "a":
        return f'<a href="{_attr(draw(st.sampled_from(["/", "/index.html", "https://acme.pl/", "#"])))}">{children}</a>'
    if kind == "picture":
        return f'<picture><source srcset="{_attr(draw(REFS))}" type="image/svg+xml">{children}</picture>'
    return f'<div class="{cls}" style="{_attr(style)}" itemscope itemtype="https://schema.org/Organization">{children}</div>'


@st.composite
def pages(draw: st.DrawFn) -> bytes:
    """A whole page as bytes: structured elements, random text, nesting, in a random encoding."""
    head = "".join(draw(st.lists(element(), max_size=6)))
    body = "".join(draw(st.lists(element(), max_size=8)))
    depth = draw(st.sampled_from([0, 0, 0, 300, 3000]))
    html = f"<html><head>{head}</head><body>{'<div>' * depth}{body}{'</div>' * depth}</body></html>"
    encoding = draw(st.sampled_from(["utf-8", "utf-16", "cp1250", "latin-1"]))
    raw = html.encode(encoding, "replace")
    if draw(st.booleans()):
        cut = draw(st.integers(0, len(raw)))
        raw = raw[:cut] + draw(st.binary(max_size=40)) + raw[cut:]
    return raw


def check_extraction(html: bytes | str, url: str, *, encoding: str | None = None) -> Extraction | None:
    """Run one extraction and check the properties every answer must have; None for a clear error."""
    started = time.perf_counter()
    try:
        result = extract(html, url, encoding=encoding)
    except RecordError as exc:
        assert str(exc)  # a clear, one-line error
        return None
    elapsed = time.perf_counter() - started
    assert elapsed < TIME_BOUND, f"extraction took {elapsed:.1f} s"
    contract = result.to_contract()
    cands = contract["candidates"]
    assert cands  # at least the /favicon.ico guess
    assert all(c["source"] in SOURCES and 0 <= c["score"] <= 1 and c["reasons"] for c in cands)
    scores = [c["score"] for c in cands]
    assert scores == sorted(scores, reverse=True)
    assert all(c["url"].startswith(("http://", "https://", "data:image/")) for c in cands)
    assert all("secret" not in c["url"] for c in cands)  # credentials never reach a candidate
    name = contract["displayName"]
    assert name is None or (
        name.strip() == name and name and not re.search(r"&(?:amp|#0?39|quot);|<[a-z/]", name)
    )
    json.dumps(contract)  # serialisable
    return result


def check_image_bytes(data: bytes, content_type: str | None) -> ImageInfo | None:
    """Check one image body: an ImageInfo or an ImageRejectedError with a reason, within the bound."""
    started = time.perf_counter()
    try:
        info = check_image(data, content_type=content_type)
    except ImageRejectedError as exc:
        assert exc.reason
        info = None
    assert time.perf_counter() - started < TIME_BOUND
    return info


def check_manifest(base: Extraction, text: str | bytes) -> Any:
    """Fold a manifest into an extraction: a result, never an exception."""
    after = base.with_manifest(text, "https://acme.pl/site.webmanifest")
    assert after.candidates and all(0 <= c.score <= 1 for c in after.candidates)
    return after
