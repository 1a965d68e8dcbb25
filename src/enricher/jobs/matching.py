"""Matching's jobs: a full match planned, compared in parts and gathered (or inline), one record at a time.

Idempotent, as every job: ``match_one`` rewrites one record's candidates, ``match_chunk`` rewrites its
part's file in the run folder, ``match_gather`` replaces all candidates.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from enricher.errors import NotFoundError, StateError, SupersededError
from enricher.heap import release_freed
from enricher.jobs.context import JobContext
from enricher.jobs.context import decisions as _decisions
from enricher.jobs.snapshot import sync
from enricher.records import Counterparty, RecordId
from enricher.state import FanOut, candidate_dict

__all__ = [
    "MATCH_ALL_LOCK",
    "Gathered",
    "MatchPlan",
    "match_all_inline",
    "match_chunk",
    "match_chunk_failed",
    "match_gather",
    "match_normalise",
    "match_normalise_failed",
    "match_one",
    "match_result",
    "plan_match_all",
    "plan_normalised_run",
    "stored_model",
]

log = logging.getLogger("enricher.jobs")

MATCH_ALL_LOCK = "match-all"


@dataclass
class MatchPlan:
    """A full match split in parts; ``parts[k]`` is the ``[lo, hi)`` slice of pairs part ``k`` compares,
    or, for ``step == "normalise"``, the slice of records part ``k`` normalises before the pairs are
    planned (:func:`plan_normalised_run`)."""

    run_id: str
    parts: list[tuple[int, int]]
    step: str = "compare"


@dataclass
class Gathered:
    """What a full match's gather tells its task: how many candidates it recorded, and the run's
    statistics. The result itself is freed inside the job (see :func:`match_gather`)."""

    candidates: int
    stats: dict[str, Any]


def _normalising(ctx: JobContext, run_id: str) -> FanOut:
    """The latch of a run's normalising parts (the compare parts have the run's own)."""
    assert ctx.state.redis is not None
    return FanOut(ctx.state.redis, ctx.state.keys, f"{run_id}:normalise")


_MARK = "recorded.json"
"""A run's file of the candidates' clock read before its snapshot (see ``CandidateStore.replace_all``)."""


def _mark(directory: Path) -> int | None:
    """The run's mark; None for a run planned before marks were kept (its gather replaces everything)."""
    try:
        return int(json.loads((directory / _MARK).read_text())["mark"])
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise StateError(f"match run {directory.name}: {_MARK} unreadable ({type(exc).__name__})") from exc


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
    mark = ctx.state.candidates.mark()  # before the snapshot: what match-one records after it is newer
    run_id = f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"
    directory = _run_dir(ctx, run_id)
    fanout.prune_runs(directory.parent, keep=2)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / _MARK).write_text(json.dumps({"mark": mark}))
    if ctx.state.redis is not None and ctx.state.snapshot.size() > ctx.settings.match_chunk_records:
        # A large register is normalised in parts too: its ids listed once, each part reading its own
        # slice of records from the snapshot.
        # The run before's normalised records, for those unchanged since (a night's run mostly).
        previous = fanout.latest_run(directory.parent)
        count = fanout.stage_ids(ctx.state.snapshot.ids(), directory, previous=previous)
        slices = fanout.record_slices(count, ctx.settings.match_chunk_records)
        (directory / "records.json").write_text(json.dumps(slices))
        _normalising(ctx, run_id).start(len(slices))
        log.info(
            "match run %s: %d records to normalise in %d parts%s",
            run_id,
            count,
            len(slices),
            f", reusing what run {previous.name} normalised" if previous is not None else "",
        )
        return MatchPlan(run_id=run_id, parts=slices, step="normalise")
    records = ctx.state.snapshot.raw()
    with _decisions(ctx) as store:
        planned = fanout.plan(records, directory, decisions=store)
    del records
    release_freed()
    return _planned(ctx, run_id, planned)


def _planned(ctx: JobContext, run_id: str, planned: Any) -> MatchPlan:
    """Split a planned run's pairs into parts and open their latch."""
    parts = planned.slices(ctx.settings.match_chunk_pairs)
    (planned.directory / "parts.json").write_text(json.dumps(parts))
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


def match_normalise(ctx: JobContext, run_id: str, part: int, lo: int, hi: int) -> bool:
    """Normalise records ``[lo, hi)`` of a staged run; True when this was the last part to finish."""
    from enricher.matching import fanout

    started = time.perf_counter()
    done = fanout.normalise_part(_run_dir(ctx, run_id), lo, hi, read=ctx.state.snapshot.raw_of)
    release_freed()  # the part's records are written and freed
    seconds = round(time.perf_counter() - started, 3)
    return _normalising(ctx, run_id).arrive(
        part, {"records": done.records, "reused": done.reused, "seconds": seconds}
    )


