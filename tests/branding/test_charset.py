"""Pages in old Central European code pages that declare no charset still give readable names."""

from __future__ import annotations

from enricher.branding import extract
from enricher.branding.extract import decode_html

TITLE = "Przedsiębiorstwo Łączności Śląsk"
BODY = "<p>Zażółć gęślą jaźń, spółka z ograniczoną odpowiedzialnością, ul. Łódzka 5, Kraków</p>"


def test_undeclared_windows_1250_page_is_decoded() -> None:
    page = f"<html><head><title>{TITLE}</title></head><body>{BODY}</body></html>".encode("windows-1250")
    text, used = decode_html(page)
    assert TITLE in text
    assert "\ufffd" not in text
    assert extract(page, "https://slask.example/").display_name == TITLE
    assert used == "cp1250"


def test_utf8_without_declaration_stays_utf8() -> None:
    page = f"<title>{TITLE}</title>".encode()
    assert decode_html(page) == (f"<title>{TITLE}</title>", "utf-8")


def test_declared_charset_wins_over_guessing() -> None:
    page = f'<meta charset="windows-1250"><title>{TITLE}</title>'.encode("windows-1250")
    assert decode_html(page)[1] == "cp1250"


def test_declared_charset_reads_what_beautifulsoup_reads() -> None:
    """decoding.py carries bs4's two patterns instead of importing bs4 at start-up: same answers."""
    from pathlib import Path

    from bs4.dammit import EncodingDetector

    from enricher.branding.decoding import declared_charset, web_codec

    samples = [
        b'<?xml version="1.0" encoding="ISO-8859-2"?><html></html>',
        b"  <?xml version='1.0' encoding=''?><meta charset=utf-8>",
        b'<META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=Windows-1250">',
        b"<meta charset=\"utf-8\"/><meta charset='koi8-r'>",
        b"< meta\ncharset = shift_jis >",
        b"<meta name=x content=y><meta charset=>",
        b"<meta charset=\xff\xfe;>",
        b"<script>var s='<meta charset=gbk>'</script>",
        b"<html><head><title>none</title></head></html>",
        b"<meta charset=EUC-KR" + b" " * 20000 + b"<meta charset=big5>",
        b" " * 16380 + b"<meta charset=big5>",
    ]
    pages = Path(__file__).resolve().parent.parent / "fixtures" / "pages"
    samples += [p.read_bytes() for p in sorted(pages.glob("*.html"))]
    detect = EncodingDetector.find_declared_encoding
    for data in samples:
        found = detect(data[:16384], is_html=True, search_entire_document=True)
        assert declared_charset(data) == (web_codec(found) if found else None), data[:80]
