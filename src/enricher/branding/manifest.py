"""The web app manifest: its icons as candidates and its ``name``/``short_name`` as name signals.

It cannot be read offline: the extraction returns its URL and the fetcher feeds the fetched text
back through :meth:`enricher.branding.extract.Extraction.with_manifest`.
"""

from __future__ import annotations

from typing import Any

from enricher.branding.candidates import LogoCandidate, parse_sizes
from enricher.branding.jsonld import load_json_ld
from enricher.branding.names import NameSignal, declared_parts
from enricher.branding.scan import Scan

__all__ = [
    "manifest_icons",
    "manifest_name_signals",
    "manifest_names",
    "parse_manifest",
    "read_manifest",
]


def read_manifest(json_text: str | bytes) -> tuple[dict[str, Any] | None, str | None]:
    """(the manifest's object, None) or (None, why it cannot be used): not JSON, not an object, or
    nested too deep to read (a hostile manifest is dropped, the page's own signals stay)."""
    if isinstance(json_text, bytes):
        json_text = json_text.decode("utf-8-sig", "replace")
    problems: list[str] = []
    values = load_json_ld(json_text, problems)
    if problems:
        return None, problems[0]
    if not values or not isinstance(values[0], dict):
        return None, "not a JSON object"
    return values[0], None


def manifest_icons(data: dict[str, Any], manifest_url: str, *, own_domain: str = "") -> list[LogoCandidate]:
    """Icons of a read manifest as candidates (source ``manifest``), URLs resolved against its URL."""
    icons = data.get("icons")
    if not isinstance(icons, list):
        return []
    scan = Scan(url=manifest_url, base=manifest_url, domain=own_domain, label_key="", known_key="")
    for icon in icons:
        if not isinstance(icon, dict) or not isinstance(icon.get("src"), str):
            continue
        sizes = icon.get("sizes") if isinstance(icon.get("sizes"), str) else None
        w, h = parse_sizes(sizes)
        purpose = str(icon.get("purpose") or "")[:200].lower().split()
        notes = ["any-size"] if (sizes or "").strip().lower() == "any" else []
        if purpose and "any" not in purpose and "maskable" not in purpose:
            notes.append("monochrome")
        mime = icon.get("type") if isinstance(icon.get("type"), str) else None
        scan.add(icon["src"], "manifest", "icon", width=w, height=h, fmt_hint=mime, notes=notes)
    return scan.candidates


def manifest_name_signals(data: dict[str, Any]) -> list[NameSignal]:
    """``name`` and ``short_name`` of a read manifest as name signals (a tagline after a separator
    at half weight)."""
    out: list[NameSignal] = []
    for key, weight in (("name", 0.6), ("short_name", 0.5)):
        raw = data.get(key) if isinstance(data.get(key), str) else None
        for i, value in enumerate(declared_parts(raw)):
            out.append(NameSignal(f"manifest:{key}", value, weight if i == 0 else weight * 0.5))
    return out


def parse_manifest(json_text: str | bytes, manifest_url: str, *, own_domain: str = "") -> list[LogoCandidate]:
    """Icons of a web app manifest as candidates (source ``manifest``), URLs resolved against the
    manifest's own URL; [] for malformed JSON. Not ranked: pass them to ``rank`` or ``with_candidates``."""
    data, _ = read_manifest(json_text)
    return [] if data is None else manifest_icons(data, manifest_url, own_domain=own_domain)


def manifest_names(json_text: str | bytes) -> list[NameSignal]:
    """``name`` and ``short_name`` of a web app manifest as name signals."""
    data, _ = read_manifest(json_text)
    return [] if data is None else manifest_name_signals(data)
