"""Candidate facts and ranking: sizes, formats, data: URIs, traps, scores."""

from __future__ import annotations

import base64

import pytest

from enricher.branding.candidates import (
    LogoCandidate,
    decode_data_uri,
    format_of,
    image_size,
    parse_sizes,
    rank,
    resolve,
    score,
    trap_reason,
)


@pytest.mark.parametrize(
    ("value", "size"),
    [
        ("180x180", (180, 180)),
        ("16x16 32x32 192X192", (192, 192)),
        ("any", (None, None)),
        ("", (None, None)),
        (None, (None, None)),
        ("favicon-96x96.png", (96, 96)),
        ("0x0", (None, None)),
    ],
)
def test_parse_sizes(value: str | None, size: tuple[int | None, int | None]) -> None:
    assert parse_sizes(value) == size


@pytest.mark.parametrize(
    ("url", "mime", "fmt"),
    [
        ("https://a.com/l.SVG", None, "svg"),
        ("https://a.com/l.png?v=3", None, "png"),
        ("https://a.com/l.jpeg", None, "jpg"),
        ("https://a.com/icon", "image/png", "png"),
        ("https://a.com/favicon.ico", None, "ico"),
        ("https://a.com/x.v2/logo", None, None),
        ("data:image/webp;base64,AAAA", None, "webp"),
    ],
)
def test_format_of(url: str, mime: str | None, fmt: str | None) -> None:
    assert format_of(url, mime) == fmt


def test_decode_data_uri_variants_and_caps() -> None:
    assert decode_data_uri("data:image/svg+xml,%3Csvg%2F%3E") == ("image/svg+xml", b"<svg/>")
    assert decode_data_uri("data:image/png;base64,iVBO Rw==") == ("image/png", base64.b64decode("iVBORw=="))
    assert decode_data_uri("data:,") is None
    assert decode_data_uri("https://a.com/x.png") is None
    big = "data:image/png;base64," + "A" * 4000
    assert decode_data_uri(big, max_bytes=1000) is None
    assert decode_data_uri(big, max_bytes=4000) is not None


def test_image_size_reads_png_and_gif_headers() -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\0\0\0\rIHDR" + (300).to_bytes(4, "big") + (80).to_bytes(4, "big")
    assert image_size(png) == (300, 80)
    assert image_size(b"GIF89a" + (16).to_bytes(2, "little") + (8).to_bytes(2, "little")) == (16, 8)
    assert image_size(b"nope") == (None, None)


@pytest.mark.parametrize(
    ("url", "texts", "own", "trap"),
    [
        ("https://a.pl/img/facebook.svg", (), "a.pl", True),
        ("https://a.pl/img/fb-icon.png", (), "a.pl", True),
        ("https://a.pl/img/i.png", ("Follow us on Instagram",), "a.pl", True),
        ("https://a.pl/pay/blik.svg", (), "a.pl", True),
        ("https://a.pl/badges/GooglePlay.png", (), "a.pl", True),
        ("https://a.pl/badges/app-store.svg", (), "a.pl", True),
        ("https://static.xx.fbcdn.net/l.png", (), "a.pl", True),
        ("https://a.pl/img/x-logo.svg", (), "a.pl", True),
        ("https://a.pl/img/logo.png", ("Visa",), "a.pl", True),
        ("https://a.pl/img/logo.png", ("ACME",), "a.pl", False),
        ("https://a.pl/img/installer-logo.png", (), "a.pl", False),  # "insta" only as a word
        ("https://a.pl/img/stripes-logo.png", (), "a.pl", False),
        ("https://www.paypal.com/logo.svg", ("PayPal",), "paypal.com", False),  # its own logo
        ("https://blogger.googleusercontent.com/img/logo.png", (), "myblog.pl", False),
        ("https://a.pl/media/og-share.png", (), "a.pl", False),  # generic words: not in metadata
    ],
)
def test_trap_reason(url: str, texts: tuple[str, ...], own: str, trap: bool) -> None:
    assert (trap_reason(url, *texts, own_domain=own) is not None) is trap


