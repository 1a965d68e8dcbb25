"""Writing the report: one self-contained HTML file plus CSV and JSON exports of the same candidates."""

from __future__ import annotations

import csv
import io
import json
import os
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple, Protocol

from enricher.records import Counterparty, RecordId
from enricher.review.model import REPORT_FORMAT, REPORT_VERSION, ReportData, build_report_data

__all__ = [
    "CLIENTS_CSV",
    "ContractSource",
    "ReportPaths",
    "render_csv",
    "render_html",
    "render_json",
    "write_report",
]


class ContractSource(Protocol):
    """What the report needs from matching: ``MatchResult`` has it."""

    def to_contract(self) -> dict[str, Any]: ...


class ReportPaths(NamedTuple):
    """Where ``write_report`` put its three files (and :data:`CLIENTS_CSV` beside them with clients)."""

    html: Path
    csv: Path
    json: Path


CLIENTS_CSV = "clients.csv"
"""The client section's export, written beside the report when clients were matched."""


def _asset(name: str) -> str:
    return resources.files("enricher.review").joinpath("assets", name).read_text(encoding="utf-8")


def _script_json(data: Any) -> str:
    # Inside <script> only "</script" and "<!--" can break out; escaping every <, > and & rules that out,
    # and JSON.parse reads \u003c back as "<". U+2028/9 are escaped for old parsers.
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def render_html(report: ReportData) -> str:
    """The report page: template, CSS, JS and data in one string; nothing is loaded from elsewhere."""
    page = _asset("report.html")
    title = f"Duplicate review: {report.stats.get('items', 0)} items ({report.generated_at})"
    page = (
        page.replace("{{TITLE}}", title)
        .replace("{{CSS}}", _asset("report.css"))
        .replace("{{JS}}", _asset("report.js"))
    )
    # Data goes in last so nothing inside it is ever taken for a placeholder.
    head, sep, tail = page.partition("{{DATA}}")
    if not sep:
        raise RuntimeError("report template lost its {{DATA}} placeholder")
    return head + _script_json(report.to_json()) + tail


_CSV_COLUMNS = (
    "rank",
    "item",
    "kind",
    "a",
    "b",
    "score",
    "band",
    "survivor",
    "a_name",
    "b_name",
    "a_tin",
    "b_tin",
    "a_vat",
    "b_vat",
    "a_country",
    "b_country",
    "a_city",
    "b_city",
    "a_website",
    "b_website",
    "a_fingerprint",
    "b_fingerprint",
    "evidence",
    "explanations",
)


def _cell(value: Any) -> Any:
    """Neutralise spreadsheet formulas in text taken from records (=HYPERLINK(...) in a name or an id)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def render_csv(report: ReportData) -> str:
    """One row per candidate pair, in report order; UTF-8 text (written with a BOM for spreadsheets)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(_CSV_COLUMNS)
    recs = report.records
    for item in report.items:
        for pair in item["pairs"]:
            a, b = recs[pair["a"]], recs[pair["b"]]
            fa, fb = a.get("f", {}), b.get("f", {})
            survivor = recs[item["sv"]] if item["sv"] in (pair["a"], pair["b"]) else recs[pair["sv"]]
            evidence = "; ".join(f"{e[0]}={e[1]} ({e[2]:+.2f})" for e in pair["ev"])
            explanations = " | ".join(report.texts[e[3]] for e in pair["ev"] if report.texts[e[3]])
            row = [
                item["rank"],
                item["key"],
                item["kind"],
                a["id"],
                b["id"],
                f"{pair['score']:.4f}",
                pair["band"],
                survivor["id"],
                fa.get("name"),
                fb.get("name"),
                fa.get("tin"),
                fb.get("tin"),
                fa.get("vatNumber"),
                fb.get("vatNumber"),
                a.get("cc"),
                b.get("cc"),
                fa.get("addressCity"),
                fb.get("addressCity"),
                fa.get("corporateWebsiteUrl"),
                fb.get("corporateWebsiteUrl"),
                a.get("fp", ""),
                b.get("fp", ""),
                evidence,
                explanations,
            ]
            # Every cell the same way: ids, keys and fingerprints come from records too.
            writer.writerow([_cell(x) for x in row])
    return buf.getvalue()


def render_json(report: ReportData, contract: Mapping[str, Any]) -> dict[str, Any]:
    """The matching contract (candidates, clusters) plus report id, records with fingerprints, branding."""
    records = [
        {"id": r["id"], "fingerprint": r.get("fp"), "missing": bool(r.get("missing")), **r.get("f", {})}
        for r in report.records
    ]
    return {
        "format": REPORT_FORMAT,
        "version": REPORT_VERSION,
        "reportId": report.report_id,
        "generatedAt": report.generated_at,
        "candidates": list(contract.get("candidates") or []),
        "clusters": list(contract.get("clusters") or []),
        "records": records,
        "branding": report.branding,
        "stats": report.stats,
        "clients": report.clients,
    }


def _atomic_write(path: Path, text: str, *, encoding: str = "utf-8") -> None:
    # A half-written report must never replace a good one: write beside it, then rename. Opened with
    # "x" (not mkstemp) so the file gets the usual permissions under the umask, not 0600.
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    try:
        with tmp.open("x", encoding=encoding, newline="") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_report(
    result: ContractSource | Mapping[str, Any],
    records: Mapping[RecordId, Counterparty],
    out_dir: Path | str,
    *,
    branding: dict[str, Any] | None = None,
    generated_at: str | None = None,
    clients: dict[str, Any] | None = None,
) -> ReportPaths:
    """Write ``review.html``, ``candidates.csv`` and ``candidates.json`` into ``out_dir``.

    ``result`` is a ``MatchResult`` (anything with ``to_contract()``) or the contract dict itself.
    ``clients`` (:func:`enricher.review.clients.client_section`) adds the client section to the page and
    the JSON, and writes ``clients.csv``.
    """
    contract = dict(result) if isinstance(result, Mapping) else result.to_contract()
    when = generated_at or datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    report = build_report_data(contract, records, generated_at=when, branding=branding)
    report.clients = clients
    out = Path(out_dir)
    paths = ReportPaths(html=out / "review.html", csv=out / "candidates.csv", json=out / "candidates.json")
    if clients is not None:
        from enricher.review.clients import render_clients_csv

        _atomic_write(out / CLIENTS_CSV, render_clients_csv(clients), encoding="utf-8-sig")
    else:  # an export from an earlier run must not sit beside a report that has no client section
        (out / CLIENTS_CSV).unlink(missing_ok=True)
    _atomic_write(paths.json, json.dumps(render_json(report, contract), ensure_ascii=False, indent=1) + "\n")
    _atomic_write(paths.csv, render_csv(report), encoding="utf-8-sig")
    _atomic_write(paths.html, render_html(report))
    return paths
