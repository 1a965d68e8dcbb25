"""Task counts, latencies and last runs for ``/metrics`` and ``enricher status``, from Celery's signals.

Connected once when the app is built (``tasks.factory.make_app``). Each handler is a few lines calling
``enricher.metrics`` and ``enricher.status``; a Redis hiccup never fails a task.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from celery import signals

__all__ = ["connect"]

log = logging.getLogger(__name__)

_started: dict[str, float] = {}
_connected = False

_OUTCOMES = {"SUCCESS": "success", "FAILURE": "failure", "RETRY": "retry", "REJECTED": "rejected"}


def _state(sender: Any) -> Any:
    ctx = getattr(sender, "ctx", None)
    return ctx.state if ctx is not None else None


def _prerun(task_id: str | None = None, **_: Any) -> None:
    if task_id:
        _started[task_id] = time.perf_counter()


def _postrun(task_id: str | None = None, task: Any = None, state: str | None = None, **_: Any) -> None:
    from enricher.metrics import TASK_SECONDS, TASKS

    began = _started.pop(task_id or "", None)
    seconds = time.perf_counter() - began if began is not None else 0.0
    name = getattr(task, "name", "?")
    outcome = _OUTCOMES.get(state or "", (state or "unknown").lower())
    TASKS.labels(name, outcome).inc()
    TASK_SECONDS.labels(name, outcome).observe(seconds)
    job_state = _state(task)
    if job_state is None or job_state.redis is None or not task_id:
        return
    from enricher.status import record_run

    try:
        record_run(job_state.redis, job_state.keys, name, outcome, seconds, task_id)
    except Exception as exc:  # status is for people; the task's own outcome stands
        log.debug("status not recorded for %s: %s", name, exc)


def _retry(sender: Any = None, request: Any = None, reason: Any = None, **_: Any) -> None:
    job_state = _state(sender)
    task_id = getattr(request, "id", None)
    if job_state is None or job_state.redis is None or not task_id:
        return
    from enricher.status import record_retry

    try:
        record_retry(job_state.redis, job_state.keys, getattr(sender, "name", "?"), task_id, str(reason))
    except Exception as exc:
        log.debug("retry not recorded for %s: %s", task_id, exc)


def connect() -> None:
    """Connect the handlers (once per process)."""
    global _connected
    if _connected:
        return
    signals.task_prerun.connect(_prerun, weak=False)
    signals.task_postrun.connect(_postrun, weak=False)
    signals.task_retry.connect(_retry, weak=False)
    _connected = True
