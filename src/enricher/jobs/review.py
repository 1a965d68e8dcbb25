"""The review's jobs: the report from the recorded candidates, and applying a person's merges."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from enricher.jobs.context import JobContext
from enricher.jobs.context import decisions as _decisions
from enricher.jobs.matching import match_result

__all__ = ["apply_merges", "build_report"]


def build_report(ctx: JobContext, *, out_dir: Path | None = None) -> Any:
    """Write the review report from the recorded candidates and the snapshot (no API call)."""
    from enricher.review import write_report

    records = ctx.state.snapshot.records()
    result = match_result(ctx, ctx.state.candidates.all(), records)
    return write_report(
        result, {r.id: r for r in records if r.id is not None}, out_dir or ctx.settings.out_dir
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
