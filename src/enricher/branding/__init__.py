"""Branding: find a counterparty's logo and brand name on its website, safely.

The offline half (this package's pure modules) reads a saved page: :func:`extract` returns an
:class:`Extraction` with ranked :class:`LogoCandidate` objects and the chosen display name.
"""

from enricher.branding.candidates import (
    DATA_URI_MAX_BYTES,
    SOURCES,
    LogoCandidate,
    decode_data_uri,
    rank,
    trap_reason,
)
from enricher.branding.extract import Extraction, decode_html, extract, parse_manifest
from enricher.branding.names import NameSignal, choose_name, clean_name, title_parts

__all__ = [
    "DATA_URI_MAX_BYTES",
    "SOURCES",
    "Extraction",
    "LogoCandidate",
    "NameSignal",
    "choose_name",
    "clean_name",
    "decode_data_uri",
    "decode_html",
    "extract",
    "parse_manifest",
    "rank",
    "title_parts",
    "trap_reason",
]
