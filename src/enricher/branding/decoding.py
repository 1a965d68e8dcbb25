"""Bytes to text: which charset a saved or fetched page is in, decided as a browser would.

Order: a byte-order mark, the charset the server sent, the page's own ``<meta charset>`` (or
http-equiv, or XML declaration), UTF-8 when the bytes are valid UTF-8, else a statistical guess.
"""

from __future__ import annotations

import codecs
import re
from functools import lru_cache

import webencodings

__all__ = ["declared_charset", "decode_html", "guess_charset", "web_codec"]


def web_codec(label: str | None) -> str | None:
    """The Python codec of a WHATWG encoding label (the only labels browsers honour), or None.

    ``zlib``, ``rot13``, ``base64``, ``hex``, ``bz2``, ``uu``, ``idna``, ``undefined`` and every other
    Python codec that is no web encoding give None, so the page falls back as a browser would. So
    does the spec's "replacement" (ISO-2022-KR, HZ-GB-2312...: a browser shows the page as one U+FFFD).
    The labels come from ``webencodings`` (the WHATWG Encoding Standard's table, maintained); Python
    codec names of web encodings (``cp1250``, ``euc_kr``: what the fetcher passes on) are accepted too.
    """
    if not label:
        return None
    text = label.strip().strip("\"'").strip().lower()
    found = webencodings.lookup(text)
    if found is None:
        try:
            python_name = codecs.lookup(text).name
        except (LookupError, ValueError):
            return None
        return _web_codecs().get(python_name)
    if found.name == "replacement":
        return None
    if found.name == "x-user-defined":
        return "cp1252"  # the HTML spec reads an x-user-defined declaration as windows-1252
    return codecs.lookup(found.codec_info.name).name


@lru_cache(maxsize=1)
def _web_codecs() -> dict[str, str]:
    """Python codec name -> the web codec it stands for, for every WHATWG label Python knows."""
    out: dict[str, str] = {}
    for label in webencodings.LABELS:
        codec = web_codec(label)
        if codec is None:
            continue
        try:
            out.setdefault(codecs.lookup(label).name, codec)
        except LookupError:
            continue
        out.setdefault(codec, codec)
    return out


# BeautifulSoup's own two patterns (bs4.dammit ``xml_encoding``/``html_meta``, unchanged since 4.x),
# applied as its ``EncodingDetector.find_declared_encoding(..., is_html=True,
# search_entire_document=True)`` does: importing bs4 for them cost ~0.06-0.1 s of every start-up
# (soupsieve, chardet). tests/branding/test_charset.py checks they still agree with bs4's.
_XML_DECLARED = re.compile(rb"^\s*<\?.*encoding=['\"](.*?)['\"].*\?>", re.I)
_META_DECLARED = re.compile(rb"<\s*meta[^>]+charset\s*=\s*[\"']?([^>]*?)[ /;'\">]", re.I)


def declared_charset(data: bytes) -> str | None:
    """The codec a page declares in ``<meta charset>``/http-equiv or an XML declaration, if known.

    The scan is BeautifulSoup's ``EncodingDetector``'s (follows what browsers accept); we look at
    the first 16 KB: browsers read 1 KB, but real pages put scripts before the meta.
    """
    head = data[:16384]
    match = _XML_DECLARED.search(head) or _META_DECLARED.search(head)
    found = match.group(1).decode("ascii", "replace").lower() if match else ""
    return web_codec(found) if found else None


def decode_html(data: str | bytes, encoding: str | None = None) -> tuple[str, str]:
    """(text, codec used): BOM, then the given encoding (HTTP header), then ``<meta charset>``/
    http-equiv, then UTF-8 if the bytes are UTF-8, else a guess; undecodable bytes become U+FFFD.
    Only WHATWG encoding labels are honoured (:func:`web_codec`); any other label is ignored."""
    if isinstance(data, str):
        return data, "unicode"
    for bom, name in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
                      (codecs.BOM_UTF16_BE, "utf-16-be")):  # fmt: skip
        if data.startswith(bom):
            return data[len(bom) :].decode(name, "replace"), name
    codec = web_codec(encoding)
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
    so its cost (milliseconds) does not touch the common UTF-8 case, nor its import the start-up.
    """
    import charset_normalizer

    best = charset_normalizer.from_bytes(data[:65536]).best()
    if best is None:
        return None
    # A guess browsers could not make (EBCDIC, UTF-7...) is no guess: windows-1252, their own default.
    return web_codec(best.encoding) or "cp1252"
