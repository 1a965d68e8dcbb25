"""``enricher report`` (the review report) and ``enricher merges apply`` (apply a person's decisions)."""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from enricher.config import Settings, load_settings
from enricher.records import Counterparty, RecordId, read_lines

__all__ = ["cmd_apply", "cmd_client_notes", "cmd_report", "register", "report_records", "run_report"]

log = logging.getLogger(__name__)


def register(sub: Any) -> None:
    """Add ``report`` and ``merges apply`` to the ``enricher`` command."""
    report = sub.add_parser(
        "report",
        help="match the counterparties and write out/review.html, candidates.csv, candidates.json",
        description="Fetch every counterparty (ENRICHER_FLOWTLY_URL, or the embedded sandbox), match them, "
        "and write the review report, CSV and JSON into the output directory.",
    )
    report.add_argument(
        "--out-dir", type=Path, default=None, help="where to write (default: ENRICHER_OUT_DIR, out/)"
    )
    report.add_argument(
        "--input", type=Path, default=None, help="read records from a JSONL file instead of the API"
    )
    report.set_defaults(func=cmd_report)

    merges = sub.add_parser("merges", help="apply the merges a person approved in the report")
    merges_sub = merges.add_subparsers(dest="merges_command", metavar="ACTION", required=True)
    apply = merges_sub.add_parser(
        "apply",
        help="apply approved merges from a decisions file (dry run unless --execute)",
        description="Without --execute: print what would be merged, change nothing. With --execute: merge "
        "each approved record into its survivor through the API, one at a time, with an audit log; "
        "record rejected pairs so they are never proposed again. Safe to run again.",
    )
    apply.add_argument(
        "--decisions", type=Path, required=True, help="the decisions file exported from the report"
    )
    apply.add_argument("--execute", action="store_true", help="really merge (default: dry run)")
    apply.add_argument(
        "--audit-log",
        type=Path,
        default=None,
        help="JSON-lines audit log (default: <ENRICHER_STATE_DIR>/merge-audit.jsonl)",
    )
    apply.set_defaults(func=cmd_apply)

    clients = sub.add_parser("clients", help="act on the client duplicates a person approved in the report")
    clients_sub = clients.add_subparsers(dest="clients_command", metavar="ACTION", required=True)
    notes = clients_sub.add_parser(
        "notes",
        help="leave a note on both clients of each approved duplicate (dry run unless --execute)",
        description="Flowtly has no client merge. For each client pair approved in the report "
        "(clientDecisions of the decisions file), leave a note on both clients naming the other, written "
        "as ENRICHER_FLOWTLY_EMPLOYEE. Notes already left are found and not written again; each note is "
        "audited. Nothing else is written.",
    )
    notes.add_argument(
        "--decisions", type=Path, required=True, help="the decisions file exported from the report"
    )
    notes.add_argument("--execute", action="store_true", help="really write the notes (default: dry run)")
    notes.add_argument(
        "--audit-log",
        type=Path,
        default=None,
        help="JSON-lines audit log (default: <ENRICHER_STATE_DIR>/merge-audit.jsonl)",
    )
    notes.set_defaults(func=cmd_client_notes)


def _read_jsonl(path: Path, settings: Settings) -> Iterator[Counterparty]:
    """The counterparties of a JSON lines file (:func:`enricher.records.read_lines`); a bad line is one
    stderr line naming it, then skipped."""

    def skipped(number: int, reason: str) -> None:
        print(f"enricher: {path}:{number}: skipped, {reason}", file=sys.stderr)

    lines = read_lines(
        path,
        skipped,
        max_line_bytes=settings.dedupe_max_line_bytes,
        max_field_chars=settings.dedupe_max_field_chars,
    )
    for number, _, data in lines:
        try:
            yield Counterparty.model_validate(data)
        except ValueError as exc:  # a field the model cannot take (a name that is an object...)
            skipped(number, f"not a counterparty: {str(exc).splitlines()[0]}")


def run_report(
    settings: Settings, *, out_dir: Path | None = None, records: list[Counterparty] | None = None
) -> Any:
    """Fetch (unless ``records`` are given), match with the decision store, write the report; its paths."""
    from enricher.flowtly import connect

    clients = None
    if records is None:
        with connect(settings) as client:
            records = list(client.iter_counterparties())
            clients = fetch_report_clients(settings, client)
    return report_records(settings, records, Path(out_dir or settings.out_dir), clients=clients)[1]


def fetch_report_clients(settings: Settings, client: Any) -> Any:
    """The clients and contacts the report's client section needs (None when turned off or none)."""
    from enricher.review import fetch_clients

    if not settings.report_clients:
        return None
    data = fetch_clients(client)
    return data if data.clients else None


