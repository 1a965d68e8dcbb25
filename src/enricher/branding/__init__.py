"""Branding: find a counterparty's logo and brand name on its website, safely.

Offline (pure, no network): :func:`extract` reads a saved page and returns an :class:`Extraction`
with ranked :class:`LogoCandidate` objects and the display name chosen from its
:class:`NameSignal` objects; :func:`parse_manifest` turns a fetched web app manifest into more
candidates. Online: :func:`brand_url` fetches a live site with the safe fetcher, extracts it and
checks the images; :func:`enrich_all` writes ``logoUrl``/``displayName`` back to Flowtly.

The online names load on first use: offline extraction (``enricher brand --html``) then starts
without the HTTP client, the fetcher and the Flowtly models.
"""

from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    from enricher.branding.demo_web import demo_fetcher
    from enricher.branding.enrich import EnrichOutcome, EnrichSummary, enrich_all, enrich_counterparty
    from enricher.branding.fetch import GuardedTransport, SafeFetcher
    from enricher.branding.guard import AddressGuard, system_resolver
    from enricher.branding.online import brand_url

_LAZY = {
    "AddressGuard": "guard",
    "EnrichOutcome": "enrich",
    "EnrichSummary": "enrich",
    "GuardedTransport": "fetch",
    "SafeFetcher": "fetch",
    "brand_url": "online",
    "demo_fetcher": "demo_web",
    "enrich_all": "enrich",
    "enrich_counterparty": "enrich",
    "system_resolver": "guard",
}


def __getattr__(name: str) -> Any:
    """The online half (fetcher, guard, enrichment, the demo web), imported when first asked for."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"enricher.branding.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DATA_URI_MAX_BYTES",
    "SOURCES",
    "AddressGuard",
    "EnrichOutcome",
    "EnrichSummary",
    "Extraction",
    "GuardedTransport",
    "LogoCandidate",
    "NameSignal",
    "SafeFetcher",
    "brand_url",
    "choose_name",
    "clean_name",
    "decode_data_uri",
    "decode_html",
    "demo_fetcher",
    "enrich_all",
    "enrich_counterparty",
    "extract",
    "parse_manifest",
    "rank",
    "system_resolver",
    "title_parts",
    "trap_reason",
]
