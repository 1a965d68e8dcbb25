"""The background jobs as plain functions: they take ids and settings, build clients, call the engines.

Celery tasks in ``tasks/`` are one-line wrappers around these; the CLI calls them directly in
embedded mode (no ``ENRICHER_REDIS_URL``: file state, no broker). Every job is idempotent, because
with late acknowledgement any of them may run twice after a crash:

* ``sync`` replaces the register snapshot; ``match_one`` rewrites one record's candidates;
  ``match_chunk`` results land in a set keyed by part; ``match_gather`` replaces all candidates.
* ``enrich_one`` runs under a per-record lock and re-reads the record: a field it already filled is
  not patched again, so a redelivered enrichment changes nothing.
* ``apply_merges`` skips merges the decision store records as applied.
"""

from __future__ import annotations

import contextlib
import logging
import math
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from enricher.config import Settings
from enricher.errors import ConfigError, NotFoundError
from enricher.flowtly.client import FlowtlyClient
from enricher.flowtly.models import Counterparty, RecordId
from enricher.state.backend import JobState, open_state
from enricher.state.candidates import candidate_dict
from enricher.state.ratelimit import RateLimitedTransport
from enricher.state.runs import FanOut

__all__ = [
    "JOB_NAMES",
    "JobContext",
    "MatchPlan",
    "SyncSummary",
    "apply_merges",
    "build_report",
    "enrich_all_targets",
    "enrich_one",
    "event_jobs",
    "match_all_inline",
    "match_chunk",
    "match_gather",
    "match_one",
    "plan_match_all",
    "sync",
]

log = logging.getLogger(__name__)

JOB_NAMES = ("match", "enrich")
"""Jobs a counterparty created/updated event may trigger (``ENRICHER_WEBHOOK_JOBS``)."""

MATCH_ALL_LOCK = "match-all"
ENRICH_LOCK = "enrich:{id}"


def event_jobs(settings: Settings) -> tuple[str, ...]:
    """The jobs a counterparty change triggers, from ``ENRICHER_WEBHOOK_JOBS`` (empty: none)."""
    jobs = tuple(dict.fromkeys(j.strip().lower() for j in settings.webhook_jobs.split(",") if j.strip()))
    unknown = [j for j in jobs if j not in JOB_NAMES]
    if unknown:
        raise ConfigError("ENRICHER_WEBHOOK_JOBS", f"unknown job(s) {unknown}; known: {', '.join(JOB_NAMES)}")
    return jobs


@dataclass
class JobContext:
    """What a job needs: settings, state, and a way to reach Flowtly (shared when given)."""

    settings: Settings
    state: JobState
    client: FlowtlyClient | None = None
    _owned: list[Any] = field(default_factory=list, repr=False)

    @classmethod
    def open(cls, settings: Settings, *, client: FlowtlyClient | None = None) -> JobContext:
        return cls(settings=settings, state=open_state(settings), client=client)

    @contextlib.contextmanager
    def flowtly(self) -> Iterator[FlowtlyClient]:
        """The API client; with Redis, all workers share the ``ENRICHER_FLOWTLY_RPS`` budget."""
        if self.client is not None:
            yield self.client
            return
        if self.settings.flowtly_url is None:
            from enricher.flowtly.connect import connect

            with connect(self.settings) as client:
                yield client
            return
        http: httpx.Client | None = None
        if self.state.flowtly_limiter is not None:
            transport = RateLimitedTransport(self.state.flowtly_limiter, name="flowtly")
            http = httpx.Client(transport=transport, headers={"User-Agent": "enricher-worker/0.1"})
        try:
            with FlowtlyClient.from_settings(self.settings, http=http) as client:
                yield client
        finally:
            if http is not None:
                http.close()

    def close(self) -> None:
        self.state.close()


# --- sync -------------------------------------------------------------------------------------


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


# --- matching ---------------------------------------------------------------------------------


@dataclass
class MatchPlan:
    """A full match split in parts; ``parts[k]`` are the ids part ``k`` scores against everyone."""

    run_id: str
    parts: list[list[RecordId]]


def plan_match_all(ctx: JobContext, *, do_sync: bool = True) -> MatchPlan:
    """Sync, then split the register into chunks and start the fan-out latch (Redis mode)."""
    if do_sync:
        sync(ctx)
    ids = [r.id for r in ctx.state.snapshot.records() if r.id is not None]
    size = ctx.settings.match_chunk_size
    parts = [ids[i : i + size] for i in range(0, len(ids), size)] or [[]]
    run_id = f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"
    if ctx.state.redis is not None:
        FanOut(ctx.state.redis, ctx.state.keys, run_id).start(len(parts))
    return MatchPlan(run_id=run_id, parts=parts)