def match_normalise_failed(ctx: JobContext, run_id: str, part: int, reason: str) -> bool:
    """A normalising part failed for good: it arrives anyway, and the plan step normalises its slice."""
    return _normalising(ctx, run_id).arrive(part, {"failed": reason})


def plan_normalised_run(ctx: JobContext, run_id: str) -> MatchPlan:
    """Collect a run's normalised parts, block, learn, and split the pairs into compare parts.

    Idempotent: a redelivered plan step (its parts' files already collected) normalises again."""
    from enricher.matching import fanout

    directory = _run_dir(ctx, run_id)
    slices = _slices(directory / "records.json", f"full match {run_id}: its staged records are")
    latch = _normalising(ctx, run_id)
    arrived = latch.results()
    failed = _failed(arrived)
    with _decisions(ctx) as store:
        planned, redone = fanout.plan_normalised(
            directory, slices, read=ctx.state.snapshot.raw_of, decisions=store
        )
    if failed or redone:
        log.warning(
            "full match %s: %d normalising part(s) failed (%s); the plan normalised %d slice(s) itself",
            run_id,
            len(failed),
            _reasons(failed),
            len(redone),
        )
    reports = [v for v in arrived.values() if isinstance(v, dict)]
    log.info(
        "match run %s: %d normalising parts took %.1f s together; %d of %d records' normalised values "
        "reused from the run before (their JSON unchanged)",
        run_id,
        len(slices),
        sum(float(v.get("seconds", 0)) for v in reports),
        sum(int(v.get("reused", 0)) for v in reports),
        planned.records,
    )
    latch.clear()
    release_freed()  # the register the plan held is freed: its heap pages back to the system
    return _planned(ctx, run_id, planned)


def _slices(path: Path, what: str) -> list[tuple[int, int]]:
    """A run's ``[lo, hi)`` slices as its planning step wrote them (records.json, parts.json)."""
    try:
        return [(int(lo), int(hi)) for lo, hi in json.loads(path.read_text())]
    except (OSError, ValueError, TypeError) as exc:
        raise StateError(f"{what} unreadable ({type(exc).__name__})") from exc


def _failed(arrived: dict[int, Any]) -> dict[int, str]:
    """The parts of a latch that arrived failed for good, with their reasons."""
    return {k: str(v["failed"]) for k, v in arrived.items() if isinstance(v, dict) and "failed" in v}


def _reasons(failed: dict[int, str]) -> str:
    return "; ".join(f"part {k}: {why}" for k, why in sorted(failed.items())) or "none"


_INDEX_CACHE: dict[str, Any] = {}
"""Per worker process: the match index of the current snapshot, kept current by match-one's upserts,
so a webhook does not refit the model on the whole register each time."""
_INDEX_MAX_AGE = 600.0


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


def match_chunk(ctx: JobContext, run_id: str, part: int, lo: int, hi: int) -> bool:
    """Compare pairs ``[lo, hi)`` of a planned run; True when this was the last part to finish."""
    from enricher.matching import fanout

    compared = fanout.compare_part(_run_dir(ctx, run_id), lo, hi)
    release_freed()  # the part's levels are written and freed (the run's plan stays for its next part)
    if ctx.state.redis is None:
        return True
    return FanOut(ctx.state.redis, ctx.state.keys, run_id).arrive(part, {"pairs": compared})


def match_result(ctx: JobContext, pairs: Sequence[dict[str, Any]], records: Sequence[Counterparty]) -> Any:
    """A MatchResult from recorded pairs: candidates best first, clusters by matching's own rules.

    Clusters come from matching's one rule (:func:`enricher.matching.cluster_links`) over the
    merge-band pairs and the answers in the decision store; the average-linkage check uses the recorded
    pair scores (a pair never scored counts as 0, so a cluster may split where a full ``match`` would not).
    """
    import numpy as np

    from enricher.errors import RecordError
    from enricher.matching import Candidate, Evidence, Judgement, Link, MatchResult, cluster_links, prepare

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
                Evidence(e["feature"], e["result"], round(float(e["weight"]), 3), e.get("explanation", ""))
                for e in p.get("evidence", [])
            ],
        )
        for p in pairs
        if p["a"] in position and p["b"] in position
    ]
    candidates.sort(key=lambda c: (-c.score, str(c.a), str(c.b)))
    known: dict[tuple[int, int], float] = {}
    links: list[Link] = []
    for c in candidates:
        i, j = position[c.a], position[c.b]
        known[(min(i, j), max(i, j))] = c.score
        if c.band == "merge":
            top = max(c.evidence, key=lambda e: e.weight, default=None)
            links.append(Link(i, j, c.score, top.explanation.rstrip(".") if top else "strong match"))
    with _decisions(ctx) as store:
        answers = [(d.a, d.b, d.judgement is Judgement.APPROVED) for d in store.decisions()]

    def unscored(left: Any, right: Any) -> Any:
        return np.zeros(len(left))  # a pair never scored counts as 0

    clusters = cluster_links(prepared, links, answers, unscored, known=known)
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


