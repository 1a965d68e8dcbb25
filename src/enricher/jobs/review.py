"""The review's jobs: the report from the recorded candidates, and applying a person's merges."""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path
from typing import Any

from enricher.errors import AuthError, FlowtlyError
from enricher.jobs.context import JobContext
from enricher.jobs.context import decisions as _decisions
from enricher.jobs.matching import match_result
from enricher.records import Counterparty, RecordId

__all__ = ["apply_merges", "build_report"]

log = logging.getLogger("enricher.jobs")


def build_report(ctx: JobContext, *, out_dir: Path | None = None) -> Any:
    """Write the review report from the recorded candidates and the snapshot; the client section
    (``ENRICHER_REPORT_CLIENTS``) reads the clients from the API."""
    from enricher.review import write_report

    records = ctx.state.snapshot.records()
    result = match_result(ctx, ctx.state.candidates.all(), records)
    by_id = {r.id: r for r in records if r.id is not None}
    return write_report(result, by_id, out_dir or ctx.settings.out_dir, clients=_client_section(ctx, by_id))


def _client_section(ctx: JobContext, by_id: dict[RecordId, Counterparty]) -> dict[str, Any] | None:
    """The report's client section, or None (turned off, no clients, or the API failed: the
    counterparty report is written anyway and the log says why the section is missing)."""
    if not ctx.settings.report_clients:
        return None
    from enricher.review import build_client_section, fetch_clients
    from enricher.state import open_client_decision_store

    try:
        with ctx.flowtly() as client:
            data = fetch_clients(client)
    except AuthError:
        raise
    except FlowtlyError as exc:
        log.warning("report: no client section, the clients could not be read: %s", exc)
        return None
    if not data.clients:
        return None
    with open_client_decision_store(ctx.settings) as store:
        return build_client_section(
            data,
            by_id,
            decisions=store,
            merge_threshold=ctx.settings.match_merge_threshold,
            review_threshold=ctx.settings.match_review_threshold,
        )


def apply_merges(
    ctx: JobContext, decisions_path: Path, *, execute: bool, audit_path: Path | None = None
) -> Any:
    """Apply approved merges; the decision store skips merges already applied (idempotent).

    Same audit log and same one-applier lock as ``enricher merges apply``.
    """
    from enricher.review import APPLY_LOCK, APPLY_LOCK_TTL, default_audit_path
    from enricher.review import apply_merges as apply

    # Below the visibility timeout, so a redelivered task is not locked out by its own dead run.
    ttl = min(APPLY_LOCK_TTL, ctx.settings.visibility_timeout * 0.9)
    guard = ctx.state.locks.hold(APPLY_LOCK, ttl=ttl) if execute else contextlib.nullcontext()
    with guard, ctx.flowtly() as client, _decisions(ctx) as store:
        return apply(
            client,
            decisions_path,
            execute=execute,
            store=store,
            audit_path=audit_path or default_audit_path(ctx.settings),
        )
