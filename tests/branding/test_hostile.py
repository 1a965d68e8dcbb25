"""Hostile page content (issue 11, defects 6 and 7): the bad candidate or block is dropped with a reason,
the rest of the page is used, and odd charsets fall back as a browser would. Nothing raises."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from enricher.branding import extract
from enricher.branding.decoding import decode_html, web_codec
from enricher.branding.images import ImageRejectedError, check_image
from enricher.branding.jsonld import load_json_ld
from enricher.branding.manifest import parse_manifest

HOSTILE = Path(__file__).parents[1] / "fixtures" / "sites" / "hostile"
URL = "https://hostile.example.pl/"
DEEP = "[" * 3000 + "{}" + "]" * 3000


def test_hostile_page_keeps_its_good_logo_and_name_and_says_what_it_dropped() -> None:
    result = extract((HOSTILE / "index.html").read_bytes(), URL)
    assert result.display_name == "Hostile Widgets"
    assert result.logo_url is not None and not result.logo_url.startswith("data:")
    reasons = dict(result.dropped)
    assert "width/height out of range" in reasons["inline svg"]
    assert "nested too deep" in reasons["JSON-LD block"]


def test_inline_svg_with_an_absurd_size_is_dropped_not_fatal() -> None:
    for attrs in ('width="1e400"', 'viewBox="0 0 1e400 10"', 'width="nan"', 'viewBox="0 0 -inf inf"'):
        page = (
            f'<header><a href="/"><svg class="logo" {attrs}><rect width="5" height="5"/></svg></a></header>'
        )
        result = extract(page, URL)
        assert not any(c.source == "svg" for c in result.candidates), attrs
        assert ("inline svg", "width/height out of range") in result.dropped


def test_json_ld_nested_3000_deep_is_dropped_and_the_next_block_used() -> None:
    assert load_json_ld(DEEP) == []
    page = (
        f'<script type="application/ld+json">{DEEP}</script>'
        '<script type="application/ld+json">{"@type": "Organization", "name": "Deep Six",'
        ' "logo": "/brand.png"}</script>'
    )
    result = extract(page, URL)
    assert result.display_name == "Deep Six"
    assert result.logo_url == "https://hostile.example.pl/brand.png"


def test_manifest_nested_3000_deep_is_dropped_with_a_reason() -> None:
    text = (HOSTILE / "site.webmanifest").read_text()
    assert parse_manifest(text, URL + "site.webmanifest") == []
    base = extract((HOSTILE / "index.html").read_bytes(), URL)
    after = base.with_manifest(text, URL + "site.webmanifest")
    assert after.display_name == "Hostile Widgets" and after.logo_url == base.logo_url
    assert any(what.endswith("site.webmanifest") and "nested too deep" in why for what, why in after.dropped)


@pytest.mark.parametrize(
    ("file", "reason"), [("wide.svg", "SVG size out of range"), ("colour.svg", "SVG colour out of range")]
)
def test_hostile_svg_images_are_rejected_with_a_reason(file: str, reason: str) -> None:
    with pytest.raises(ImageRejectedError) as caught:
        check_image((HOSTILE / "img" / file).read_bytes(), content_type="image/svg+xml")
    assert caught.value.reason == reason


def test_offline_brand_html_prints_json_and_no_traceback() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "enricher", "brand", "--html", str(HOSTILE / "index.html"), "--url", URL],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert '"displayName": "Hostile Widgets"' in proc.stdout


# --- defect 7: only WHATWG encoding labels are honoured -------------------------------------------------

TITLE = "Zażółć Gęślą Jaźń"


@pytest.mark.parametrize(
    "label", ["zlib", "rot13", "base64", "hex", "bz2", "uu", "idna", "undefined", "utf-7"]
)
def test_non_web_charsets_fall_back_as_a_browser_would(label: str) -> None:
    assert web_codec(label) is None
    page = f'<html><head><meta charset="{label}"><title>{TITLE}</title></head></html>'.encode()
    text, codec = decode_html(page)
    assert codec == "utf-8" and TITLE in text  # ignored: the UTF-8 bytes are read as UTF-8
    assert extract(page, URL).display_name == TITLE
    # The same label from an HTTP header is ignored too.
    assert decode_html(page, label)[1] == "utf-8"
    assert extract(page, URL, encoding=label).display_name == TITLE


def test_non_web_charset_on_a_legacy_page_falls_back_to_a_guess() -> None:
    page = f'<html><head><meta charset="rot13"><title>{TITLE}</title></head></html>'.encode("windows-1250")
    text, codec = decode_html(page)
    assert TITLE in text and codec == "cp1250"


@pytest.mark.parametrize(
    ("label", "codec"),
    [
        ("latin1", "cp1252"),  # WHATWG: iso-8859-1 means windows-1252
        ("ascii", "cp1252"),
        ("x-user-defined", "cp1252"),
        ("UTF8", "utf-8"),
        ('"windows-1250"', "cp1250"),
        ("shift_jis", "cp932"),
        ("cp1250", "cp1250"),  # a Python codec name of a web encoding (what the fetcher passes on)
        ("euc_kr", "cp949"),
        ("iso-2022-kr", None),  # the spec's "replacement": a browser would show nothing
    ],
)
def test_web_labels_map_to_the_codec_browsers_use(label: str, codec: str | None) -> None:
    assert web_codec(label) == codec
