"""``enricher run``: the main job, start to end, in one process.

    enricher run [--out-dir DIR] [--no-enrich]

Fetches every counterparty from the configured Flowtly API (or, with ``ENRICHER_FLOWTLY_URL`` unset,
from an embedded sandbox serving the bundled sample), fills missing logos and brand names from the
websites (simulated in-process by the demo web in the embedded default), re-reads the register,
matches it and writes the review report. One sandbox lives for the whole run, so the report shows
what the enrichment filled. In production the same steps run as Celery tasks (``enricher worker``).
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

from rich.console import Console

from enricher.cli.enrich import enrich_to_file
from enricher.cli.report import fetch_report_clients, print_clients_csv, report_records
from enricher.config import load_settings
from enricher.flowtly import connect
from enricher.records import Counterparty

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    """Add ``enricher run`` to the dispatcher."""
    p = subparsers.add_parser(
        "run",
        help="the main job: fetch, enrich, match, write the review report (embedded sandbox by default)",
        description=__doc__.splitlines()[0] if __doc__ else None,
    )
    p.add_argument(
        "--out-dir", type=Path, default=None, help="where outputs go (default: ENRICHER_OUT_DIR, out/)"
    )
    p.add_argument("--no-enrich", dest="enrich", action="store_false", help="skip the branding enrichment")
    p.set_defaults(func=run)


def _fetch(client: Any, err: Console) -> list[Counterparty]:
    with err.status("fetching counterparties ..."):
        return list(client.iter_counterparties())


def register_summary(records: list[Counterparty]) -> str:
    """One line a finance-ops person reads: how big the register is and what it lacks."""
    countries = Counter(r.country_code or "?" for r in records)
    top = ", ".join(f"{code} {n}" for code, n in countries.most_common(6))
    with_site = sum(1 for r in records if r.corporateWebsiteUrl)
    with_logo = sum(1 for r in records if r.logoUrl)
    with_name = sum(1 for r in records if r.displayName)
    return (
        f"{len(records)} counterparties ({top}); website {with_site}, logo {with_logo}, "
        f"display name {with_name}"
    )


def run(args: argparse.Namespace) -> int:
    settings = load_settings()
    out_dir: Path = args.out_dir or settings.out_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    err = Console(stderr=True)
    started = time.perf_counter()
    source = settings.flowtly_url or "embedded sandbox with the bundled sample"
    err.print(f"[bold]enricher run[/] against {source}", highlight=False)
    with connect(settings) as client:
        records = _fetch(client, err)
        err.print("before: " + register_summary(records), markup=False, highlight=False)
        enrichment_path = out_dir / "enrichment.json"
        if args.enrich:
            enrich_args = argparse.Namespace(overwrite=False, dry_run=False, demo_web=True)
            enrich_to_file(client, settings, enrich_args, ids=None, output=enrichment_path, err=err)
            records = _fetch(client, err)
            err.print("after:  " + register_summary(records), markup=False, highlight=False)
        with err.status("fetching clients ..."):
            clients = fetch_report_clients(settings, client)
    with err.status("matching ..."):
        result, paths = report_records(settings, records, out_dir, clients=clients)
    bands = Counter(c.band for c in result.candidates)
    err.print(
        f"duplicates: {bands['merge']} pairs safe to merge, {bands['review']} to review, "
        f"{len(result.clusters)} clusters; done in {time.perf_counter() - started:.1f}s",
        markup=False,
        highlight=False,
    )
    outputs = [paths.html, paths.csv, paths.json]
    if args.enrich:
        outputs.append(enrichment_path)
    for path in outputs:
        print(path)
    print_clients_csv(paths)
    if clients is not None:
        section = json.loads(paths.json.read_text(encoding="utf-8")).get("clients") or {}
        stats = section.get("stats", {})
        err.print(
            f"clients: {stats.get('clients', 0)} with {stats.get('contacts', 0)} contacts; "
            f"{stats.get('pairs', 0)} duplicate pairs, {stats.get('links', 0)} also counterparties",
            markup=False,
            highlight=False,
        )
    return 0
