"""The background jobs as plain functions: they take ids and settings, build clients, call the engines.

Celery tasks in ``tasks/`` are one-line wrappers around these; the CLI calls them directly in
embedded mode (no ``ENRICHER_REDIS_URL``: file state, no broker). Every job is idempotent, because
with late acknowledgement any of them may run twice after a crash:

* ``sync`` replaces the register snapshot; ``match_one`` rewrites one record's candidates;
  ``match_chunk`` rewrites its part's file in the run folder; ``match_gather`` replaces all candidates.
* ``enrich_one`` runs under a per-record lock and re-reads the record: a field it already filled is
  not patched again, so a redelivered enrichment changes nothing.
* ``apply_merges`` skips merges the decision store records as applied.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from enricher.config import Settings
from enricher.errors import AuthError, ConfigError, FlowtlyError, NotFoundError, StateError, TransientError
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
    "match_chunk_failed",
    "match_gather",
    "match_one",
    "match_result",
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
    """A full match split in parts; ``parts[k]`` is the ``[lo, hi)`` slice of pairs part ``k`` compares."""

    run_id: str
    parts: list[tuple[int, int]]


def _run_dir(ctx: JobContext, run_id: str) -> Path:
    return ctx.settings.state_dir / "match-runs" / run_id


def plan_match_all(ctx: JobContext, *, do_sync: bool = True) -> MatchPlan:
    """Sync, then normalise, block and learn once, and split the pairs to compare into parts.

    The plan's files go under the state dir (a volume every worker shares): the parts compare their
    slices of the pairs against it, and the gather finishes exactly as a single process would.
    """
    from enricher.matching import fanout

    if do_sync:
        sync(ctx)
    records = ctx.state.snapshot.raw()
    run_id = f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"
    directory = _run_dir(ctx, run_id)
    fanout.prune_runs(directory.parent, keep=2)
    with _decisions(ctx) as store:
        planned = fanout.plan(records, directory, decisions=store)
    parts = planned.slices(ctx.settings.match_chunk_pairs)
    (directory / "parts.json").write_text(json.dumps(parts))
    log.info(
        "match run %s planned in %.1f s: %d records, %d pairs to compare",
        run_id,
        planned.seconds,
        planned.records,
        planned.pairs,
    )
    if ctx.state.redis is not None:
        FanOut(ctx.state.redis, ctx.state.keys, run_id).start(len(parts))
    return MatchPlan(run_id=run_id, parts=parts)


_INDEX_CACHE: dict[str, Any] = {}
"""Per worker process: the match index of the current snapshot, kept current by match-one's upserts,
so a webhook does not refit the model on the whole register each time."""
_INDEX_MAX_AGE = 600.0


def _decisions(ctx: JobContext) -> Any:
    from enricher.state.decisions import open_decision_store

    return open_decision_store(ctx.settings)


def stored_model(decisions: Any) -> Any:
    """The model the last full match stored with the decision store (None: none yet, or unreadable)."""
    from enricher.matching import LearnedModel

    document = decisions.load_model()
    if document is None:
        return None
    try:
        return LearnedModel.from_json(document)
    except (ValueError, KeyError, TypeError) as exc:
        log.warning("stored match model unreadable, learning afresh: %s", exc)
        return None


def _index(ctx: JobContext, records: Sequence[Counterparty], decisions: Any, *, cache_key: str | None) -> Any:
    from enricher.matching import MatchIndex

    learned = stored_model(decisions)
    if cache_key is not None:
        cache_key = f"{cache_key}:model-{learned.version if learned is not None else 0}"
        cached = _INDEX_CACHE.get("index")
        if cached is not None and cached[0] == cache_key and time.monotonic() - cached[1] < _INDEX_MAX_AGE:
            cached[2].decisions = decisions
            return cached[2]
    index = MatchIndex.build(records, decisions=decisions, learned=learned)
    if learned is not None:
        log.info(
            "match index uses the stored model version %d (%d answers)", learned.version, learned.answers
        )
    if cache_key is not None:
        _INDEX_CACHE["index"] = (cache_key, time.monotonic(), index)
    return index


def _pair_key(pair: dict[str, Any]) -> tuple[str, str]:
    a, b = sorted((str(pair["a"]), str(pair["b"])))
    return a, b


def match_chunk(ctx: JobContext, run_id: str, part: int, lo: int, hi: int) -> bool:
    """Compare pairs ``[lo, hi)`` of a planned run; True when this was the last part to finish."""
    from enricher.matching import fanout

    compared = fanout.compare_part(_run_dir(ctx, run_id), lo, hi)
    if ctx.state.redis is None:
        return True
    return FanOut(ctx.state.redis, ctx.state.keys, run_id).arrive(part, {"pairs": compared})


def match_result(ctx: JobContext, pairs: Sequence[dict[str, Any]], records: Sequence[Counterparty]) -> Any:
    """A MatchResult from recorded pairs: candidates best first, clusters by matching's own rules.

    Clusters come from ``enricher.matching.cluster.build_clusters`` over the merge-band pairs and the
    approvals in the decision store; the average-linkage check uses the recorded pair scores (a pair
    that was never scored counts as 0, so a cluster may split where a full ``match`` would not).
    """
    import numpy as np

    from enricher.errors import RecordError
    from enricher.matching import Candidate, Evidence, Judgement, MatchResult, pair_key, prepare
    from enricher.matching.cluster import build_clusters

    prepared = []
    for record in records:
        try:
            prepared.append(prepare(record))
        except RecordError as exc:
            log.warning("record skipped: %s", exc)
    position = {p.id: k for k, p in enumerate(prepared)}
    candidates = [
        Candidate(
            p["a"],
            p["b"],
            float(p["score"]),
            p["band"],
            [
                Evidence(e["feature"], e["result"], float(e["weight"]), e.get("explanation", ""))
                for e in p.get("evidence", [])
            ],
        )
        for p in pairs
        if p["a"] in position and p["b"] in position
    ]
    candidates.sort(key=lambda c: (-c.score, str(c.a), str(c.b)))
    known: dict[tuple[int, int], float] = {}
    edges: list[tuple[int, int, float, str]] = []
    for c in candidates:
        i, j = position[c.a], position[c.b]
        known[(i, j)] = known[(j, i)] = c.score
        if c.band == "merge":
            top = max(c.evidence, key=lambda e: e.weight, default=None)
            edges.append((i, j, c.score, top.explanation.rstrip(".") if top else "strong match"))
    rejected: set[tuple[RecordId, RecordId]] = set()
    with _decisions(ctx) as store:
        for d in store.decisions():
            if d.a in position and d.b in position:
                if d.judgement is Judgement.APPROVED:
                    edges.append((position[d.a], position[d.b], 1.0, "approved by a person"))
                elif d.judgement is Judgement.REJECTED:
                    rejected.add(pair_key(d.a, d.b))
    edges.sort(key=lambda e: -e[2])

    def score_pairs(left: Any, right: Any) -> Any:
        return np.asarray([known.get((int(x), int(y)), 0.0) for x, y in zip(left, right, strict=True)])

    clusters = build_clusters(prepared, edges, score_pairs, rejected=rejected)
    stats = {
        "records": len(prepared),
        "candidates": len(candidates),
        "merge": sum(1 for c in candidates if c.band == "merge"),
        "review": sum(1 for c in candidates if c.band == "review"),
        "clusters": len(clusters),
    }
    return MatchResult(candidates, clusters, stats)


def match_chunk_failed(ctx: JobContext, run_id: str, part: int, reason: str) -> bool:
    """A part failed for good: it still arrives (with its reason), so the gather runs and reports it."""
    if ctx.state.redis is None:
        return False
    return FanOut(ctx.state.redis, ctx.state.keys, run_id).arrive(part, {"failed": reason})


def match_gather(ctx: JobContext, run_id: str) -> Any:
    """Finish a full match from its parts, record every pair and store the learnt model.

    A part that failed for good is compared here instead, so the result is always the whole
    register's; ``stats["failed_parts"]`` says which parts failed and why. Idempotent: the run's
    files stay until later runs prune them, so a redelivered gather finishes the same way.
    """
    from enricher.matching import fanout

    directory = _run_dir(ctx, run_id)
    failed: dict[int, str] = {}
    if ctx.state.redis is not None:
        fan = FanOut(ctx.state.redis, ctx.state.keys, run_id)
        failed = {
            part: str(found.get("failed"))
            for part, found in fan.results().items()
            if isinstance(found, dict) and "failed" in found
        }
    try:
        parts = [tuple(p) for p in json.loads((directory / "parts.json").read_text())]
    except (OSError, ValueError) as exc:
        raise StateError(f"full match {run_id}: its plan is unreadable ({type(exc).__name__})") from exc
    with _decisions(ctx) as store:
        result, redone = fanout.gather(directory, parts, decisions=store)
        if result.learned is not None:
            result.learned.version = store.save_model(result.learned.to_json())
    if failed or redone:
        log.warning(
            "full match %s: %d part(s) failed (%s); the gather compared %d part(s) itself",
            run_id,
            len(failed),
            "; ".join(f"part {k}: {why}" for k, why in sorted(failed.items())) or "none",
            len(redone),
        )
    ctx.state.candidates.replace_all(result.candidates)
    result.stats["failed_parts"] = failed
    result.stats["parts"] = len(parts)
    if ctx.state.redis is not None:
        FanOut(ctx.state.redis, ctx.state.keys, run_id).clear()
    _count_candidates("match-all", result.candidates)
    return result


def match_all_inline(ctx: JobContext) -> Any:
    """Embedded mode: sync, match everything in this process, record the pairs; the MatchResult."""
    from enricher.matching import match

    sync(ctx)
    records = ctx.state.snapshot.records()
    with _decisions(ctx) as store:
        result = match(records, decisions=store)
        if result.learned is not None:
            result.learned.version = store.save_model(result.learned.to_json())
    ctx.state.candidates.replace_all(result.candidates)
    _count_candidates("match-all", result.candidates)
    return result


def _count_candidates(job: str, candidates: Sequence[Any]) -> None:
    """Match outcomes for /metrics: candidates found, by band."""
    from enricher.metrics import MATCH_CANDIDATES

    for band in ("merge", "review"):
        found = sum(1 for c in candidates if (c.get("band") if isinstance(c, dict) else c.band) == band)
        if found:
            MATCH_CANDIDATES.labels(job, band).inc(found)


def match_one(ctx: JobContext, record_id: RecordId) -> list[dict[str, Any]]:
    """Re-read one counterparty, find its duplicate candidates, record them; [] if it is gone."""
    with ctx.flowtly() as client:
        try:
            record = client.get_counterparty(record_id)
        except NotFoundError:
            ctx.state.snapshot.remove(record_id)
            ctx.state.candidates.record(record_id, [])
            cached = _INDEX_CACHE.get("index")
            if cached is not None:
                cached[2].remove(record_id)
            return []
    if ctx.state.snapshot.synced_at() is None:  # never synced: one full pass, to compare against
        sync(ctx)
    synced = ctx.state.snapshot.synced_at()
    with _decisions(ctx) as store:
        records = ctx.state.snapshot.records()
        index = _index(ctx, records, store, cache_key=f"{synced}")
        candidates = [candidate_dict(c) for c in index.upsert(record)]
    ctx.state.snapshot.put(record)
    ctx.state.candidates.record(record.id if record.id is not None else record_id, candidates)
    _count_candidates("match-one", candidates)
    return candidates


# --- report and merges ------------------------------------------------------------------------


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
    from enricher.review.clients import build_client_section, fetch_clients
    from enricher.state.decisions import open_client_decision_store

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
    from enricher.review import apply_merges as apply
    from enricher.review import default_audit_path
    from enricher.review.apply import APPLY_LOCK, APPLY_LOCK_TTL

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


# --- branding ---------------------------------------------------------------------------------


class _TransientWatch:
    """Passes API calls through, remembering a TransientError that the enrichment swallowed.

    The write-back reports a failed PATCH as a per-record outcome; in a task, a 429/5xx that outlived
    the client's retries must instead fail the task so that Celery retries it later.
    """

    def __init__(self, client: FlowtlyClient) -> None:
        self._client = client
        self.transient: TransientError | None = None

    def _watch(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except TransientError as exc:
            self.transient = exc
            raise

    def iter_counterparties(self, **params: Any) -> Iterator[Counterparty]:
        return self._client.iter_counterparties(**params)

    def get_counterparty(self, record_id: RecordId) -> Counterparty:
        return self._watch(self._client.get_counterparty, record_id)  # type: ignore[no-any-return]

    def patch_counterparty(self, record_id: RecordId, patch: dict[str, Any]) -> Counterparty:
        return self._watch(self._client.patch_counterparty, record_id, patch)  # type: ignore[no-any-return]

    def enrich_branding_ai(self, record_id: RecordId) -> Counterparty:
        return self._watch(self._client.enrich_branding_ai, record_id)  # type: ignore[no-any-return]

    def enrich_branding_ai_bulk(self, record_ids: list[RecordId]) -> None:
        self._watch(self._client.enrich_branding_ai_bulk, record_ids)


async def _enrich_async(
    ctx: JobContext, client: _TransientWatch, record: Counterparty, overwrite: bool
) -> Any:
    from enricher.branding.enrich import enrich_counterparty
    from enricher.branding.fetch import GuardedTransport, SafeFetcher
    from enricher.branding.guard import AddressGuard, system_resolver

    transport: httpx.AsyncBaseTransport | None = None
    aclient = None
    if ctx.settings.redis_url is not None:
        # Page and image fetches share ENRICHER_FETCH_HOST_RPS per host with every other worker.
        from enricher.state._redis import async_redis
        from enricher.state.ratelimit import AsyncRateLimitedTransport, RedisRateLimiter

        aclient = async_redis(ctx.settings, max_connections=4, fail_fast=True)
        limiter = RedisRateLimiter(
            None, ctx.state.keys, rate=ctx.settings.fetch_host_rps, async_client=aclient
        )
        guard = AddressGuard(allow=tuple(ctx.settings.allow_hosts), resolver=system_resolver)
        transport = AsyncRateLimitedTransport(
            limiter, name="host", per_host=True, inner=GuardedTransport(guard)
        )
    try:
        async with SafeFetcher.from_settings(ctx.settings, transport=transport) as fetcher:
            return await enrich_counterparty(
                client, record, ctx.settings, overwrite=overwrite, fetcher=fetcher
            )
    finally:
        if aclient is not None:
            await aclient.aclose()


def enrich_one(
    ctx: JobContext, record_id: RecordId, *, overwrite: bool = False, refresh: bool = False
) -> Any:
    """Fill one counterparty's logoUrl/displayName from its website, under a per-record lock.

    Returns the write-back's outcome (None when the record is gone). ``refresh``: overwrite the
    branding only where it still holds what we wrote ourselves (the weekly refresh never replaces a
    value a person set). Raises LockBusy when another worker enriches the same record right now, and
    TransientError when Flowtly kept failing (the task retries later).
    """
    # The lock outlives the task's hard time limit (120 s) and stays below the visibility timeout.
    ttl = min(300.0, ctx.settings.visibility_timeout * 0.9)
    with ctx.state.locks.hold(ENRICH_LOCK.format(id=record_id), ttl=ttl), ctx.flowtly() as client:
        watch = _TransientWatch(client)
        try:
            record = client.get_counterparty(record_id)
        except NotFoundError:
            log.info("enrich %s: the record is gone", record_id)
            return None
        if refresh and not overwrite:
            overwrite = _still_ours(ctx, record)
        outcome = asyncio.run(_enrich_async(ctx, watch, record, overwrite))
        if watch.transient is not None:
            raise watch.transient
    if ctx.state.branding is not None and getattr(outcome, "applied", False) and outcome.patch:
        ctx.state.branding.wrote(record_id, dict(outcome.patch))
    log.info("enrich %s: %s (%s)", record_id, outcome.status, outcome.reason or ", ".join(outcome.patch))
    from enricher.metrics import ENRICH_OUTCOMES

    ENRICH_OUTCOMES.labels(outcome.status, ctx.settings.enrich_provider).inc()
    return outcome


def _still_ours(ctx: JobContext, record: Counterparty) -> bool:
    entry = (
        ctx.state.branding.get(record.id)
        if ctx.state.branding is not None and record.id is not None
        else None
    )
    if not entry or not entry.get("fields"):
        return False
    current = record.api_dict()
    return all(current.get(k) == v for k, v in entry["fields"].items())


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
