"""Property-based fuzzing of what a stranger's website controls (issue 11): HTML, JSON-LD, the web app
manifest and SVG. Property: no uncaught exception, a result or a clear error, within a time bound.

Bounded here (a few hundred examples in all, no example database); ``benchmarks/fuzz_branding.py``
runs the same properties for longer. Seeds of failures found are kept below as ``@example`` cases.
"""

from __future__ import annotations

import json

from branding_fuzzing import (
    CHARSETS,
    JSON_TEXTS,
    URLS,
    check_extraction,
    check_image_bytes,
    check_manifest,
    deep_json,
    element,
    json_ld_script,
    pages,
    svg_markup,
)
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from enricher.branding import extract
from enricher.branding.jsonld import load_json_ld

BOUNDED = settings(
    max_examples=60,
    deadline=None,  # the time bound is asserted per call (TIME_BOUND): a shared CI box is slow
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
BASE = extract(b"<title>Acme</title>", "https://acme.pl/")


@BOUNDED
@given(html=pages(), url=URLS)
@example(html=b'<svg class="logo" width="1e400"><rect/></svg>', url="https://acme.pl/")
@example(html=json_ld_script(deep_json(3000)).encode(), url="https://acme.pl/")
@example(html=b'<meta charset="zlib"><title>Acme</title>', url="https://acme.pl/")
@example(html=b"<title>Smith &amp;amp;amp;amp; Sons</title>", url="https://acme.pl/")
@example(html=b'<body><meta property="og:site_name" content="&lt;a"></body>', url="https://acme.pl/")
def test_any_page_gives_a_result(html: bytes, url: str) -> None:
    check_extraction(html, url)


@BOUNDED
@given(html=st.binary(max_size=2000), url=URLS, encoding=st.one_of(st.none(), CHARSETS))
def test_any_bytes_and_any_declared_charset_give_a_result(
    html: bytes, url: str, encoding: str | None
) -> None:
    check_extraction(html, url, encoding=encoding)


@BOUNDED
@given(parts=st.lists(element(), max_size=10), url=URLS)
def test_any_mix_of_signals_gives_a_result(parts: list[str], url: str) -> None:
    check_extraction("".join(parts), url)


@BOUNDED
@given(url=st.text(max_size=60))
def test_any_page_address_gives_a_result_or_a_clear_error(url: str) -> None:
    check_extraction(b"<title>Acme</title>", url)


@BOUNDED
@given(text=JSON_TEXTS)
@example(text=deep_json(3000))
@example(text='{"@id": ["A://["], "@type": "ORGANIZATION"}')  # an organisation's address urlsplit refuses
def test_any_json_ld_text_loads_or_is_dropped(text: str) -> None:
    values = load_json_ld(text, problems := [])
    assert isinstance(values, list)
    assert not problems or values == []
    check_extraction(json_ld_script(text), "https://acme.pl/")


@BOUNDED
@given(text=st.one_of(JSON_TEXTS, st.binary(max_size=300)))
@example(text='{"name": "Acme", "icons": ' + deep_json(3000) + "}")
@example(text=json.dumps({"icons": [{"src": "/i.png", "sizes": "99999x99999", "purpose": ["x"] * 3}]}))
def test_any_manifest_is_read_or_dropped(text: str | bytes) -> None:
    check_manifest(BASE, text)


@BOUNDED
@given(svg=svg_markup(), content_type=st.sampled_from(["image/svg+xml", None, "text/html"]))
@example(svg='<svg width="1e400" viewBox="0 0 1e400 1"><rect/></svg>', content_type="image/svg+xml")
@example(svg='<svg><rect fill="rgb(' + "9" * 5000 + ',0,0)"/></svg>', content_type="image/svg+xml")
def test_any_svg_image_is_checked_or_rejected_with_a_reason(svg: str, content_type: str | None) -> None:
    check_image_bytes(svg.encode(), content_type)
