"""Offline extraction against the saved fixture pages (tests/fixtures/pages/expected.json) and traps."""

from __future__ import annotations

import base64
import json
import random
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from enricher.branding import (
    DATA_URI_MAX_BYTES,
    SOURCES,
    Extraction,
    LogoCandidate,
    decode_data_uri,
    decode_html,
    extract,
    parse_manifest,
)
from enricher.branding.extract import MAX_CANDIDATES
from enricher.errors import RecordError

PAGES = Path(__file__).parent.parent / "fixtures" / "pages"
TABLE: list[dict[str, Any]] = json.loads((PAGES / "expected.json").read_text("utf-8"))["pages"]


def run(row: dict[str, Any]) -> Extraction:
    return extract((PAGES / row["file"]).read_bytes(), row["url"], known_name=row.get("knownName"))


@pytest.mark.parametrize("row", TABLE, ids=[r["file"] for r in TABLE])
def test_fixture_page_gives_expected_name_and_logo(row: dict[str, Any]) -> None:
    result = run(row)
    assert result.display_name == row["displayName"]
    if "logoUrl" in row:
        assert result.logo_url == row["logoUrl"]
    else:
        assert result.logo_url is not None and result.logo_url.startswith(row["logoUrlPrefix"])
        assert result.candidates[0].source == row["logoSource"]
    if "manifestUrl" in row:
        assert result.manifest_url == row["manifestUrl"]


@pytest.mark.parametrize("row", TABLE, ids=[r["file"] for r in TABLE])
def test_contract_shape_and_order(row: dict[str, Any]) -> None:
    out = run(row).to_contract(row["url"])
    assert list(out) == ["url", "displayName", "logoUrl", "candidates"]
    assert out["url"] == row["url"]
    cands = out["candidates"]
    assert cands and out["logoUrl"] == cands[0]["url"]
    assert all(set(c) == {"url", "source", "width", "height", "score", "reasons"} for c in cands)
    assert all(c["reasons"] and c["reasons"][0]["why"] for c in cands)
    assert all(c["source"] in SOURCES and 0 <= c["score"] <= 1 for c in cands)
    # Best first, and /favicon.ico is always present as the last resort.
    assert cands[-1]["source"] == "favicon.ico"
    scores = [c["score"] for c in cands[:-1]]
    assert scores == sorted(scores, reverse=True)
    assert len({c["url"] for c in cands}) == len(cands)
    json.dumps(out)


TRAP_WORDS = ("cookie", "onetrust", "facebook", "ig-logo", "ikea", "blum", "hettich", "blik", "przelewy24",
              "visa", "mastercard", "paypal", "google-play", "app-store", "linkedin", "yt-logo", "x-logo",
              "stripe", "twitter", "fbcdn", "dhl")  # fmt: skip


@pytest.mark.parametrize("name", ["traps.html", "traps-only.html"])
def test_third_party_logos_are_never_candidates(name: str) -> None:
    row = next(r for r in TABLE if r["file"] == name)
    result = run(row)
    urls = " ".join(c.url for c in result.candidates).lower()
    for word in TRAP_WORDS:
        assert word not in urls, word
    assert len(result.dropped) >= 5  # and each refusal is explained
    assert all(why for _, why in result.dropped)


def test_trap_words_in_own_domain_are_not_traps() -> None:
    html = '<header><a href="/"><img src="/img/paypal-logo.svg" alt="PayPal"></a></header>'
    result = extract(html, "https://www.paypal.com/pl/home")
    assert result.logo_url == "https://www.paypal.com/img/paypal-logo.svg"


def test_footer_logo_loses_to_header_logo_and_og_image_is_weak() -> None:
    html = """<head><meta property="og:image" content="/share.jpg"></head><body>
    <footer><img class="footer-logo" src="/f-logo.png"></footer>
    <header><a href="/"><img class="logo" src="/h-logo.png"></a></header></body>"""
    result = extract(html, "https://firma.pl/")
    assert [c.url.rsplit("/", 1)[-1] for c in result.candidates] == [
        "h-logo.png", "f-logo.png", "share.jpg", "favicon.ico"
    ]  # fmt: skip


def test_ranking_prefers_larger_declared_sizes_and_better_formats() -> None:
    html = """<link rel="icon" href="/a.ico"><link rel="icon" href="/b.png" sizes="16x16">
    <link rel="icon" href="/c.png" sizes="192x192"><link rel="icon" href="/d.svg" type="image/svg+xml">"""
    names = [c.url.rsplit("/", 1)[-1] for c in extract(html, "https://x.org/").candidates]
    assert names[:2] == ["d.svg", "c.png"]
    assert names.index("b.png") > names.index("c.png")
    assert names[-1] == "favicon.ico"


