"""The one Task base class: retry on transient errors only, late acks, and a poison-message guard.

* Retries: ``TransientError`` (Flowtly 429/5xx/network after the client's own retries),
  ``httpx.TransportError``, Redis connection errors and ``StateError``; exponential backoff with full
  jitter, capped at ``ENRICHER_RETRY_BACKOFF_MAX`` (below the visibility timeout), at most
  ``ENRICHER_TASK_MAX_RETRIES`` times. Auth, validation and bad input fail at once.
* Poison guard: each start of a message (task id + retry number) is counted in Redis. A message that
  was started ``ENRICHER_MAX_DELIVERIES`` times without finishing has killed that many workers (OOM,
  segfault, SIGKILL); it is given up (its ERROR line and its job's failure hook, as when its retries
  run out) and dropped instead of being redelivered for ever.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx
import redis
from celery import Task
from celery.exceptions import Reject
from kombu.exceptions import OperationalError

from enricher.config import Settings
from enricher.errors import EnricherError, StateError, TransientError
from enricher.jobs import JobContext
from enricher.state import DeliveryCounter, LockBusy

__all__ = ["RETRYABLE", "EnricherTask", "PoisonMessageError", "subject"]

log = logging.getLogger("tasks")

RETRYABLE: tuple[type[BaseException], ...] = (
    TransientError,
    httpx.TransportError,
    redis.ConnectionError,
    redis.TimeoutError,
    OperationalError,  # kombu could not publish (a fanned-out job) while Redis restarts
    StateError,
)


class PoisonMessageError(EnricherError):
    """A message started ``ENRICHER_MAX_DELIVERIES`` times without finishing: it killed its workers."""

    def __init__(self, starts: int) -> None:
        super().__init__(f"started {starts} times without finishing (poison message), dropped")
        self.starts = starts


def subject(args: Any, kwargs: Any) -> str:
    """What a job was about, for its log lines: ``record 42``, or its arguments."""
    args, kwargs = list(args or ()), dict(kwargs or {})
    rid = kwargs.get("record_id", args[0] if args else None)
    if isinstance(rid, int | str) and (isinstance(rid, int) or rid.isdigit()):
        return f"record {rid}"
    shown = ", ".join([*(repr(a) for a in args), *(f"{k}={v!r}" for k, v in kwargs.items())])
    return f"({shown[:200]})"


class EnricherTask(Task):  # type: ignore[misc]
    """Base of every enricher task (see the module docstring)."""

    abstract = True
    acks_late = True
    reject_on_worker_lost = True
    ignore_result = True
    autoretry_for = RETRYABLE
    dont_autoretry_for = (LockBusy,)
    retry_backoff = 2
    retry_backoff_max = 600
    retry_jitter = True
    max_retries = 8

    _ctx: JobContext | None = None

    @property
    def settings(self) -> Settings:
        settings: Settings = self.app.conf.enricher_settings
        return settings

    @property
    def ctx(self) -> JobContext:
        """Job context of this worker process (opened lazily, after the prefork fork)."""
        if EnricherTask._ctx is None:
            EnricherTask._ctx = JobContext.open(self.settings)
        return EnricherTask._ctx

    def _deliveries(self) -> DeliveryCounter | None:
        client = self.ctx.state.redis
        return DeliveryCounter(client, self.ctx.state.keys, ttl=7 * 86400) if client is not None else None

    def retry(self, *args: Any, **kwargs: Any) -> Any:
        """Celery's retry, except that a retry that cannot be sent keeps the message.

        Celery answers a failed publish (Redis down for longer than the publish retries) with
        ``Reject(requeue=False)``, which deletes the job. Requeueing instead puts it back at once when
        Redis answers again, or, while it is still down, leaves it in ``unacked`` for the visibility
        timeout to restore.
        """
        try:
            return super().retry(*args, **kwargs)
        except Reject as exc:
            if exc.requeue:
                raise
            log.warning(
                "%s[%s] retry could not be sent (%r): message requeued",
                self.name,
                self.request.id,
                exc.reason,
            )
            raise Reject(exc.reason, requeue=True) from None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        request = self.request
        counter = self._deliveries()
        if counter is not None and request.id and not request.called_directly:
            try:
                starts = counter.started(f"{request.id}:{request.retries or 0}")
            except StateError:
                starts = 1  # Redis is down: run anyway; the task's own Redis use will retry
            if starts > self.settings.max_deliveries:
                # Given up like any job: one ERROR line, and the job's failure hook runs (a fanned-out
                # part arrives failed, so its run goes on; a gather releases its run's marker).
                self.on_failure(PoisonMessageError(starts - 1), request.id, args, kwargs, None)
                return None
        return super().__call__(*args, **kwargs)

    def on_failure(self, exc: BaseException, task_id: str, args: Any, kwargs: Any, einfo: Any) -> None:
        """The one ERROR line of a job given up (retries spent, or an error not worth retrying)."""
        log.error(
            "%s[%s] gave up on %s: %s: %s", self.name, task_id, subject(args, kwargs), type(exc).__name__, exc
        )

    def after_return(
        self, status: str, retval: Any, task_id: str, args: Any, kwargs: Any, einfo: Any
    ) -> None:
        counter = self._deliveries()
        if counter is not None and task_id:
            counter.finished(f"{task_id}:{self.request.retries or 0}")
