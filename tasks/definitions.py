"""The tasks: one per job of the registry (``enricher.jobs.JOBS``), each a module-level function that
takes ids, calls its job in ``enricher.jobs`` and fans out by sending more tasks.

Names (``enricher.<job>``), queues, time limits and the retry when a job's lock is busy all come from the
registry; :func:`register` binds :data:`BODIES` to an app and refuses a job without a body or a body
without a job. All tasks are idempotent (see ``enricher.jobs``); retries are in ``tasks.base``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from celery import Celery
from redis import Redis

from enricher import jobs
from enricher.errors import StateError, TransientError
from enricher.records import RecordId
from enricher.state import LockBusy, once, own, release
from tasks.base import EnricherTask

__all__ = ["BODIES", "register"]

log = logging.getLogger("tasks")

RUNNING = "match-all:running"
"""Marker held by a full match from its planning to its gather (expires after :func:`_run_window`); its
value is the run's id once planned (``planning`` before), so that only that run's gather or failed
plan releases it."""
PLANNING = "planning"
REPORT_WANTED = "match-all:report-wanted"
"""Set when a report was asked for while a run without one was in progress."""


def send(task: EnricherTask, job: str, *args: Any, **kwargs: Any) -> Any:
    """Queue ``job`` (a short name of the registry) from inside a task, on the same app."""
    return task.app.tasks[jobs.JOBS[job].task].delay(*args, **kwargs)


def dispatch(self: EnricherTask, events: list[dict[str, Any]]) -> int:
    """Counterparties were created or changed: queue match-one and enrich-one for each id.

    One message carries a batch of webhook events (the receiver's relay sends a batch per round
    trip), so the receiver's cost per event stays far below one Celery publish.
    """
    wanted = jobs.event_jobs(self.settings)
    ids = list(dict.fromkeys(rid for event in events for rid in event.get("ids", [])))
    sent = 0
    for rid in ids:
        if "match" in wanted:
            send(self, "match_one", rid)
            sent += 1
        if "enrich" in wanted:
            send(self, "enrich_one", rid)
            sent += 1
    _redis(self).incrby(self.ctx.state.keys.counter("events_dispatched"), len(events))
    log.info("%d webhook event(s), %d record(s): %d jobs queued", len(events), len(ids), sent)
    return sent


def sync(self: EnricherTask) -> int:
    return jobs.sync(self.ctx).count


def match_all(self: EnricherTask, report: bool = True, sync: bool = True) -> str | None:
    """One full match at a time: sync, plan, fan out slices of the pairs; the last part gathers.

    A request that finds a run in progress does not start another; if it wanted a report, the
    running one writes it when it gathers. ``sync=False`` matches the snapshot as it stands.
    """
    state = self.ctx.state
    r = _redis(self)
    try:
        with state.locks.hold(jobs.MATCH_ALL_LOCK, ttl=60):
            # The short lock serialises planning; the run itself holds a marker until its gather.
            if not once(r, state.keys, RUNNING, window=_run_window(self), holder=PLANNING):
                if report:
                    r.set(state.keys.once(REPORT_WANTED), "1", ex=_run_window(self))
                log.info("a full match is already running; not starting another")
                return None
            try:
                plan = jobs.plan_match_all(self.ctx, do_sync=sync)
                own(r, state.keys, RUNNING, plan.run_id)
            except BaseException:
                # No run to wait for: a retry (or the next request) starts afresh, not in an hour.
                release(r, state.keys, RUNNING, PLANNING)
                raise
    except LockBusy:
        log.info("a full match is being planned by another worker")
        return None
    _send_parts(self, plan, report)
    return plan.run_id


def _send_parts(task: EnricherTask, plan: jobs.MatchPlan, report: bool) -> None:
    job = "match_normalise" if plan.step == "normalise" else "match_chunk"
    for part, (lo, hi) in enumerate(plan.parts):
        send(task, job, plan.run_id, part, lo, hi, report)
    log.info("full match %s: %d parts (%s)", plan.run_id, len(plan.parts), plan.step)


def match_normalise(
    self: EnricherTask, run_id: str, part: int, lo: int, hi: int, report: bool = True
) -> None:
    """Normalise one slice of a large register's records; the last part starts the plan step."""
    if jobs.match_normalise(self.ctx, run_id, part, lo, hi):
        send(self, "match_plan", run_id, report)