def _index(ctx: JobContext, records: Sequence[Counterparty]) -> Any:
    from enricher.matching import MatchIndex

    return MatchIndex.build(records)


def _decisions(ctx: JobContext) -> Any:
    from enricher.state.decisions import open_decision_store

    return open_decision_store(ctx.settings)


def match_chunk(ctx: JobContext, run_id: str, part: int, ids: Sequence[RecordId]) -> bool:
    """Score the records ``ids`` against the whole snapshot; True when this was the last part to finish."""
    records = ctx.state.snapshot.records()
    wanted = {str(i) for i in ids}
    index = _index(ctx, records)
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for record in records:
        if str(record.id) in wanted:
            for cand in index.upsert(record):
                pair = candidate_dict(cand.to_contract() if hasattr(cand, "to_contract") else cand)
                found[tuple(sorted((str(pair["a"]), str(pair["b"]))))] = pair  # type: ignore[index]
    if ctx.state.redis is None:
        return True
    fan = FanOut(ctx.state.redis, ctx.state.keys, run_id)
    return fan.arrive(part, list(found.values()))


def _results_to_match(
    ctx: JobContext, pairs: Sequence[dict[str, Any]], records: Sequence[Counterparty]
) -> Any:
    """A MatchResult (candidates, clusters, stats) from recorded pairs."""
    from enricher.matching import results as mr

    candidates = [
        mr.Candidate(
            a=p["a"],
            b=p["b"],
            score=float(p["score"]),
            band=p["band"],
            evidence=[
                mr.Evidence(e["feature"], e["result"], float(e["weight"]), e.get("explanation", ""))
                for e in p.get("evidence", [])
            ],
        )
        for p in pairs
    ]
    candidates.sort(key=lambda c: (-c.score, str(c.a), str(c.b)))
    clusters = _clusters(candidates, records)
    return mr.MatchResult(candidates=candidates, clusters=clusters, stats={"pairs": len(candidates)})


def _clusters(candidates: Sequence[Any], records: Sequence[Counterparty]) -> list[Any]:
    import enricher.matching as matching

    build = getattr(matching, "build_clusters", None) or getattr(matching, "cluster", None)
    if build is None:
        raise RuntimeError("enricher.matching offers no clustering function")
    return list(build(candidates, {r.id: r for r in records}))


def match_gather(ctx: JobContext, run_id: str) -> Any:
    """Collect the parts of a full match, record every pair, and return the MatchResult."""
    if ctx.state.redis is None:
        raise RuntimeError("match_gather needs Redis")
    fan = FanOut(ctx.state.redis, ctx.state.keys, run_id)
    pairs: dict[tuple[str, str], dict[str, Any]] = {}
    for part in fan.results().values():
        for pair in part:
            pairs[tuple(sorted((str(pair["a"]), str(pair["b"]))))] = pair  # type: ignore[index]
    ctx.state.candidates.replace_all(pairs.values())
    records = ctx.state.snapshot.records()
    fan.clear()
    return _results_to_match(ctx, list(pairs.values()), records)


def match_all_inline(ctx: JobContext) -> Any:
    """Embedded mode: sync, match everything in this process, record the pairs; the MatchResult."""
    from enricher.matching import match

    sync(ctx)
    records = ctx.state.snapshot.records()
    with _decisions(ctx) as store:
        result = match(records, decisions=store)
    ctx.state.candidates.replace_all(result.candidates)
    return result


def match_one(ctx: JobContext, record_id: RecordId) -> list[dict[str, Any]]:
    """Re-read one counterparty, find its duplicate candidates, record them; [] if it is gone."""
    with ctx.flowtly() as client:
        try:
            record = client.get_counterparty(record_id)
        except NotFoundError:
            ctx.state.snapshot.remove(record_id)
            ctx.state.candidates.record(record_id, [])
            return []
    records = ctx.state.snapshot.records()
    if not records:  # never synced: one full pass first, so there is something to compare against
        sync(ctx)
        records = ctx.state.snapshot.records()
    others = [r for r in records if str(r.id) != str(record.id)]
    index = _index(ctx, others)
    candidates = [candidate_dict(c) for c in index.upsert(record)]
    ctx.state.snapshot.put(record)
    ctx.state.candidates.record(record.id if record.id is not None else record_id, candidates)
    return candidates


