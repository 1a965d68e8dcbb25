"""Branding health: how much of the register has a logo and a display name, and what enrichment did last."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from enricher.records import Counterparty

__all__ = ["branding_health", "logo_reasons", "read_enrichment_summary"]


def _has(value: str | None) -> bool:
    return bool(value and value.strip())


def branding_health(
    records: Iterable[Counterparty], *, last_enrichment: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Counts and shares of counterparties with a logo, a display name, a website (and what can be filled)."""
    total = with_logo = with_name = with_both = with_site = fillable = 0
    for record in records:
        total += 1
        logo, name, site = _has(record.logoUrl), _has(record.displayName), _has(record.corporateWebsiteUrl)
        with_logo += logo
        with_name += name
        with_both += logo and name
        with_site += site
        fillable += site and not (logo and name)

    def share(count: int) -> float:
        return round(count / total, 4) if total else 0.0

    return {
        "total": total,
        "withLogo": with_logo,
        "withDisplayName": with_name,
        "withBoth": with_both,
        "withWebsite": with_site,
        "fillable": fillable,
        "shareLogo": share(with_logo),
        "shareDisplayName": share(with_name),
        "shareBoth": share(with_both),
        "lastEnrichment": last_enrichment,
    }


def _filled_fields(records: Any) -> dict[str, int] | None:
    """How many values of each field the run wrote (``enricher enrich``'s per-record ``patch``)."""
    if not isinstance(records, list):
        return None
    counts: Counter[str] = Counter()
    for record in records:
        if isinstance(record, dict) and isinstance(record.get("patch"), dict) and record.get("applied", True):
            counts.update(str(k) for k in record["patch"])
    return dict(counts.most_common())


def read_enrichment_summary(path: Path) -> dict[str, Any] | None:
    """The last enrichment summary (``out/enrichment.json``), cut down to what the report shows.

    Counts are kept as they are; lists (per-record details) become their length plus a few first
    entries, so a 10,000-record summary does not bloat the report. A missing or unreadable file is None.
    """
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(raw, dict):
        return None
    summary: dict[str, Any] = {}
    filled = _filled_fields(raw.get("records"))
    if filled is not None:
        summary["filledFields"] = filled
    for key, value in raw.items():
        if isinstance(value, (str, int, float, bool)) or value is None:
            summary[key] = value
        elif isinstance(value, list):
            summary[key] = {"count": len(value), "first": value[:5]}
        elif isinstance(value, dict):
            flat = {k: v for k, v in value.items() if isinstance(v, (str, int, float, bool)) or v is None}
            summary[key] = (
                flat if len(flat) == len(value) else {"count": len(value), **dict(list(flat.items())[:20])}
            )
    return summary


#: Reasons kept per logo in the report (the largest effects come first).
MAX_LOGO_REASONS = 8


def logo_reasons(path: Path, records: Iterable[Counterparty]) -> dict[str, dict[str, Any]]:
    """Why enrichment chose each of ``records``' logos, from the last run output (``enrichment.json``).

    ``{str(id): {"logoUrl", "signal", "page", "reasons"}}`` for the records whose ``logoUrl`` still
    holds what that run wrote (a logo set since by a person has no reasons of ours). A missing or
    unreadable file gives {}.
    """
    current = {str(r.id): r.logoUrl for r in records if r.id is not None and _has(r.logoUrl)}
    if not current:
        return {}
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    outcomes = raw.get("records") if isinstance(raw, dict) else None
    out: dict[str, dict[str, Any]] = {}
    for outcome in outcomes if isinstance(outcomes, list) else []:
        if not isinstance(outcome, dict) or str(outcome.get("id")) not in current:
            continue
        for prov in outcome.get("provenance") or []:
            if not isinstance(prov, dict) or prov.get("field") != "logoUrl":
                continue
            reasons = prov.get("reasons")
            if prov.get("value") == current[str(outcome.get("id"))] and isinstance(reasons, list) and reasons:
                out[str(outcome["id"])] = {
                    "logoUrl": prov["value"],
                    "signal": prov.get("signal"),
                    "page": prov.get("page"),
                    "reasons": [
                        {"points": r.get("points"), "why": str(r.get("why") or "")}
                        for r in reasons[:MAX_LOGO_REASONS]
                        if isinstance(r, dict)
                    ],
                }
    return out