def match_plan(self: EnricherTask, run_id: str, report: bool = True) -> None:
    """Block and learn once over the normalised register, then fan the pairs out to compare parts."""
    _send_parts(self, jobs.plan_normalised_run(self.ctx, run_id), report)


def run_failed(
    self: EnricherTask, exc: BaseException, task_id: str, args: Any, kwargs: Any, einfo: Any
) -> None:
    """A full match's plan step or gather gave up (retries spent, or an error not worth retrying; not on
    a retry: the run is still going): its ERROR line, and the run's marker goes, so the next request
    starts afresh. If Redis cannot be reached for that either, the marker expires."""
    EnricherTask.on_failure(self, exc, task_id, args, kwargs, einfo)
    run_id = args[0] if args else kwargs["run_id"]
    try:
        release(_redis(self), self.ctx.state.keys, RUNNING, run_id)
    except StateError as error:
        window = _run_window(self)
        log.warning("full match %s: its running marker expires within %d s: %s", run_id, window, error)


def _part_failed(arrive: str, then: str, doc: str) -> Callable[..., None]:
    """The failure hook of a fanned-out part: its ERROR line (retries spent), then it arrives anyway
    through ``jobs.<arrive>``, and the part that completes the latch sends ``then`` (which redoes what
    failed)."""

    def hook(
        self: EnricherTask, exc: BaseException, task_id: str, args: Any, kwargs: Any, einfo: Any
    ) -> None:
        EnricherTask.on_failure(self, exc, task_id, args, kwargs, einfo)
        run_id, part = args[0], args[1]
        report = args[4] if len(args) > 4 else kwargs.get("report", True)
        if getattr(jobs, arrive)(self.ctx, run_id, part, f"{type(exc).__name__}: {exc}"):
            send(self, then, run_id, report)

    hook.__doc__ = doc
    return hook


normalise_failed = _part_failed(
    "match_normalise_failed", "match_plan", "A normalising part gave up: the plan step normalises its slice."
)
chunk_failed = _part_failed(
    "match_chunk_failed", "match_gather", "A comparing part gave up: the gather compares its slice."
)


def match_chunk(self: EnricherTask, run_id: str, part: int, lo: int, hi: int, report: bool = True) -> None:
    """Compare one slice of a planned full match's pairs."""
    if jobs.match_chunk(self.ctx, run_id, part, lo, hi):
        send(self, "match_gather", run_id, report)


def match_gather(self: EnricherTask, run_id: str, report: bool = True) -> int:
    r = _redis(self)
    keys = self.ctx.state.keys
    result = jobs.match_gather(self.ctx, run_id)
    if "superseded" in result.stats:
        # A newer run has recorded already: its marker (even one an older version took, see
        # state.release) and its wish for a report stay.
        return 0
    wanted = keys.once(REPORT_WANTED)
    wished = bool(r.delete(wanted))
    if wished or report:
        try:
            send(self, "build_report")
        except BaseException:
            if wished:  # the gather is retried: the wish waits for it
                r.set(wanted, "1", ex=_run_window(self))
            raise
    # Only this run's marker, and last, once nothing of the gather can fail and retry it (or when it
    # gives up: run_failed): a gather being retried still holds it, so no second run starts beside
    # the retry; a late gather (redelivered, or after its marker expired) must not let a third run
    # start beside a newer one.
    release(r, keys, RUNNING, run_id)
    return result.candidates


def match_one(self: EnricherTask, record_id: RecordId) -> int:
    return len(jobs.match_one(self.ctx, record_id))


def build_report(self: EnricherTask) -> str:
    paths = jobs.build_report(self.ctx)
    return str(getattr(paths, "html", paths))


def enrich_one(
    self: EnricherTask, record_id: RecordId, overwrite: bool = False, refresh: bool = False
) -> None:
    try:
        jobs.enrich_one(self.ctx, record_id, overwrite=overwrite, refresh=refresh)
    except LockBusy as exc:
        # Someone enriches this record right now; come back once they are done (the record may
        # have changed again since they read it).
        raise self.retry(exc=exc, countdown=_busy_countdown(self, "enrich_one")) from exc