def test_logo_kind_beats_icon_kind() -> None:
    html = """<link rel="apple-touch-icon" sizes="180x180" href="/touch.png">
    <script type="application/ld+json">{"@type":"Organization","logo":"/org.png"}</script>"""
    result = extract(html, "https://x.org/")
    assert result.candidates[0].kind == "logo" and result.candidates[0].url.endswith("/org.png")


def test_oversized_data_uri_is_refused() -> None:
    payload = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * (DATA_URI_MAX_BYTES + 10)).decode()
    html = f'<header><img class="logo" src="data:image/png;base64,{payload}"></header>'
    result = extract(html, "https://big.com/")
    assert all(not c.url.startswith("data:") for c in result.candidates)
    assert any("data: URI" in why for _, why in result.dropped)


def test_malformed_data_uri_is_refused_and_small_png_gets_its_size() -> None:
    assert decode_data_uri("data:image/png;base64,@@@") is None
    assert decode_data_uri("data:image/png;base64") is None
    row = next(r for r in TABLE if r["file"] == "data-uri-logo.html")
    best = run(row).candidates[0]
    assert (best.width, best.height, best.format) == (48, 48, "png")


def test_inline_svg_is_a_standalone_safe_svg_document() -> None:
    row = next(r for r in TABLE if r["file"] == "svg-inline-only.html")
    best = run(row).candidates[0]
    mime, data = decode_data_uri(best.url) or ("", b"")
    assert mime == "image/svg+xml"
    doc = etree.fromstring(data)  # well-formed XML
    assert doc.tag == "{http://www.w3.org/2000/svg}svg"
    assert doc.get("viewBox") == "0 0 240 60"  # camelCase restored after the HTML parser lowered it
    assert doc.find("{http://www.w3.org/2000/svg}linearGradient").get("gradientUnits") == "userSpaceOnUse"
    text = data.decode()
    assert "script" not in text and "onclick" not in text and "alert" not in text
    assert (best.width, best.height) == (240, 60)
    # The burger and search icons in the same header are not logo candidates.
    assert [c.source for c in run(row).candidates].count("svg") == 1


def test_svg_sprite_reference_is_inlined() -> None:
    html = """<svg style="display:none">
    <symbol id="brand" viewBox="0 0 50 20"><path d="M0 0h50v20z"/></symbol></svg>
    <header><a href="/" class="logo"><svg><use xlink:href="#brand"></use></svg></a></header>"""
    best = extract(html, "https://sprite.io/").candidates[0]
    assert best.source == "svg"
    _, data = decode_data_uri(best.url) or ("", b"")
    assert b"<path" in data and b"<use" not in data and b'viewBox="0 0 50 20"' in data


def test_base_href_also_applies_to_icons_and_protocol_relative_urls_keep_the_page_scheme() -> None:
    html = """<base href="/assets/v2/"><link rel="icon" href="i.png" sizes="64x64">
    <link rel="apple-touch-icon" href="//cdn.site.com/t.png">"""
    urls = {c.url for c in extract(html, "http://site.com/shop/item").candidates}
    assert {
        "http://site.com/assets/v2/i.png",
        "http://cdn.site.com/t.png",
        "http://site.com/favicon.ico",
    } == urls


def test_unsupported_schemes_are_ignored() -> None:
    html = """<link rel="icon" href="javascript:alert(1)"><link rel="icon" href="ftp://x.com/i.png">
    <header><img class="logo" src="file:///etc/passwd"></header>"""
    assert [c.source for c in extract(html, "https://x.com/").candidates] == ["favicon.ico"]


def test_json_ld_publisher_and_primary_org_by_domain() -> None:
    html = """<script type="application/ld+json">
    {"@type": "Organization", "name": "Payments Partner", "url": "https://partner.com", "logo": "https://partner.com/l.png"}
    </script><script type="application/ld+json">
    {"@type": "WebSite", "name": "Brzoza", "publisher": {"@type": "Organization", "name": "Brzoza",
     "url": "https://brzoza.pl/",
     "logo": {"@type": "ImageObject", "contentUrl": "/b.png", "width": {"value": 300}}}}
    </script>"""
    result = extract(html, "https://brzoza.pl/")
    assert result.logo_url == "https://brzoza.pl/b.png"
    assert result.candidates[0].width == 300
    assert result.display_name == "Brzoza"
    assert "Payments Partner" not in [s.value for s in result.name_signals]
    assert all("partner.com" not in c.url for c in result.candidates)


