"""Celery wiring for enricher: ``celery -A tasks worker`` (or ``enricher worker``) runs these.

The app reads ``ENRICHER_*`` settings at import; ``ENRICHER_REDIS_URL`` is required here (the CLI's
embedded mode never imports this package). Task names: ``enricher.<job>``; see ``tasks.definitions``.
"""

from __future__ import annotations

from tasks.app import API_QUEUE, SCRAPE_QUEUE, make_app
from tasks.definitions import register

app = make_app()
_tasks = register(app)

dispatch = _tasks["dispatch"]
sync = _tasks["sync"]
match_all = _tasks["match_all"]
match_chunk = _tasks["match_chunk"]
match_gather = _tasks["match_gather"]
match_one = _tasks["match_one"]
build_report = _tasks["build_report"]
enrich_one = _tasks["enrich_one"]
enrich_all = _tasks["enrich_all"]
apply_merges = _tasks["apply_merges"]
nightly = _tasks["nightly"]
weekly_reenrich = _tasks["weekly_reenrich"]

__all__ = [
    "API_QUEUE",
    "SCRAPE_QUEUE",
    "app",
    "apply_merges",
    "build_report",
    "dispatch",
    "enrich_all",
    "enrich_one",
    "match_all",
    "match_chunk",
    "match_gather",
    "match_one",
    "nightly",
    "sync",
    "weekly_reenrich",
]