# --- report and merges ------------------------------------------------------------------------


def build_report(ctx: JobContext, *, out_dir: Path | None = None) -> Any:
    """Write the review report from the recorded candidates and the snapshot (no API call)."""
    from enricher.review import write_report

    records = ctx.state.snapshot.records()
    result = _results_to_match(ctx, ctx.state.candidates.all(), records)
    return write_report(result, {r.id: r for r in records}, out_dir or ctx.settings.out_dir)


def apply_merges(
    ctx: JobContext, decisions_path: Path, *, execute: bool, audit_path: Path | None = None
) -> Any:
    """Apply approved merges; the decision store skips merges already applied (idempotent)."""
    from enricher.review import apply_merges as apply

    with ctx.flowtly() as client, _decisions(ctx) as store:
        return apply(
            client,
            decisions_path,
            execute=execute,
            store=store,
            audit_path=audit_path or ctx.settings.out_dir / "merges-audit.jsonl",
        )


# --- branding ---------------------------------------------------------------------------------


def enrich_one(
    ctx: JobContext, record_id: RecordId, *, overwrite: bool = False, refresh: bool = False
) -> Any:
    """Fill one counterparty's logoUrl/displayName from its website, under a per-record lock.

    ``refresh``: overwrite the branding only where it still holds what we wrote ourselves (the
    weekly refresh of stale branding never replaces a value a person set). Raises LockBusy when
    another worker is enriching the same record right now.
    """
    from enricher.branding.enrich import enrich_all

    # The lock outlives the task's hard time limit (120 s) and stays below the visibility timeout.
    ttl = min(300.0, ctx.settings.visibility_timeout * 0.9)
    with ctx.state.locks.hold(ENRICH_LOCK.format(id=record_id), ttl=ttl), ctx.flowtly() as client:
        if refresh and not overwrite:
            overwrite = _still_ours(ctx, client, record_id)
        summary = enrich_all(client, ctx.settings, overwrite=overwrite, ids=[record_id])
    _note_branding(ctx, summary)
    return summary


def _still_ours(ctx: JobContext, client: FlowtlyClient, record_id: RecordId) -> bool:
    entry = ctx.state.branding.get(record_id) if ctx.state.branding is not None else None
    if not entry or not entry.get("fields"):
        return False
    try:
        current = client.get_counterparty(record_id).api_dict()
    except NotFoundError:
        return False
    return all(current.get(k) == v for k, v in entry["fields"].items())


def _note_branding(ctx: JobContext, summary: Any) -> None:
    ledger = ctx.state.branding
    if ledger is None:
        return
    for rid, fields in _filled(summary):
        ledger.wrote(rid, fields)


def _filled(summary: Any) -> list[tuple[RecordId, dict[str, Any]]]:
    out: list[tuple[RecordId, dict[str, Any]]] = []
    for item in getattr(summary, "filled", []) or []:
        rid = getattr(item, "id", None) or getattr(item, "record_id", None)
        if rid is None and isinstance(item, dict):
            rid = item.get("id")
        if rid is None:
            continue
        fields = getattr(item, "patch", None) or (item.get("patch") if isinstance(item, dict) else None) or {}
        out.append((rid, dict(fields)))
    return out


def enrich_all_targets(ctx: JobContext, *, stale_days: int | None = None) -> list[RecordId]:
    """Ids worth (re-)enriching: a website and no logo or display name; plus, with ``stale_days``,
    records whose branding we wrote more than that many days ago."""
    records = ctx.state.snapshot.records()
    targets = [
        r.id
        for r in records
        if r.id is not None and r.corporateWebsiteUrl and (not r.logoUrl or not r.displayName)
    ]
    if stale_days is not None and ctx.state.branding is not None:
        stale = ctx.state.branding.older_than(stale_days * 86400)
        known = {str(r.id): r.id for r in records if r.id is not None}
        targets += [known[k] for k in stale if k in known and known[k] not in targets]
    return targets


def chunks(ids: Sequence[RecordId], size: int) -> list[list[RecordId]]:
    """``ids`` in lists of at most ``size`` (fan-out helper)."""
    n = max(1, math.ceil(len(ids) / max(1, size)))
    return [list(ids[i * size : (i + 1) * size]) for i in range(n) if ids[i * size : (i + 1) * size]]