def test_hopeless_json_ld_is_ignored_quietly() -> None:
    html = '<script type="application/ld+json">{"@type": "Organization", "logo": </script><title>Ok Co'
    result = extract(html, "https://ok.com/")
    assert result.display_name == "Ok Co" and result.logo_url == "https://ok.com/favicon.ico"


def test_manifest_icons_resolve_against_the_manifest_and_feed_back_in() -> None:
    row = next(r for r in TABLE if r["file"] == "manifest-link.html")
    page = run(row)
    text = (PAGES / "site.webmanifest").read_text("utf-8")
    icons = parse_manifest(text, page.manifest_url or "")
    assert [c.url for c in icons] == [
        "https://tidepool.app/app/icons/tp-192.png",
        "https://tidepool.app/app/icons/tp-512.png",
        "https://tidepool.app/app/icons/tp-mono.svg",
    ]
    assert all(isinstance(c, LogoCandidate) and c.source == "manifest" for c in icons)
    merged = page.with_manifest(text)
    assert merged.logo_url == "https://tidepool.app/app/icons/tp-512.png"
    assert merged.candidates[-1].source == "favicon.ico"
    assert merged.display_name == "Tidepool"
    assert parse_manifest("not json", "https://tidepool.app/m.json") == []
    assert parse_manifest(b'{"icons": "nope"}', "https://tidepool.app/m.json") == []


def test_windows_1250_bytes_are_decoded_by_meta_or_by_given_encoding() -> None:
    raw = (PAGES / "windows-1250.html").read_bytes()
    text, codec = decode_html(raw)
    assert codec == "cp1250" and "Łódź" in text and "\ufffd" not in text
    # Without the meta the caller's (HTTP header) encoding decides; with neither, a guess (not U+FFFD).
    bare = raw.replace(b"charset=windows-1250", b"")
    given = extract(bare, "https://zml-lodz.pl/", encoding="windows-1250")
    assert given.display_name == "Zakłady Mięsne Łódź"
    assert "\ufffd" not in decode_html(bare)[0] and "Łódź" in decode_html(bare)[0]
    assert decode_html(b"\xef\xbb\xbf<title>\xc5\x81\xc3\xb3d\xc5\xba</title>")[0] == "<title>Łódź</title>"
    assert decode_html(b"<meta charset=bogus-charset>caf\xc3\xa9")[1] == "utf-8"


@pytest.mark.parametrize("html", ["", "   ", b"", b"\x00\x00", "<html></html>", "<<<>>>", "<svg><svg><svg>"])
def test_empty_or_junk_pages_still_give_favicon_and_domain(html: str | bytes) -> None:
    result = extract(html, "https://www.zielony-ogrod.pl/")
    assert result.logo_url == "https://www.zielony-ogrod.pl/favicon.ico"
    assert result.display_name == "Zielony Ogrod"


@pytest.mark.parametrize("url", ["", "acme.com", "ftp://acme.com/", "https://", "javascript:alert(1)"])
def test_bad_page_url_is_a_record_error(url: str) -> None:
    with pytest.raises(RecordError, match="absolute http"):
        extract("<title>x</title>", url)


def test_str_and_bytes_give_the_same_result() -> None:
    row = next(r for r in TABLE if r["file"] == "jsonld-graph.html")
    raw = (PAGES / row["file"]).read_bytes()
    from_bytes, from_str = extract(raw, row["url"]), extract(raw.decode("utf-8"), row["url"])
    assert from_bytes.to_contract() == from_str.to_contract()
    assert from_bytes.name_signals == from_str.name_signals


def test_with_candidates_reranks() -> None:
    page = extract("<title>A</title>", "https://a.com/")
    extra = LogoCandidate(url="https://a.com/x.svg", source="og:logo", kind="logo", format="svg")
    merged = page.with_candidates([extra])
    assert merged.logo_url == "https://a.com/x.svg" and merged.candidates[-1].source == "favicon.ico"
    assert merged.candidates[0].score > 0


def test_name_source_is_the_winning_signal() -> None:
    rows = {r["file"]: r for r in TABLE}
    assert run(rows["lazy-data-src.html"]).name_source == "og:site_name"
    assert run(rows["jsonld-graph.html"]).name_source == "json-ld:name"
    assert run(rows["title-welcome.html"]).name_source == "title"
    assert run(rows["microdata-name.html"]).name_source == "microdata:name"
    assert run(rows["no-name.html"]).name_source == "domain"


def test_base_href_applies_to_links_before_it() -> None:
    html = '<head><link rel="icon" href="i.png" sizes="64x64"><base href="https://cdn.x.com/a/"></head>'
    assert extract(html, "https://x.com/p/q").logo_url == "https://cdn.x.com/a/i.png"


