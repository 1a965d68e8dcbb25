"""The register snapshot: one API pass copies every counterparty into the state."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field

from enricher.flowtly import FlowtlyClient
from enricher.jobs.context import JobContext
from enricher.records import Counterparty

__all__ = ["SyncSummary", "sync"]

log = logging.getLogger("enricher.jobs")


@dataclass
class SyncSummary:
    """How many records the snapshot now holds, and which were skipped as malformed."""

    count: int
    skipped: list[str] = field(default_factory=list)


def _fetch_all(client: FlowtlyClient, skipped: list[str]) -> Iterator[Counterparty]:
    for item in client.iter_collection("/counterparties"):
        try:
            record = Counterparty.model_validate(item)
        except ValueError as exc:
            skipped.append(f"{item.get('@id') or item.get('id')}: {str(exc).splitlines()[0]}")
            continue
        if record.id is None:
            skipped.append("a record without an id")
            continue
        yield record


def sync(ctx: JobContext) -> SyncSummary:
    """Copy the whole register into the snapshot (one API pass; malformed records skipped, reported)."""
    skipped: list[str] = []
    with ctx.flowtly() as client:
        count = ctx.state.snapshot.replace(_fetch_all(client, skipped))
    for reason in skipped[:20]:
        log.warning("sync skipped %s", reason)
    return SyncSummary(count=count, skipped=skipped)
