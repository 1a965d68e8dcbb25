"""Review report at scale: build/write time and file sizes for N candidates, and (with Chromium) the
time the page takes to load, search and filter. Prints figures; asserts nothing.

    .venv/bin/python benchmarks/review_report.py --count 10000
"""

from __future__ import annotations

import argparse
import tempfile
import time
import tracemalloc
from pathlib import Path

from enricher.records import Counterparty
from enricher.review import branding_health, write_report
from enricher.review.testing import synthetic_contract

ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000, help="candidate pairs")
    parser.add_argument("--chromium", default="/usr/bin/chromium", help="browser for the page timings")
    args = parser.parse_args()

    contract, raw = synthetic_contract(args.count)
    records = {r["id"]: Counterparty.model_validate(r) for r in raw}
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        paths = write_report(contract, records, Path(tmp), branding=branding_health(records.values()))
        elapsed = time.perf_counter() - started
        tracemalloc.start()  # a second run for memory: tracing slows Python down many times over
        write_report(contract, records, Path(tmp) / "traced")
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(f"candidates: {args.count:,}  records: {len(records):,}")
        print(f"write_report: {elapsed:.2f} s, peak Python memory {peak / 1e6:.0f} MB")
        for path in paths:
            print(f"  {path.name}: {path.stat().st_size / 1e6:.1f} MB")
        if not Path(args.chromium).exists():
            print(f"no browser at {args.chromium}: page timings skipped")
            return
        from playwright.sync_api import sync_playwright

        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=args.chromium, args=ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            started = time.perf_counter()
            page.goto(paths.html.as_uri())
            page.wait_for_selector("html[data-ready=true]", timeout=120_000)
            print(f"page: load to first page {time.perf_counter() - started:.2f} s")
            for label, action in (
                ("search 'alfa gamma'", lambda: page.fill("#f-search", "alfa gamma")),
                ("band=review", lambda: page.select_option("#f-band", "review")),
                ("sort by name", lambda: page.select_option("#f-sort", "name")),
                ("last page", lambda: page.keyboard.press("End")),
            ):
                started = time.perf_counter()
                action()
                page.wait_for_timeout(150)  # the search box debounces 120 ms
                page.evaluate("() => new Promise(r => requestAnimationFrame(() => r()))")
                print(f"page: {label} {time.perf_counter() - started - 0.15:.2f} s (after debounce)")
            heap = page.evaluate("() => performance.memory ? performance.memory.usedJSHeapSize : 0")
            print(
                f"page: JS heap {heap / 1e6:.0f} MB, items in the DOM {page.locator('#list .item').count()}"
            )
            browser.close()


if __name__ == "__main__":
    main()
