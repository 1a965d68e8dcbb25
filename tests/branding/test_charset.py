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
