"""The one table of background jobs: name, queue, time limits, retry when busy, and how a person runs it.

Light on purpose: the jobs themselves are imported when one runs, so ``enricher worker`` can read the
table before anything loads ``prometheus_client`` (which must see ``PROMETHEUS_MULTIPROC_DIR`` first).

``enricher jobs run`` (queued or inline), the Celery app's routes and time limits, and the task
definitions in ``tasks/`` all read :data:`JOBS`, so they cannot drift: a job added here is routed,
limited, defined and (with a ``command``) runnable from the CLI, or a test says what is missing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from enricher.records import RecordId

if TYPE_CHECKING:
    from enricher.jobs.context import JobContext

__all__ = ["API_QUEUE", "COMMANDS", "JOBS", "QUEUES", "SCRAPE_QUEUE", "JobRequest", "JobSpec"]

API_QUEUE = "enricher.api"
"""Work that talks to the Flowtly API (or only to Redis): sync, match, report, merges, dispatch."""
SCRAPE_QUEUE = "enricher.scrape"
"""Work that fetches counterparties' websites: enrich-one, enrich-all."""
QUEUES = (API_QUEUE, SCRAPE_QUEUE)

Call = tuple[tuple[Any, ...], dict[str, Any]]
"""Positional and keyword arguments of one task message."""
NO_ARGUMENTS: Call = ((), {})


@dataclass(frozen=True)
class JobRequest:
    """What a person asked ``enricher jobs run`` for."""

    ids: Sequence[RecordId] = ()
    overwrite: bool = False
    decisions: Path | None = None
    execute: bool = False


@dataclass(frozen=True)
class JobSpec:
    """One background job as every runner sees it."""

    name: str
    """Short name; the Celery task is ``enricher.<name>`` (stable: routes and beat use it)."""
    queue: str
    soft_limit: int
    hard_limit: int
    """Seconds (soft raises in the task, hard kills it); may exceed the visibility timeout (renewed)."""
    busy_retry: int | None = None
    """Retry after at most this many seconds when someone else holds the job's lock (None: no lock)."""
    command: str | None = None
    """``enricher jobs run <command>``; None for jobs only other jobs or the schedule start."""
    per_id: bool = False
    """The command takes counterparty ids, one task each."""
    messages: Callable[[JobRequest], list[Call]] = field(default=lambda request: [NO_ARGUMENTS], repr=False)
    """The task messages a request queues."""
    inline: Callable[[JobContext, JobRequest], dict[str, Any]] | None = field(default=None, repr=False)
    """The same job run in this process (embedded mode): its JSON summary."""

    @property
    def task(self) -> str:
        return f"enricher.{self.name}"


def _sync_inline(ctx: JobContext, request: JobRequest) -> dict[str, Any]:
    from enricher.jobs.snapshot import sync

    return {"synced": sync(ctx).count}


def _match_all_inline(ctx: JobContext, request: JobRequest) -> dict[str, Any]:
    from enricher.jobs.matching import match_all_inline

    result = match_all_inline(ctx)
    return {"candidates": len(result.candidates), "clusters": len(result.clusters)}


def _match_one_inline(ctx: JobContext, request: JobRequest) -> dict[str, Any]:
    from enricher.jobs.matching import match_one

    return {str(i): match_one(ctx, i) for i in request.ids}


def _report_inline(ctx: JobContext, request: JobRequest) -> dict[str, Any]:
    from enricher.jobs.review import build_report

    return {"report": str(build_report(ctx))}


def _enrich_one_inline(ctx: JobContext, request: JobRequest) -> dict[str, Any]:
    from enricher.jobs.branding import enrich_one

    return {str(i): str(enrich_one(ctx, i, overwrite=request.overwrite)) for i in request.ids}


def _enrich_all_inline(ctx: JobContext, request: JobRequest) -> dict[str, Any]:
    from enricher.jobs.branding import enrich_all_targets, enrich_one
    from enricher.jobs.snapshot import sync

    sync(ctx)
    return {str(i): str(enrich_one(ctx, i)) for i in enrich_all_targets(ctx)}


def _apply_merges_inline(ctx: JobContext, request: JobRequest) -> dict[str, Any]:
    from enricher.jobs.review import apply_merges

    assert request.decisions is not None  # the CLI asks for --decisions first
    return {"merges": str(apply_merges(ctx, request.decisions, execute=request.execute))}


JOBS: dict[str, JobSpec] = {
    spec.name: spec
    for spec in (
        JobSpec("dispatch", API_QUEUE, 20, 30),
        JobSpec(
            "sync",
            API_QUEUE,
            600,
            660,
            command="sync",
            inline=_sync_inline,
        ),
        JobSpec(
            "match_all",
            API_QUEUE,
            900,
            960,
            command="match-all",
            messages=lambda request: [((), {"report": True})],
            inline=_match_all_inline,
        ),
        JobSpec("match_normalise", API_QUEUE, 900, 960),
        JobSpec("match_plan", API_QUEUE, 900, 960),
        JobSpec("match_chunk", API_QUEUE, 900, 960),
        JobSpec("match_gather", API_QUEUE, 900, 960),
        JobSpec(
            "match_one",
            API_QUEUE,
            60,
            90,
            command="match-one",
            per_id=True,
            messages=lambda request: [((i,), {}) for i in request.ids],
            inline=_match_one_inline,
        ),
        JobSpec(
            "build_report",
            API_QUEUE,
            600,
            660,
            command="report",
            inline=_report_inline,
        ),
        JobSpec(
            "enrich_one",
            SCRAPE_QUEUE,
            90,
            120,
            busy_retry=30,
            command="enrich-one",
            per_id=True,
            messages=lambda request: [((i,), {"overwrite": request.overwrite}) for i in request.ids],
            inline=_enrich_one_inline,
        ),
        JobSpec("enrich_all", SCRAPE_QUEUE, 300, 360, command="enrich-all", inline=_enrich_all_inline),
        JobSpec(
            "apply_merges",
            API_QUEUE,
            1800,
            1860,
            busy_retry=60,
            command="apply-merges",
            messages=lambda request: [((str(request.decisions),), {"execute": request.execute})],
            inline=_apply_merges_inline,
        ),
        JobSpec("nightly", API_QUEUE, 60, 90),
        JobSpec("weekly_reenrich", API_QUEUE, 60, 90),
    )
}
"""Every job by short name."""

COMMANDS: dict[str, JobSpec] = {spec.command: spec for spec in JOBS.values() if spec.command}
"""The jobs ``enricher jobs run`` knows, by command name."""