def test_a_logo_wall_is_capped_and_favicon_stays_last() -> None:
    imgs = "".join(f'<img class="logo" src="/l/{i}.png">' for i in range(300))
    result = extract(f"<header>{imgs}</header>", "https://wall.com/")
    assert len(result.candidates) == MAX_CANDIDATES
    assert result.candidates[0].url == "https://wall.com/l/0.png"
    assert result.candidates[-1].source == "favicon.ico"


def test_mangled_pages_never_raise() -> None:
    # Truncated, spliced and byte-flipped copies of every fixture: extraction degrades, never fails.
    rng = random.Random(4)
    sources = [(PAGES / r["file"]).read_bytes() for r in TABLE]
    for i in range(300):
        raw = bytearray(rng.choice(sources))
        cut = rng.randrange(len(raw))
        if i % 3 == 0:
            raw = raw[:cut]
        elif i % 3 == 1:
            raw[cut:cut] = rng.choice(sources)[: rng.randrange(400)]
        else:
            for _ in range(20):
                raw[rng.randrange(len(raw))] = rng.randrange(256)
        result = extract(bytes(raw), "https://mangled.example.com/x/")
        json.dumps(result.to_contract())
        assert result.candidates[-1].source == "favicon.ico"


def test_public_api_of_the_package() -> None:
    import enricher.branding as branding

    expected = {
        "DATA_URI_MAX_BYTES", "SOURCES", "EnrichSummary", "Extraction", "LogoCandidate", "NameSignal",
        "brand_url", "choose_name", "clean_name", "decode_data_uri", "decode_html", "enrich_all", "extract",
        "parse_manifest", "rank", "title_parts", "trap_reason",
        # the online half the CLI and the jobs use, loaded on first use (issue 13: imports through faces)
        "AddressGuard", "EnrichOutcome", "GuardedTransport", "SafeFetcher", "demo_fetcher",
        "enrich_counterparty", "system_resolver",
    }  # fmt: skip
    assert set(branding.__all__) == expected
    assert all(getattr(branding, name) is not None for name in expected)


def test_credentials_in_the_page_url_never_reach_candidates() -> None:
    result = extract('<link rel="icon" href="/i.png">', "https://user:secret@site.pl:8443/a/")
    assert all("secret" not in c.url for c in result.candidates)
    assert result.candidates[-1].url == "https://site.pl:8443/favicon.ico"


def test_picture_sources_are_candidates_too() -> None:
    html = """<header><a href="/"><picture><source type="image/svg+xml" srcset="/brand/logo.svg">
    <source srcset="/brand/logo.webp 1x, /brand/logo@2x.webp 2x" type="image/webp">
    <img src="/brand/logo.png" alt="Pictor"></picture></a></header>"""
    urls = [c.url for c in extract(html, "https://pictor.io/").candidates]
    assert urls[0] == "https://pictor.io/brand/logo.svg"
    assert {"https://pictor.io/brand/logo@2x.webp", "https://pictor.io/brand/logo.png"} <= set(urls)


def test_inline_svg_with_an_embedded_image_points_at_an_absolute_url() -> None:
    html = '<a href="/" class="logo"><svg viewBox="0 0 10 10"><image href="img/l.png"/></svg></a>'
    best = extract(html, "https://emb.de/de/").candidates[0]
    _, data = decode_data_uri(best.url) or ("", b"")
    assert b'href="https://emb.de/de/img/l.png"' in data


def test_page_wide_classes_on_body_do_not_make_everything_a_trap() -> None:
    html = """<html class="has-cookie-bar"><body class="cmplz-cookiebanner-visible social sticky-footer">
    <header><a href="/"><img class="logo" src="/logo.png"></a></header></body></html>"""
    result = extract(html, "https://body.pl/")
    assert result.logo_url == "https://body.pl/logo.png"
    assert "footer" not in result.candidates[0].notes


def test_own_header_inside_a_broad_wrapper_resets_the_trap_but_not_inside_a_cookie_dialog() -> None:
    html = """<div class="layout social-enabled"><header><a href="/"><img class="logo" src="/logo.png"></a>
    <ul class="social"><li><img class="logo" src="/ig.png"></li></ul></header></div>
    <div id="cookie-dialog"><header><img class="logo" src="/cmp-logo.png"></header></div>"""
    urls = [c.url for c in extract(html, "https://wrap.pl/").candidates]
    assert urls == ["https://wrap.pl/logo.png", "https://wrap.pl/favicon.ico"]
