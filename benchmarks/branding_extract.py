"""Offline branding extraction: throughput on full-size homepages and accuracy by signal.

    .venv/bin/python benchmarks/branding_extract.py [--pages 24] [--rounds 3]

Throughput is CPU time of this one process (``time.process_time``), so it reads as pages per
second per core even on a busy machine; wall-clock figures are printed next to it. Three things
are timed on the same generated homepages (~320 KB each, tests/fixtures/pages/homepages.py):
BeautifulSoup(html, "lxml") parse alone, lxml.html parse alone, and the full ``extract``.
Accuracy covers the saved fixture pages (tests/fixtures/pages/expected.json) and the generated
homepages, grouped by the signal each page exercises. When the shared folder sits beside the
repository (``../shared``), the 200 real development pages are timed too (extract + the brand JSON,
reasons included), without the process start-up that ``score_brand.py``'s pages/s includes.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import lxml.html
from bs4 import BeautifulSoup, SoupStrainer
from lxml import etree

from enricher.branding import extract

ROOT = Path(__file__).resolve().parent.parent
PAGES = ROOT / "tests" / "fixtures" / "pages"
sys.path.insert(0, str(PAGES))
from homepages import homepages  # noqa: E402


def timed(fn: Callable[[], object], rounds: int) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of the best of ``rounds`` runs of ``fn``."""
    best_cpu = best_wall = float("inf")
    for _ in range(rounds):
        c0, w0 = time.process_time(), time.perf_counter()
        fn()
        best_cpu = min(best_cpu, time.process_time() - c0)
        best_wall = min(best_wall, time.perf_counter() - w0)
    return best_cpu, best_wall


def throughput(count: int, rounds: int) -> None:
    pages = homepages(count)
    extract(pages[0].html, pages[0].url)  # one-time set-up (the public-suffix list) is not throughput
    size = sum(len(p.html) for p in pages) / len(pages) / 1024
    print(f"Throughput: {len(pages)} generated homepages, mean {size:.0f} KB, best of {rounds} rounds")
    strainer = SoupStrainer(["head", "header", "nav", "img", "svg", "link", "meta", "script"])
    parser = etree.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True, collect_ids=False)
    rows = [
        ("BeautifulSoup(html, 'lxml') parse only", lambda: [BeautifulSoup(p.html, "lxml") for p in pages]),
        (
            "BeautifulSoup + SoupStrainer(head/header/nav/img/...) only",
            lambda: [BeautifulSoup(p.html, "lxml", parse_only=strainer) for p in pages],
        ),
        (
            "lxml.html.document_fromstring parse only",
            lambda: [lxml.html.document_fromstring(p.html) for p in pages],
        ),
        (
            "lxml etree.HTMLParser parse only (what extract uses)",
            lambda: [etree.fromstring(p.html, parser) for p in pages],
        ),
        (
            "enricher extract() (full: decode, parse, scan, rank, name)",
            lambda: [extract(p.html, p.url) for p in pages],
        ),
    ]
    print(f"  {'what':<60} {'ms/page':>8} {'pages/s':>8} {'(wall)':>8}")
    cpu_of = {}
    for label, fn in rows:
        cpu, wall = timed(fn, rounds)
        cpu_of[label] = cpu
        per_page = cpu / len(pages) * 1000
        print(f"  {label:<60} {per_page:8.2f} {len(pages) / cpu:8.1f} {len(pages) / wall:8.1f}")
    full, parse, soup = cpu_of[rows[-1][0]], cpu_of[rows[-2][0]], cpu_of[rows[0][0]]
    print(
        f"  full extract = {full / parse:.1f}x its own parse, {full / soup:.2f}x a BeautifulSoup parse alone;"
    )
    verdict = "met" if len(pages) / full >= 50 else "NOT met"
    print(f"  target >= 50 pages/s per core: {verdict} ({len(pages) / full:.0f} pages/s per core, CPU time)")