@pytest.mark.parametrize(
    ("url", "alt"),
    [
        ("https://a.pl/images/ue/FE_POIR_poziom_pl-1_rgb.jpg", "Fundusze Europejskie"),
        ("https://a.pl/img/x.png", "Unia Europejska"),
        ("https://a.pl/img/gazele-biznesu-2023.png", ""),
        ("https://a.pl/img/badge.png", "Diamenty Forbesa 2023"),
        ("https://a.pl/img/iso9001-logo.png", ""),
        ("https://a.pl/img/certyfikat-jakosci.png", ""),
    ],
)
def test_badges_next_to_a_logo_are_traps_on_page_images(url: str, alt: str) -> None:
    assert trap_reason(url, alt, own_domain="a.pl", strict=True) is not None


def test_generic_trap_words_only_in_strict_mode() -> None:
    assert trap_reason("https://a.pl/img/partner-logo.png", own_domain="a.pl") is None
    assert trap_reason("https://a.pl/img/partner-logo.png", own_domain="a.pl", strict=True) is not None


def test_resolve_keeps_http_and_data_only() -> None:
    assert resolve("https://a.com/x/", "../l.png") == "https://a.com/l.png"
    assert resolve("https://a.com/x/", "//cdn.b.com/l.png") == "https://cdn.b.com/l.png"
    assert resolve("https://a.com/", " \n/l\t.png ") == "https://a.com/l.png"
    assert resolve("https://a.com/", "DATA:image/png;base64,AA") == "data:image/png;base64,AA"
    for bad in ("javascript:alert(1)", "mailto:x@a.com", "ftp://a.com/l.png", "", None, "http://[::1"):
        assert resolve("https://a.com/", bad) is None


def cand(**kw: object) -> LogoCandidate:
    base: dict[str, object] = {"url": "https://a.com/l.png", "source": "img", "kind": "logo"}
    return LogoCandidate(**{**base, **kw})  # type: ignore[arg-type]


def test_scores_follow_the_stated_preferences() -> None:
    header_logo = cand(notes=("logo-word", "home-link", "header"))
    assert score(header_logo) > score(cand(notes=("logo-word", "footer")))
    assert score(header_logo) > score(cand(notes=("header",)))
    assert score(cand(source="json-ld")) > score(cand(source="apple-touch-icon", kind="icon"))
    icon = {"source": "icon", "kind": "icon"}
    assert score(cand(**icon, width=192, height=192)) > score(cand(**icon, width=16, height=16))
    assert score(cand(**icon, width=512, height=512)) > score(cand(**icon, width=192, height=192))
    assert score(cand(**icon, width=192, height=192)) > score(cand(**icon, width=192, height=96))
    for better, worse in (("svg", "png"), ("png", "webp"), ("webp", "jpg"), ("jpg", "ico")):
        assert score(cand(**icon, format=better)) >= score(cand(**icon, format=worse))
    assert score(cand(source="og:image", kind="image")) < score(cand(**icon))
    assert (
        0 < score(cand(source="favicon.ico", kind="favicon")) < score(cand(source="og:image", kind="image"))
    )
    assert all(0 <= score(cand(notes=n)) <= 1 for n in [(), ("placeholder", "footer"), ("logo-word",) * 3])


def test_rank_merges_duplicates_and_keeps_favicon_last() -> None:
    ranked = rank(
        [
            cand(url="https://a.com/favicon.ico", source="favicon.ico", kind="favicon"),
            cand(url="https://a.com/l.png", notes=("footer",)),
            cand(url="https://a.com/l.png", notes=("logo-word", "header"), width=None),
            cand(url="https://a.com/l.png", source="og:image", kind="image", width=400, height=100),
        ]
    )
    assert [c.url for c in ranked] == ["https://a.com/l.png", "https://a.com/favicon.ico"]
    assert ranked[0].notes == ("logo-word", "header") and ranked[0].width == 400
