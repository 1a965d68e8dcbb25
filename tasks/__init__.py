"""Celery wiring for enricher: ``celery -A tasks worker`` (or ``enricher worker``) runs these.

The app is built on first use of ``tasks.app`` (or of a task attribute), from the ``ENRICHER_*``
settings; ``ENRICHER_REDIS_URL`` is required then. Importing ``tasks.factory`` for ``make_app`` alone
needs nothing. Task names are ``enricher.<job>``; see ``tasks.definitions``.
"""

from __future__ import annotations

from typing import Any

from tasks.factory import API_QUEUE, SCRAPE_QUEUE

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

_loaded: dict[str, Any] = {}


def _load() -> dict[str, Any]:
    if not _loaded:
        from tasks.definitions import register
        from tasks.factory import make_app

        celery_app = make_app()
        found = register(celery_app)
        _loaded.update(found, app=celery_app)
    return _loaded


def __getattr__(name: str) -> Any:
    """``tasks.app`` and ``tasks.<task>``: the configured app and its tasks, built once (PEP 562)."""
    if name in __all__ and name not in ("API_QUEUE", "SCRAPE_QUEUE"):
        return _load()[name]
    raise AttributeError(f"module 'tasks' has no attribute {name!r}")