def enrich_all(self: EnricherTask, stale_days: int | None = None, do_sync: bool = True) -> int:
    """Fan out enrich-one over every record worth (re-)enriching."""
    if do_sync:
        jobs.sync(self.ctx)
    targets = jobs.enrich_all_targets(self.ctx, stale_days=stale_days)
    for rid in targets:
        send(self, "enrich_one", rid, refresh=stale_days is not None)
    return len(targets)


def apply_merges(self: EnricherTask, decisions_path: str, execute: bool = False) -> Any:
    try:
        summary = jobs.apply_merges(self.ctx, Path(decisions_path), execute=execute)
    except LockBusy as exc:
        # Another applier (CLI or worker) is merging; applied merges are skipped on the re-run.
        raise self.retry(exc=exc, countdown=_busy_countdown(self, "apply_merges")) from exc
    failed = summary.count("failed") if execute else 0
    if failed:
        # Merges that failed (a 429/5xx storm outlasting the client's retries) are done by the task's
        # retry, which skips the applied ones; returning would drop them for good.
        raise TransientError(f"{failed} of {len(summary.outcomes)} merges failed; retrying the rest")
    return str(summary)


def nightly(self: EnricherTask) -> None:
    """Beat's nightly entry: once per 20 h, whatever the number of beat processes."""
    if once(_redis(self), self.ctx.state.keys, "schedule:nightly", window=20 * 3600):
        send(self, "match_all", report=True)


def weekly_reenrich(self: EnricherTask) -> None:
    """Beat's weekly entry: re-enrich empty and stale branding, once per 6 days."""
    if once(_redis(self), self.ctx.state.keys, "schedule:weekly-reenrich", window=6 * 86400):
        send(self, "enrich_all", stale_days=self.settings.enrich_stale_days)


BODIES: dict[str, Callable[..., Any]] = {
    "dispatch": dispatch,
    "sync": sync,
    "match_all": match_all,
    "match_normalise": match_normalise,
    "match_plan": match_plan,
    "match_chunk": match_chunk,
    "match_gather": match_gather,
    "match_one": match_one,
    "build_report": build_report,
    "enrich_one": enrich_one,
    "enrich_all": enrich_all,
    "apply_merges": apply_merges,
    "nightly": nightly,
    "weekly_reenrich": weekly_reenrich,
}
"""The body of each job of the registry, by short name."""

FAILURE_HOOKS: dict[str, Callable[..., None]] = {
    "match_normalise": normalise_failed,
    "match_plan": run_failed,
    "match_chunk": chunk_failed,
    "match_gather": run_failed,
}
"""Jobs that do more than log when they give up."""


def register(app: Celery) -> dict[str, Any]:
    """Define every job of the registry as a task on ``app``; returns them by short name."""
    if set(BODIES) != set(jobs.JOBS):
        raise RuntimeError(f"tasks and jobs differ: {sorted(set(BODIES) ^ set(jobs.JOBS))}")
    settings = app.conf.enricher_settings
    found: dict[str, Any] = {}
    for name, spec in jobs.JOBS.items():
        extra = {"on_failure": FAILURE_HOOKS[name]} if name in FAILURE_HOOKS else {}
        found[name] = app.task(
            name=spec.task,
            base=EnricherTask,
            bind=True,
            retry_backoff_max=settings.retry_backoff_max,
            max_retries=settings.task_max_retries,
            **extra,
        )(BODIES[name])
    return found


def _busy_countdown(task: EnricherTask, job: str) -> int:
    """Seconds until a job whose lock was busy tries again: its registry wait, within the backoff cap."""
    wait = jobs.JOBS[job].busy_retry or 30
    return min(wait, task.settings.retry_backoff_max)


RUN_WINDOW = 3600
"""Seconds a full match may hold its running marker (chunks + gather) if its gather never comes."""


def _run_window(task: EnricherTask) -> int:
    """How long a full match may hold its running marker (not the visibility timeout: held messages
    are renewed, so a run may outlast it)."""
    return max(RUN_WINDOW, int(task.settings.visibility_timeout))


def _redis(task: EnricherTask) -> Redis:
    r = task.ctx.state.redis
    if r is None:  # pragma: no cover - make_app refuses to start without Redis
        raise RuntimeError("tasks need Redis")
    return r