def real_pages(rounds: int) -> None:
    """CPU time of extract + brand JSON on the shared real development pages, if present."""
    dev = ROOT.parent / "shared" / "data" / "dev"
    if not (dev / "brand-pages.json").is_file():
        print("\nReal pages: ../shared/data/dev not found, skipped")
        return
    cases = json.loads((dev / "brand-pages.json").read_text("utf-8"))
    pages = [((dev / "brand-pages" / c["case"] / "page.html").read_bytes(), c["url"]) for c in cases]
    cpu, wall = timed(lambda: [json.dumps(extract(b, u).to_contract()) for b, u in pages], rounds)
    print(f"\nReal pages: {len(pages)} development pages (../shared), extract + brand JSON, best of {rounds}")
    print(f"  {cpu / len(pages) * 1000:.2f} ms/page, {len(pages) / cpu:.0f} pages/s per core "
          f"({len(pages) / wall:.0f} wall)")  # fmt: skip


def accuracy() -> int:
    table: list[dict[str, Any]] = json.loads((PAGES / "expected.json").read_text("utf-8"))["pages"]
    rows: list[tuple[str, str, bool, bool, bool]] = []  # (signal, page, logo ok, name ok, states name)
    for row in table:
        got = extract((PAGES / row["file"]).read_bytes(), row["url"], known_name=row.get("knownName"))
        if "logoUrl" in row:
            logo_ok = got.logo_url == row["logoUrl"]
        else:
            logo_ok = bool(got.logo_url and got.logo_url.startswith(row["logoUrlPrefix"]))
            logo_ok = logo_ok and got.candidates[0].source == row["logoSource"]
        name_ok = got.display_name == row["displayName"]
        rows.append((row["signal"], row["file"], logo_ok, name_ok, row.get("statesName", True)))
        if not (logo_ok and name_ok):
            print(f"  MISS {row['file']}: name {got.display_name!r}, logo {str(got.logo_url)[:80]}")
    for page in homepages(24):
        got = extract(page.html, page.url)
        ok = got.logo_url == page.logo_url if page.logo_url else got.candidates[0].source == "svg"
        rows.append((f"homepage: {page.signal}", page.name, ok, got.display_name == page.display_name, True))
        if not ok or got.display_name != page.display_name:
            print(f"  MISS {page.name}: name {got.display_name!r}, logo {str(got.logo_url)[:80]}")
    by_signal: dict[str, list[tuple[bool, bool, bool]]] = defaultdict(list)
    for signal, _, logo_ok, name_ok, states in rows:
        by_signal[signal].append((logo_ok, name_ok, states))
    print(f"\nAccuracy by signal ({len(rows)} pages)")
    print(f"  {'signal':<44} {'pages':>5} {'logo ok':>8} {'name ok':>8}")
    for signal, results in by_signal.items():
        logos = sum(r[0] for r in results)
        named = [r[1] for r in results if r[2]]
        name_col = f"{sum(named)}/{len(named)}" if named else "n/a"
        print(f"  {signal:<44} {len(results):>5} {f'{logos}/{len(results)}':>8} {name_col:>8}")
    logos = sum(r[2] for r in rows)
    stated = [r for r in rows if r[4]]
    named = sum(r[3] for r in stated)
    print(f"  {'TOTAL':<44} {len(rows):>5} {f'{logos}/{len(rows)}':>8} {f'{named}/{len(stated)}':>8}")
    print(f"  logoUrl right on {logos / len(rows):.1%} of pages;", end=" ")
    print(f"displayName right on {named / len(stated):.1%} of pages that state their name (target >= 95%)")
    return 0 if named / len(stated) >= 0.95 else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--pages", type=int, default=24, help="generated homepages to time (default 24)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds; the best is reported (default 3)")
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # bs4's parser-choice warnings are not the point here
    throughput(args.pages, args.rounds)
    real_pages(args.rounds)
    return accuracy()


if __name__ == "__main__":
    raise SystemExit(main())
