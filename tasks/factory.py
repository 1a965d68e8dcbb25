"""The Celery app: Redis broker and results, JSON only, two queues, late acks, bounded retries.

Why these settings (Celery 5.7, Redis transport):

* ``task_acks_late`` + idempotent tasks: a worker that dies mid-task leaves the message unacked, and
  Redis hands it to another worker after ``visibility_timeout``; every task is safe to run twice.
* ``visibility_timeout`` (default 240 s) is how long a dead worker's jobs wait: each live worker
  renews the messages it holds (running, reserved, waiting for a retry countdown) every quarter of it
  (``tasks.worker``), so time limits and countdowns may be longer, and a killed worker's jobs are back
  within the timeout plus one restore interval (< 5 min by default).
* ``task_reject_on_worker_lost``: a prefork child killed by the OOM killer or SIGKILL requeues its
  message at once. Safe here because tasks are idempotent and ``tasks.base`` drops a message that
  has killed ``ENRICHER_MAX_DELIVERIES`` workers (no poison loop).
* ``worker_prefetch_multiplier = 1``: long tasks do not queue up behind each other on one worker.
* ``worker_cancel_long_running_tasks_on_connection_loss`` stays **off** (Celery 6 will turn it on):
  on Redis it loses the running jobs. Cancelling terminates the prefork child first, then writes
  "retry" to the result backend, which is the same Redis and is down: that raises, the request is
  never marked cancelled, the terminated child is taken for a revoke, and the message is
  acknowledged once Redis is back: gone, never run (celery/celery#7185 is the same write failing).
  Nor is there anything to gain: a Redis ack is an HDEL on the shared ``unacked`` hash, valid from
  any connection, so a task that keeps running acknowledges after the reconnect; one that ends while
  Redis is still down cannot, and its message (safe in ``unacked``) comes back after the visibility
  timeout. Tasks are idempotent, so that second run changes nothing.
* ``task_publish_retry_policy``: sending a retry or a fanned-out job waits up to ~30 s for Redis to
  come back instead of Celery's ~1 s, so a restart does not fail the task that was sending.
"""

from __future__ import annotations

from celery import Celery
from celery.schedules import crontab
from kombu.entity import Queue

from enricher.config import Settings, load_settings
from enricher.errors import ConfigError
from enricher.jobs import API_QUEUE, JOBS, QUEUES, SCRAPE_QUEUE
from tasks import metrics, worker

__all__ = ["API_QUEUE", "SCRAPE_QUEUE", "TIME_LIMITS", "make_app"]

TIME_LIMITS: dict[str, tuple[int, int]] = {
    spec.task: (spec.soft_limit, spec.hard_limit) for spec in JOBS.values()
}
"""Task name: (soft, hard) seconds, from the job registry. Held messages are renewed (tasks.worker), so
these may exceed the visibility timeout."""

ROUTES = {spec.task: {"queue": spec.queue} for spec in JOBS.values()}
"""Each task to its job's queue (``enricher.jobs.JOBS``); anything else goes to the default, the API queue."""


PUBLISH_RETRY_POLICY = {"max_retries": 12, "interval_start": 0.5, "interval_step": 0.5, "interval_max": 3.0}
"""About 30 s of attempts (0.5, 1, 1.5 ... 3 s apart): a Redis restart fits in it."""


def _crontab(expr: str, variable: str) -> crontab:
    fields = expr.split()
    if len(fields) != 5:
        raise ConfigError(
            variable, f"expected 5 crontab fields (minute hour day month weekday), got {expr!r}"
        )
    minute, hour, day, month, weekday = fields
    try:
        return crontab(minute=minute, hour=hour, day_of_month=day, month_of_year=month, day_of_week=weekday)
    except ValueError as exc:
        raise ConfigError(variable, f"bad crontab {expr!r}: {exc}") from None


def make_app(settings: Settings | None = None) -> Celery:
    """The configured app; raises ConfigError when Redis is not set or a schedule is malformed."""
    settings = settings or load_settings()
    if settings.redis_url is None:
        raise ConfigError("ENRICHER_REDIS_URL", "the worker needs Redis (e.g. redis://127.0.0.1:6379/0)")
    vt = settings.visibility_timeout
    restore_interval = max(1, min(10, vt // 20))
    app = Celery("enricher", set_as_current=True)
    app.conf.update(
        broker_url=settings.redis_url,
        broker_transport="tasks.broker:Transport",  # kombu's Redis transport, truthful restore logs
        result_backend=settings.redis_url,
        broker_transport_options={
            "visibility_timeout": vt,
            "unacked_restore_interval": restore_interval,
            "unacked_restore_throttle": max(1, min(10, vt // (20 * restore_interval))),
            "socket_timeout": 10,
            "socket_connect_timeout": 5,
            "health_check_interval": 25,
        },
        result_backend_transport_options={"visibility_timeout": vt},
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        result_accept_content=["json"],
        result_expires=24 * 3600,
        task_ignore_result=True,
        task_acks_late=True,
        task_acks_on_failure_or_timeout=True,
        task_reject_on_worker_lost=True,
        task_track_started=False,
        task_default_queue=API_QUEUE,
        task_queues=[Queue(queue) for queue in QUEUES],  # type: ignore[no-untyped-call]
        task_routes=ROUTES,
        task_annotations={
            name: {"soft_time_limit": s, "time_limit": h} for name, (s, h) in TIME_LIMITS.items()
        },
        worker_prefetch_multiplier=1,
        worker_cancel_long_running_tasks_on_connection_loss=False,
        task_publish_retry=True,
        task_publish_retry_policy=PUBLISH_RETRY_POLICY,
        worker_send_task_events=True,
        task_send_sent_event=False,
        timezone="UTC",
        enable_utc=True,
        beat_schedule={
            "nightly-match-and-report": {
                "task": JOBS["nightly"].task,
                "schedule": _crontab(settings.schedule_match, "ENRICHER_SCHEDULE_MATCH"),
            },
            "weekly-reenrich": {
                "task": JOBS["weekly_reenrich"].task,
                "schedule": _crontab(settings.schedule_reenrich, "ENRICHER_SCHEDULE_REENRICH"),
            },
        },
        beat_scheduler="tasks.beat:SingleBeatScheduler",
    )
    app.conf.enricher_settings = settings
    worker.install(app)
    metrics.connect()
    return app
