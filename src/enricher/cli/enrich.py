"""``enricher enrich``: fill logoUrl/displayName of counterparties from their websites.

    enricher enrich [--overwrite] [--dry-run] [--id N ...] [--output FILE] [--no-demo-web]

Works on the configured Flowtly API, or on the embedded sandbox with the bundled sample when
``ENRICHER_FLOWTLY_URL`` is unset. The sample's websites do not exist offline, so in that embedded
mode the sites are simulated in-process by :mod:`enricher.branding.demo_web` (said on stderr; turn
it off with ``--no-demo-web``). A progress bar and the summary go to stderr; ``--dry-run`` prints
each patch it would send as a JSON line on stdout and sends nothing. The run output, with the
provenance of every filled value, is written to ``out/enrichment.json`` (``--output``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from pathlib import Path
from typing import IO, Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from enricher.branding import EnrichOutcome, EnrichSummary, SafeFetcher, enrich_all
from enricher.config import Settings, load_settings
from enricher.flowtly import connect
from enricher.records import RecordId

__all__ = ["enrich_to_file", "register", "run"]


def register(subparsers: Any) -> None:
    """Add ``enricher enrich`` to the dispatcher."""
    p = subparsers.add_parser(
        "enrich",
        help="fill logoUrl and displayName from each counterparty's website",
        description="Fetch each counterparty's website safely, find its logo and brand name, and fill "
        "the empty logoUrl/displayName fields with a merge-patch.",
    )
    p.add_argument("--overwrite", action="store_true", help="replace values that are already set")
    p.add_argument("--dry-run", action="store_true", help="print the patches (JSON lines) instead of sending")
    p.add_argument(
        "--id",
        dest="ids",
        action="extend",
        nargs="+",
        metavar="N",
        help="only these records (--id 1 2 or repeated)",
    )
    p.add_argument("--output", type=Path, metavar="FILE", help="run output (default: out/enrichment.json)")
    p.add_argument(
        "--provider",
        choices=("ours", "flowtly-ai", "auto"),
        default=None,
        help="ours: the safe fetcher; flowtly-ai: Flowtly's AI branding endpoint (bulk, then re-read); "
        "auto: ours, then Flowtly's where ours found nothing (default: ENRICHER_ENRICH_PROVIDER, ours)",
    )
    p.add_argument(
        "--no-demo-web",
        dest="demo_web",
        action="store_false",
        help="embedded mode only: fetch the real websites instead of the simulated demo web",
    )
    p.set_defaults(func=run)


def _record_id(text: str) -> RecordId:
    text = text.strip()
    return int(text) if text.isdigit() else text


def run(args: argparse.Namespace) -> int:
    settings = load_settings()
    ids = [_record_id(i) for i in args.ids] if args.ids else None
    err = Console(stderr=True)
    output: Path = args.output or settings.out_dir / "enrichment.json"
    with connect(settings) as client:
        enrich_to_file(client, settings, args, ids=ids, output=output, err=err)
    return 0


def enrich_to_file(
    client: Any,
    settings: Settings,
    args: argparse.Namespace,
    *,
    ids: list[RecordId] | None,
    output: Path,
    err: Console,
) -> EnrichSummary:
    """Enrich through ``client``, write the run output to ``output``, print the summary (also for ``run``).

    ``args`` carries ``overwrite``, ``dry_run`` and ``demo_web``.
    """
    output.parent.mkdir(parents=True, exist_ok=True)
    # Outcomes are spooled to disk as they come, so a long register does not pile up in memory.
    with tempfile.TemporaryFile("w+", encoding="utf-8") as spool:
        summary = asyncio.run(_enrich(client, settings, args, ids, err, spool))
        spool.seek(0)
        _write_output(summary, spool, output)
    _print_summary(summary, err, output)
    return summary


def _write_output(summary: EnrichSummary, spool: IO[str], output: Path) -> None:
    """The run output: the summary header, then every record (one JSON object a line) from the spool."""
    partial = output.with_name(output.name + ".partial")
    with partial.open("w", encoding="utf-8") as out:
        header = json.dumps(summary.header(), ensure_ascii=False, indent=2)
        out.write(header[: header.rindex("}")].rstrip() + ',\n  "records": [')
        for index, line in enumerate(spool):
            out.write(("\n    " if index == 0 else ",\n    ") + line.rstrip("\n"))
        out.write("\n  ]\n}\n")
    partial.replace(output)


async def _enrich(
    client: Any,
    settings: Settings,
    args: argparse.Namespace,
    ids: list[RecordId] | None,
    err: Console,
    spool: IO[str],
) -> EnrichSummary:
    provider = getattr(args, "provider", None) or settings.enrich_provider
    if settings.flowtly_url is None and args.demo_web and provider != "flowtly-ai":
        from enricher.branding import demo_fetcher

        err.print(
            "[yellow]embedded demo:[/] websites are simulated in-process by enricher.branding.demo_web "
            "(set ENRICHER_FLOWTLY_URL, or pass --no-demo-web, to fetch real sites)"
        )
        fetcher, web = demo_fetcher(settings)
        for record in await asyncio.to_thread(lambda: list(client.iter_counterparties())):
            web.add(record)  # demo register is small: teach the demo web every name up front
    else:
        fetcher = SafeFetcher.from_settings(settings)
    total = len(ids) if ids else await asyncio.to_thread(_count, client)
    progress = Progress(
        TextColumn("enrich"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("filled {task.fields[filled]} · failed {task.fields[failed]}"),
        TimeElapsedColumn(),
        console=err,
        transient=False,
    )
    task = progress.add_task("enrich", total=total, filled=0, failed=0)
    counts = {"filled": 0, "failed": 0}

    def advance(outcome: EnrichOutcome) -> None:
        spool.write(json.dumps(outcome.to_dict(), ensure_ascii=False) + "\n")
        if outcome.status in counts:
            counts[outcome.status] += 1
        progress.update(task, advance=1, filled=counts["filled"], failed=counts["failed"])
        if args.dry_run and outcome.patch:
            print(json.dumps({"id": outcome.id, "patch": outcome.patch}, ensure_ascii=False), flush=True)

    async with fetcher:
        with progress:
            return await enrich_all(
                client,
                settings,
                overwrite=args.overwrite,
                dry_run=args.dry_run,
                ids=ids,
                progress=advance,
                fetcher=fetcher,
                keep_outcomes=False,
                provider=getattr(args, "provider", None),
            )


def _count(client: Any) -> int | None:
    counter = getattr(client, "count_counterparties", None)
    try:
        return int(counter()) if callable(counter) else None
    except Exception:  # a count is only for the progress bar: never fail the run on it
        return None


def _print_summary(summary: EnrichSummary, err: Console, output: Path) -> None:
    counts = summary.counts()
    verb = "would fill" if summary.dry_run else "filled"
    err.print(
        f"[bold]{counts['total']}[/] counterparties ({summary.provider}): "
        f"[green]{verb} {counts['filled']}[/], "
        f"unchanged {counts['unchanged']}, [red]failed {counts['failed']}[/]"
    )
    for title, reasons in (
        ("unchanged", summary.reasons("unchanged")),
        ("failed", summary.reasons("failed")),
    ):
        for reason, n in list(reasons.items())[:8]:
            err.print(f"  {title}: {n} × {reason}", markup=False, highlight=False)
    err.print(f"run output with provenance: {output}", markup=False, highlight=False)
    sys.stderr.flush()