def match_gather(ctx: JobContext, run_id: str) -> Gathered:
    """Finish a full match from its parts, record every pair and store the learnt model.

    A part that failed for good is compared here instead, so the result is always the whole
    register's; ``stats["failed_parts"]`` says which parts failed and why. Idempotent: the run's
    files stay until later runs prune them, so a redelivered gather finishes the same way.

    The cyclic garbage collector stays paused until the result is freed: the gather makes millions of
    objects (records, evidence, candidates), and the first allocations after a pause would have it walk
    all of them, young generation, middle and old (1M records: ~3.8 s of a ~34 s gather). Reference
    counting frees them all the same.
    """
    from enricher.matching import counts_text, fanout, no_gc, stages_text

    directory = _run_dir(ctx, run_id)
    fan = FanOut(ctx.state.redis, ctx.state.keys, run_id) if ctx.state.redis is not None else None
    failed = _failed(fan.results()) if fan is not None else {}
    parts = _slices(directory / "parts.json", f"full match {run_id}: its plan is")
    since = _mark(directory)  # read first: an unreadable run fails before the work, not after it
    with no_gc(), _decisions(ctx) as store:
        clock = time.perf_counter()
        result, redone = fanout.gather(directory, parts, decisions=store)
        matched = time.perf_counter()
        _record_and_keep(ctx, store, result, since=since, run=run_id)
        recorded = time.perf_counter()
        gathered = Gathered(len(result.candidates), result.stats)
        del result
    release_freed()  # the match is freed: its heap pages back to the system, not held until the next run
    # The run's stages as a single process times them (the plan's in another process), then the
    # gather's own finishing and recording.
    log.info(
        "full match %s: %s; stages: %s; the gather took %.1fs to finish the match and %.1fs to record it",
        run_id,
        counts_text(gathered.stats),
        stages_text(gathered.stats.get("timings", {})),
        matched - clock,
        recorded - matched,
    )
    skipped = gathered.stats.get("skipped") or []
    if skipped:  # malformed, an id given twice, or deleted after the run listed it
        more = f"; and {len(skipped) - 5} more" if len(skipped) > 5 else ""
        log.warning(
            "full match %s: %d record(s) not matched: %s%s",
            run_id,
            len(skipped),
            "; ".join(skipped[:5]),
            more,
        )
    if failed or redone:
        log.warning(
            "full match %s: %d part(s) failed (%s); the gather compared %d part(s) itself",
            run_id,
            len(failed),
            _reasons(failed),
            len(redone),
        )
    gathered.stats["failed_parts"] = failed
    gathered.stats["parts"] = len(parts)
    if fan is not None:
        fan.clear()
    return gathered


def match_all_inline(ctx: JobContext) -> Any:
    """Embedded mode: sync, match everything in this process, record the pairs; the MatchResult."""
    from enricher.matching import match

    sync(ctx)
    mark = ctx.state.candidates.mark()
    records = ctx.state.snapshot.records()
    with _decisions(ctx) as store:
        result = match(records, decisions=store)
        _record_and_keep(ctx, store, result, since=mark, run="in this process")
    return result


def _record_and_keep(ctx: JobContext, store: Any, result: Any, *, since: int | None, run: str) -> None:
    """Record a full match's pairs, then store what it learnt and count them (/metrics); none of it
    when a run that started later has recorded its pairs already (``stats["superseded"]``): a
    redelivered or late gather of an older run must not put back an older register's pairs and model."""
    try:
        _record_all(ctx, result.candidates, since=since)
    except SupersededError as exc:
        log.warning("full match %s: %s", run, exc)
        result.stats["superseded"] = {"mark": exc.since, "newer": exc.newer}
        return
    if result.learned is not None:
        result.learned.version = store.save_model(result.learned.to_json())
    _count_candidates("match-all", result.candidates)


def _record_all(ctx: JobContext, candidates: Sequence[Any], *, since: int | None) -> None:
    """Replace every recorded pair but those of records recorded after ``since`` (a webhook during the
    run), with the cyclic garbage collector paused: the process still holds the whole match, and the
    collections that a million new dicts and blobs set off walked all of it again (a 1M gather: 17.8 s
    -> 11.1 s)."""
    from enricher.matching import no_gc

    with no_gc():
        ctx.state.candidates.replace_all(candidates, since=since)


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
