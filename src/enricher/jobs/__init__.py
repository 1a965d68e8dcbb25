"""The background jobs as plain functions: they take ids and settings, build clients, call the engines.

One module per domain (:mod:`.snapshot`, :mod:`.matching`, :mod:`.review`, :mod:`.branding`) on what every
job shares (:mod:`.context`); :mod:`.registry` is the one table of them (queue, time limits, retry when
busy, the CLI's name) that the CLI and the Celery tasks both read. Celery tasks in ``tasks/`` are
one-line wrappers around these; the CLI calls them directly in embedded mode (no ``ENRICHER_REDIS_URL``:
file state, no broker). Every job is idempotent, because with late acknowledgement any of them may run
twice after a crash:

* ``sync`` replaces the register snapshot; ``match_one`` rewrites one record's candidates;
  ``match_chunk`` rewrites its part's file in the run folder; ``match_gather`` replaces all candidates.
* ``enrich_one`` runs under a per-record lock and re-reads the record: a field it already filled is
  not patched again, so a redelivered enrichment changes nothing.
* ``apply_merges`` skips merges the decision store records as applied.
"""

from typing import TYPE_CHECKING, Any

from enricher.jobs.registry import API_QUEUE, COMMANDS, JOBS, QUEUES, SCRAPE_QUEUE, JobRequest, JobSpec

if TYPE_CHECKING:
    from enricher.jobs.branding import ENRICH_LOCK, enrich_all_targets, enrich_one
    from enricher.jobs.context import JOB_NAMES, JobContext, event_jobs
    from enricher.jobs.matching import (
        MATCH_ALL_LOCK,
        Gathered,
        MatchPlan,
        match_all_inline,
        match_chunk,
        match_chunk_failed,
        match_gather,
        match_normalise,
        match_normalise_failed,
        match_one,
        match_result,
        plan_match_all,
        plan_normalised_run,
        stored_model,
    )
    from enricher.jobs.review import apply_merges, build_report
    from enricher.jobs.snapshot import SyncSummary, sync

_LAZY = {
    **dict.fromkeys(("ENRICH_LOCK", "enrich_all_targets", "enrich_one"), "branding"),
    **dict.fromkeys(("JOB_NAMES", "JobContext", "event_jobs"), "context"),
    **dict.fromkeys(
        (
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
        ),
        "matching",
    ),
    **dict.fromkeys(("apply_merges", "build_report"), "review"),
    **dict.fromkeys(("SyncSummary", "sync"), "snapshot"),
}


def __getattr__(name: str) -> Any:
    """The jobs, imported when first asked for: the registry alone loads no client, state or metrics."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"enricher.jobs.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "API_QUEUE",
    "COMMANDS",
    "ENRICH_LOCK",
    "JOBS",
    "JOB_NAMES",
    "MATCH_ALL_LOCK",
    "QUEUES",
    "SCRAPE_QUEUE",
    "Gathered",
    "JobContext",
    "JobRequest",
    "JobSpec",
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
    "match_normalise",
    "match_normalise_failed",
    "match_one",
    "match_result",
    "plan_match_all",
    "plan_normalised_run",
    "stored_model",
    "sync",
]
