"""Applying a person's decisions: the most careful code of the product, because a merge destroys a record.

For every approved decision, each non-survivor is merged into the survivor, one at a time:

1. a merge the store remembers as applied is skipped (``already-applied``): running twice is safe;
2. both records are re-read; a record that is gone is reported (``vanished``), nothing is merged;
3. each record's identity fingerprint is compared with the one the report showed; a change means the
   person decided on other data: skipped (``stale``) with the fields that changed;
4. dry run (the default) stops here (``would-apply``);
5. the audit log gets both records' full state (``merge.attempt``), then ``POST
   /counterparties/{survivor}/merge``; on success the store remembers the merge and the audit log
   gets the API's answer (``merge.applied``). An API failure is logged (``merge.failed``) and the
   batch goes on; a re-run finishes the job. Only an authentication failure stops the batch.

Rejections are recorded in the decision store with ``--execute`` only: a dry run changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

from enricher.errors import AuthError, FlowtlyError, NotFoundError
from enricher.records import Counterparty, IdError, RecordId, same_id
from enricher.review.audit import AuditLog
from enricher.review.decisions_file import DecisionsFile, RecordSnapshot, load_decisions
from enricher.review.fingerprint import changed_fields, fingerprint
from enricher.state import DecisionStore

__all__ = [
    "APPLY_LOCK",
    "APPLY_LOCK_TTL",
    "ApplySummary",
    "MergeClient",
    "MergeOutcome",
    "Status",
    "apply_merges",
]

APPLY_LOCK = "merges-apply"
"""One applier at a time, CLI or worker: two runs of the same file would race on each merge."""
APPLY_LOCK_TTL = 6 * 3600.0
"""Seconds the lock lives if its holder dies (a file lock dies with its process anyway)."""

Status = Literal["applied", "would-apply", "already-applied", "stale", "vanished", "failed"]


class MergeClient(Protocol):
    """What applying needs from the Flowtly client."""

    def get_counterparty(self, record_id: RecordId) -> Counterparty: ...

    def merge_counterparties(self, survivor_id: RecordId, source_id: RecordId) -> Counterparty: ...


@dataclass(frozen=True)
class MergeOutcome:
    """What happened to one (survivor, source) merge."""

    survivor: RecordId
    source: RecordId
    status: Status
    reason: str = ""

    def line(self) -> str:
        verb = {
            "applied": "merged",
            "would-apply": "would merge",
            "already-applied": "already merged",
            "stale": "skipped (stale)",
            "vanished": "skipped (vanished)",
            "failed": "FAILED",
        }[self.status]
        text = f"{verb}: {self.source} into {self.survivor}"
        return f"{text}: {self.reason}" if self.reason else text


@dataclass
class ApplySummary:
    """Everything ``apply_merges`` did or would do, for printing and for tests."""

    decisions_file: Path
    execute: bool
    outcomes: list[MergeOutcome] = field(default_factory=list)
    rejected: list[tuple[RecordId, RecordId]] = field(default_factory=list)
    aborted: str | None = None

    def count(self, status: Status) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def ok(self) -> bool:
        """True when nothing failed (stale and vanished merges are reported, not failures)."""
        return self.aborted is None and self.count("failed") == 0

    def lines(self) -> Iterator[str]:
        """A readable account, one line per merge, then the totals."""
        if not self.execute:
            yield f"dry run of {self.decisions_file}: nothing is changed (add --execute to apply)"
        for outcome in self.outcomes:
            yield outcome.line()
        verb = "recorded" if self.execute else "would be recorded"
        for a, b in self.rejected:
            yield f"rejected: {a} and {b} are not the same ({verb}; never proposed again)"
        counts = ", ".join(
            f"{self.count(s)} {s}"
            for s in ("applied", "would-apply", "already-applied", "stale", "vanished", "failed")
            if self.count(s) or s == ("applied" if self.execute else "would-apply")
        )
        yield f"summary: {counts}; {len(self.rejected)} rejection(s) {verb}"
        if self.aborted:
            yield f"stopped early: {self.aborted}"
        if self.count("failed"):
            yield "some merges failed: run the same command again to finish (applied ones are skipped)"


def _staleness(snapshot: RecordSnapshot | None, current: Counterparty, ours: set[str]) -> str | None:
    """Why a record no longer matches what the report showed, or None when it still does.

    ``ours`` holds the fingerprints our own earlier merges left on this record (as survivor): merging
    9 into 7 after 1 into 7, or finishing a batch on a re-run, must not see 7 as changed by someone else.
    """
    if snapshot is None:
        return "the decisions file has no fingerprint for it"
    now = fingerprint(current)
    if now == snapshot.fingerprint or now in ours:
        return None
    if snapshot.identity is None:
        return "its identity changed since the report"
    changes = changed_fields(snapshot.identity, current)
    if not changes:
        return "its fingerprint differs from the report's"
    shown = "; ".join(f"{name} {old!r} -> {new!r}" for name, (old, new) in list(changes.items())[:4])
    more = f" (+{len(changes) - 4} more)" if len(changes) > 4 else ""
    return f"changed since the report: {shown}{more}"


def _same(a: RecordId, b: RecordId) -> bool:
    try:
        return same_id(a, b)
    except IdError:  # an odd id in an old store entry names none of ours
        return False


def _steps(doc: DecisionsFile) -> list[tuple[RecordId, RecordId]]:
    # The loader read every id as the API does and refused self-merges and competing survivors, so
    # equal ids here are the same record and each step is a real merge of two records.
    return list(dict.fromkeys(step for decision in doc.acted() for step in decision.merge_steps()))


def apply_merges(
    client: MergeClient,
    decisions_path: Path | str,
    *,
    execute: bool,
    store: DecisionStore,
    audit_path: Path | str,
) -> ApplySummary:
    """Apply (``execute=True``) or describe (dry run) a decisions file; see the module docstring."""
    path = Path(decisions_path).resolve()
    doc = load_decisions(path)
    summary = ApplySummary(decisions_file=path, execute=execute)
    audit = AuditLog(audit_path)
    source_tag = str(path)
    store.refresh()

    for decision in doc.acted():
        for a, b in decision.rejected_pairs():
            if execute:
                store.reject(a, b, source=source_tag)
            summary.rejected.append((a, b))

    for survivor, source in _steps(doc):
        outcome = _one(
            client, doc, survivor, source, execute=execute, store=store, audit=audit, source_tag=source_tag
        )
        summary.outcomes.append(outcome)
        if outcome.status == "failed" and outcome.reason.startswith("authentication"):
            summary.aborted = outcome.reason
            break
    return summary


def _one(
    client: MergeClient,
    doc: DecisionsFile,
    survivor: RecordId,
    source: RecordId,
    *,
    execute: bool,
    store: DecisionStore,
    audit: AuditLog,
    source_tag: str,
) -> MergeOutcome:
    def out(status: Status, reason: str = "") -> MergeOutcome:
        return MergeOutcome(survivor, source, status, reason)

    if store.is_applied(survivor, source):
        return out("already-applied", "the decision store has it as applied")

    records: dict[str, Counterparty] = {}
    for role, record_id in (("source", source), ("survivor", survivor)):
        try:
            records[role] = client.get_counterparty(record_id)
        except NotFoundError:
            return out("vanished", f"the {role} {record_id} no longer exists")
        except AuthError as exc:
            return out("failed", f"authentication refused, stopping: {exc}")
        except FlowtlyError as exc:
            return out("failed", f"could not re-read the {role} {record_id}: {exc}")

    for role, record_id in (("source", source), ("survivor", survivor)):
        ours = {
            m.result_fingerprint
            for m in store.applied_merges()
            if m.result_fingerprint and _same(m.survivor, record_id)
        }
        stale = _staleness(doc.snapshot(record_id), records[role], ours)
        if stale:
            return out("stale", f"the {role} {record_id} {stale}")

    if not execute:
        return out("would-apply")

    context = {
        "decisionsFile": source_tag,
        "reportId": doc.reportId,
        "survivor": survivor,
        "source": source,
        "sourcePreMerge": records["source"].api_dict(),
        "survivorPreMerge": records["survivor"].api_dict(),
    }
    audit.write("merge.attempt", **context)
    try:
        after = client.merge_counterparties(survivor, source)
    except NotFoundError as exc:
        audit.write("merge.failed", **context, error=str(exc))
        return out("vanished", f"the API no longer finds a record: {exc}")
    except AuthError as exc:
        audit.write("merge.failed", **context, error=str(exc))
        return out("failed", f"authentication refused, stopping: {exc}")
    except FlowtlyError as exc:
        audit.write("merge.failed", **context, error=str(exc))
        return out("failed", str(exc))
    store.mark_applied(survivor, source, decisions_file=source_tag, result_fingerprint=fingerprint(after))
    audit.write("merge.applied", **context, response=after.api_dict())
    return out("applied")
