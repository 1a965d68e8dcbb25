"""Offline extraction of a page's logo candidates and display name (pure: no network).

One pass over the parsed page collects every signal with its source: JSON-LD organisations,
``og:logo``, ``itemprop=logo``, ``<img>``/inline ``<svg>`` logos in the header or marked "logo",
``<link rel>`` icons, msapplication tiles, ``og:image`` and finally ``/favicon.ico``. The web app
manifest cannot be read offline: its URL is returned (``manifest_url``) and the fetcher feeds the
fetched text back through :meth:`Extraction.with_manifest`.

The work is split by signal, one module each: :mod:`~enricher.branding.decoding` (bytes to text),
:mod:`~enricher.branding.page` (the walk over the parsed page, ``<meta>``/``<link>``/``<img>``),
:mod:`~enricher.branding.jsonld` (JSON-LD and microdata), :mod:`~enricher.branding.svg` (inline
SVG), :mod:`~enricher.branding.manifest` and :mod:`~enricher.branding.names`. This module puts
them together and keeps the public API (everything callers imported from here before the split).
"""

from __future__ import annotations

from codecs import BOM_UTF8 as BOM
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from enricher.branding.candidates import LogoCandidate, rank
from enricher.branding.decoding import declared_charset, decode_html, guess_charset
from enricher.branding.jsonld import load_json_ld
from enricher.branding.manifest import (
    manifest_icons,
    manifest_name_signals,
    manifest_names,
    parse_manifest,
    read_manifest,
)
from enricher.branding.names import (
    NameSignal,
    compact,
    domain_label,
    logo_alt_signals,
    page_name,
    registered_domain,
)
from enricher.branding.page import MAX_UNMARKED, copyright_signal, parse, walk
from enricher.branding.scan import NEAR_LEVELS, Scan
from enricher.branding.svg import SVG_MAX_BYTES, serialise_svg
from enricher.errors import RecordError

__all__ = [
    "MAX_CANDIDATES",
    "MAX_UNMARKED",
    "NEAR_LEVELS",
    "SVG_MAX_BYTES",
    "Extraction",
    "declared_charset",
    "decode_html",
    "extract",
    "guess_charset",
    "load_json_ld",
    "manifest_names",
    "parse_manifest",
    "serialise_svg",
]

#: Candidates kept per page, best first (the last is always /favicon.ico).
MAX_CANDIDATES = 40


@dataclass(frozen=True)
class Extraction:
    """What one page says about its brand: ranked logo candidates and the chosen display name."""

    url: str
    display_name: str | None
    name_signals: list[NameSignal]
    candidates: list[LogoCandidate]  # best first; /favicon.ico last
    manifest_url: str | None = None
    base_url: str = ""
    title: str | None = None
    encoding: str = "utf-8"
    known_name: str | None = None
    dropped: list[tuple[str, str]] = field(default_factory=list)  # (url, why) of refused candidates
    name_source: str | None = None  # the signal the display name came from (og:site_name, title, domain...)
    home_page: bool = True  # the site's home page (not an article): its title may name the site alone

    @property
    def logo_url(self) -> str | None:
        """URL of the best candidate (a ``data:`` URI for an inline SVG), or None."""
        return self.candidates[0].url if self.candidates else None

    def to_contract(self, url: str | None = None) -> dict[str, Any]:
        """DESIGN.md's ``brand`` JSON: url, displayName, logoUrl, candidates best first."""
        return {
            "url": url if url is not None else self.url,
            "displayName": self.display_name,
            "logoUrl": self.logo_url,
            "candidates": [c.to_contract() for c in self.candidates],
        }

    def with_candidates(self, extra: Iterable[LogoCandidate]) -> Extraction:
        """A copy with more candidates ranked in (e.g. checked images, manifest icons)."""
        return replace(self, candidates=rank([*self.candidates, *extra]))

    def with_manifest(self, json_text: str | bytes, manifest_url: str | None = None) -> Extraction:
        """A copy that also counts the fetched web app manifest's icons and names; a manifest that
        cannot be read (not JSON, nested too deep) is listed in ``dropped`` and changes nothing else."""
        where = manifest_url or self.manifest_url or self.url
        data, why = read_manifest(json_text)
        if data is None:
            return replace(self, dropped=[*self.dropped, (where, f"web app manifest {why}")])
        icons = manifest_icons(data, where, own_domain=registered_domain(self.url))
        signals = [*self.name_signals, *manifest_name_signals(data)]
        name, source = page_name(signals, self.known_name, self.url, home=self.home_page)
        return replace(
            self,
            candidates=_cap(rank([*self.candidates, *icons])),
            name_signals=signals,
            display_name=name,
            name_source=source,
        )


def extract(
    html: str | bytes, url: str, *, known_name: str | None = None, encoding: str | None = None
) -> Extraction:
    """Logo candidates (best first) and display name of the page ``html`` served at ``url``.

    ``encoding`` is the charset the server declared, if any; bytes are otherwise decoded by their
    ``<meta charset>``. ``known_name`` (the counterparty's own name) breaks ties between names.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RecordError(f"page URL must be an absolute http(s) URL, got {url[:200]!r}")
    text, codec = decode_html(html, encoding)
    domain = registered_domain(parts.hostname) or parts.hostname
    known_key = compact(known_name) if known_name else ""
    # Resolve against the URL without any user:password@: credentials never reach a candidate URL.
    page = urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))
    label_key = compact(domain_label(parts.hostname))
    scan = Scan(url=page, base=page, domain=domain, label_key=label_key, known_key=known_key)
    # The page's own bytes when they are the UTF-8 of the text (decoded without a replacement): the
    # parser reads them as they are instead of a re-encoded copy.
    exact = isinstance(html, bytes) and codec == "utf-8" and "\ufffd" not in text and not html.startswith(BOM)
    root = parse(text, html if exact and isinstance(html, bytes) else None)
    if root is not None:
        walk(root, scan)
        if all(s.source in ("title", "twitter:site") for s in scan.signals):
            copyright_signal(text, scan)  # only needed when the site declares no name
    favicon = f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}/favicon.ico"
    scan.add(favicon, "favicon.ico", "favicon", check_trap=False)
    ranked = _cap(rank(scan.candidates))
    scan.signals.extend(logo_alt_signals(ranked))
    home = scan.is_home_page()
    name, name_source = page_name(scan.signals, known_name, url, home=home)
    return Extraction(
        url=url,
        display_name=name,
        name_source=name_source,
        name_signals=scan.signals,
        candidates=ranked,
        manifest_url=scan.manifest_url,
        base_url=scan.base,
        title=scan.title,
        encoding=codec,
        known_name=known_name,
        dropped=scan.dropped,
        home_page=home,
    )


def _cap(ranked: list[LogoCandidate]) -> list[LogoCandidate]:
    """The best MAX_CANDIDATES, /favicon.ico still last: a logo wall must not bloat every answer."""
    if len(ranked) <= MAX_CANDIDATES:
        return ranked
    return [*ranked[: MAX_CANDIDATES - 1], ranked[-1]]
