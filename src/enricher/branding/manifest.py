"""The web app manifest: its icons as candidates and its ``name``/``short_name`` as name signals.

It cannot be read offline: the extraction returns its URL and the fetcher feeds the fetched text
back through :meth:`enricher.branding.extract.Extraction.with_manifest`.
"""

from __future__ import annotations

from typing import Any

from enricher.branding.candidates import LogoCandidate, parse_sizes
from enricher.branding.jsonld import load_json_ld
from enricher.branding.names import NameSignal, clean_name
from enricher.branding.scan import Scan

__all__ = ["manifest_names", "parse_manifest"]


def _manifest_obj(json_text: str | bytes) -> dict[str, Any] | None:
    if isinstance(json_text, bytes):
        json_text = json_text.decode("utf-8-sig", "replace")
    values = load_json_ld(json_text)
    return values[0] if values and isinstance(values[0], dict) else None


def parse_manifest(json_text: str | bytes, manifest_url: str, *, own_domain: str = "") -> list[LogoCandidate]:
    """Icons of a web app manifest as candidates (source ``manifest``), URLs resolved against the
    manifest's own URL; [] for malformed JSON. Not ranked: pass them to ``rank`` or ``with_candidates``."""
    data = _manifest_obj(json_text)
    if data is None or not isinstance(data.get("icons"), list):
        return []
    scan = Scan(url=manifest_url, base=manifest_url, domain=own_domain, label_key="", known_key="")
    for icon in data["icons"]:
        if not isinstance(icon, dict) or not isinstance(icon.get("src"), str):
            continue
        sizes = icon.get("sizes") if isinstance(icon.get("sizes"), str) else None
        w, h = parse_sizes(sizes)
        purpose = str(icon.get("purpose") or "").lower().split()
        notes = ["any-size"] if (sizes or "").strip().lower() == "any" else []
        if purpose and "any" not in purpose and "maskable" not in purpose:
            notes.append("monochrome")
        mime = icon.get("type") if isinstance(icon.get("type"), str) else None
        scan.add(icon["src"], "manifest", "icon", width=w, height=h, fmt_hint=mime, notes=notes)
    return scan.candidates


def manifest_names(json_text: str | bytes) -> list[NameSignal]:
    """``name`` and ``short_name`` of a web app manifest as name signals."""
    data = _manifest_obj(json_text)
    out: list[NameSignal] = []
    if data is None:
        return out
    for key, weight in (("name", 0.6), ("short_name", 0.5)):
        value = clean_name(data.get(key) if isinstance(data.get(key), str) else None)
        if value:
            out.append(NameSignal(f"manifest:{key}", value, weight))
    return out
