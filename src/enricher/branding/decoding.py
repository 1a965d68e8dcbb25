"""Bytes to text: which charset a saved or fetched page is in, decided as a browser would.

Order: a byte-order mark, the charset the server sent, the page's own ``<meta charset>`` (or
http-equiv, or XML declaration), UTF-8 when the bytes are valid UTF-8, else a statistical guess.
"""

from __future__ import annotations

import codecs

import charset_normalizer
from bs4.dammit import EncodingDetector

__all__ = ["declared_charset", "decode_html", "guess_charset"]

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