def report_records(
    settings: Settings, records: list[Counterparty], target: Path, *, clients: Any = None
) -> tuple[Any, Any]:
    """Match ``records`` with the decision store and write the report into ``target``: (result, paths).
    ``clients`` (:class:`enricher.review.clients.ClientData`) adds the client section."""
    from enricher.matching import match
    from enricher.review import (
        branding_health,
        build_client_section,
        logo_reasons,
        read_enrichment_summary,
        write_report,
    )
    from enricher.state import open_client_decision_store, open_decision_store

    by_id: dict[RecordId, Counterparty] = {r.id: r for r in records if r.id is not None}
    with open_decision_store(settings) as store:
        result = match(
            list(by_id.values()),
            decisions=store,
            merge_threshold=settings.match_merge_threshold,
            review_threshold=settings.match_review_threshold,
        )
    branding = branding_health(
        by_id.values(), last_enrichment=read_enrichment_summary(target / "enrichment.json")
    )
    # Why each logo shown in the report was chosen (only the records the report lists).
    shown = {str(i) for c in result.candidates for i in (c.a, c.b)}
    branding["logoReasons"] = logo_reasons(
        target / "enrichment.json", (r for r in by_id.values() if str(r.id) in shown)
    )
    section = None
    if clients is not None:
        with open_client_decision_store(settings) as client_store:
            section = build_client_section(
                clients,
                by_id,
                decisions=client_store,
                merge_threshold=settings.match_merge_threshold,
                review_threshold=settings.match_review_threshold,
            )
    return result, write_report(result, by_id, target, branding=branding, clients=section)


def print_clients_csv(paths: Any) -> None:
    """Print the client export's path when the report wrote one."""
    from enricher.review import CLIENTS_CSV

    clients_csv = Path(paths.html).parent / CLIENTS_CSV
    if clients_csv.is_file():
        print(clients_csv)


def cmd_report(args: argparse.Namespace) -> int:
    settings = load_settings()
    records = list(_read_jsonl(args.input, settings)) if args.input else None
    paths = run_report(settings, out_dir=args.out_dir, records=records)
    for path in paths:
        print(path)
    print_clients_csv(paths)
    return 0


def cmd_apply(args: argparse.Namespace) -> int:
    from enricher.flowtly import connect
    from enricher.review import (
        APPLY_LOCK,
        APPLY_LOCK_TTL,
        DecisionsFileError,
        apply_merges,
        default_audit_path,
        load_decisions,
    )
    from enricher.state import LockBusy, open_decision_store, open_state

    settings = load_settings()
    try:
        load_decisions(args.decisions)  # refuse a bad file before connecting to anything
    except DecisionsFileError as exc:
        print(f"enricher: {exc}", file=sys.stderr)
        return 2
    if settings.flowtly_url is None and args.execute:
        print(
            "enricher: warning: ENRICHER_FLOWTLY_URL is unset; merging in the embedded sandbox, "
            "which is discarded when this command ends",
            file=sys.stderr,
        )
    audit = args.audit_log or default_audit_path(settings)
    state = open_state(settings)
    try:
        guard = state.locks.hold(APPLY_LOCK, ttl=APPLY_LOCK_TTL) if args.execute else contextlib.nullcontext()
        with guard, open_decision_store(settings) as store, connect(settings) as client:
            summary = apply_merges(
                client, args.decisions, execute=args.execute, store=store, audit_path=audit
            )
    except LockBusy:
        print(
            "enricher: another 'merges apply --execute' is running; try again when it ends", file=sys.stderr
        )
        return 1
    finally:
        state.close()
    for line in summary.lines():
        print(line)
    if args.execute:
        print(f"audit log: {Path(audit).resolve()}")
    return 0 if summary.ok else 1


def cmd_client_notes(args: argparse.Namespace) -> int:
    from enricher.flowtly import connect
    from enricher.review import (
        DecisionsFileError,
        default_audit_path,
        leave_client_notes,
        load_client_decisions,
    )

    settings = load_settings()
    try:
        load_client_decisions(args.decisions)  # refuse a bad file before connecting to anything
    except DecisionsFileError as exc:
        print(f"enricher: {exc}", file=sys.stderr)
        return 2
    if args.execute and not settings.flowtly_employee:
        print(
            "enricher: configuration error: ENRICHER_FLOWTLY_EMPLOYEE: set the employee IRI notes are "
            "written as (e.g. /employees/7)",
            file=sys.stderr,
        )
        return 2
    from enricher.state import open_client_decision_store

    audit = args.audit_log or default_audit_path(settings)
    with open_client_decision_store(settings) as store, connect(settings) as client:
        summary = leave_client_notes(
            client,
            args.decisions,
            employee=settings.flowtly_employee,
            execute=args.execute,
            audit_path=audit,
            store=store,
        )
    for line in summary.lines():
        print(line)
    if args.execute:
        print(f"audit log: {Path(audit).resolve()}")
    return 0 if summary.ok else 1
