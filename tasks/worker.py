"""What a worker process sets up besides the app's settings: held-message renewal, logs, warnings.

Connected by ``tasks.factory.make_app``; nothing here changes producers (the CLI, the receiver).

* Renewal: Redis redelivers an unacked message once its timestamp in ``unacked_index`` is older
  than the visibility timeout. A thread in the worker's main process moves the timestamps of every
  message this worker holds (running, reserved, waiting for a countdown) to now, every quarter of
  the timeout (``ZADD XX``: never re-adds an acknowledged one). So a short timeout (240 s) brings a
  dead worker's jobs back in minutes without redelivering the long jobs of live ones. A thread, not
  the event loop's timer, so a solo-pool worker busy with a task renews too.
* httpx logs every request at INFO ("HTTP Request: GET ... 200"), five lines a record that bury the
  warnings: the worker shows them only at ``--loglevel DEBUG``.
* A job given up is one ERROR line from ``tasks.base`` naming the task and the record; Celery's own
  "raised unexpected" line for it (with the traceback) is kept, at WARNING.
* ``ENRICHER_LOG_FORMAT=json``: Celery's handlers (worker and task loggers) write JSON lines.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import warnings
from typing import Any

import redis
from celery import Celery, signals
from celery.worker import state as worker_state

from enricher.state import sync_redis

__all__ = ["install"]

_CANCEL_WARNING = r"(?s).*worker_cancel_long_running_tasks_on_connection_loss"
_CHATTY = ("httpx", "httpcore")


class _DemoteCeleryFailure(logging.Filter):
    """Celery's failure line for our tasks goes to WARNING: ours (tasks.base) is the ERROR."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if (
            record.levelno == logging.ERROR
            and isinstance(args, dict)
            and args.get("description") == "raised unexpected"
            and str(args.get("name", "")).startswith("enricher.")
        ):
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


def _after_setup(**_: Any) -> None:
    # Celery warns at every reconnect that 6.0 will cancel late-ack tasks on connection loss; we keep
    # that off on purpose (tasks.factory). Added after Celery's logging setup, which resets its
    # deprecation warnings to "always".
    warnings.filterwarnings("ignore", message=_CANCEL_WARNING)
    if logging.getLogger().getEffectiveLevel() > logging.DEBUG:
        for name in _CHATTY:
            logging.getLogger(name).setLevel(logging.WARNING)
    trace = logging.getLogger("celery.app.trace")
    if not any(isinstance(f, _DemoteCeleryFailure) for f in trace.filters):
        trace.addFilter(_DemoteCeleryFailure())


def _json_logs(logger: Any = None, **_: Any) -> None:
    from enricher.logs import formatter, log_format

    if log_format() != "json" or logger is None:
        return
    for handler in logger.handlers:
        handler.setFormatter(formatter("json"))


log = logging.getLogger("tasks.worker")


def held_tags() -> list[str]:
    """Delivery tags of the messages this worker holds and has not acknowledged."""
    for _ in range(5):  # the sets are WeakSets changed by the consumer thread: retry a torn read
        try:
            requests = (
                *worker_state.active_requests,
                *worker_state.reserved_requests,
                *worker_state.scheduled_requests,
            )
            break
        except RuntimeError:
            continue
    else:
        return []
    tags = {getattr(r.message, "delivery_tag", None) for r in requests if not r.acknowledged}
    return [str(t) for t in tags if t]


class Renewer:
    """Renews this worker's held messages every ``interval`` seconds, from a daemon thread."""

    def __init__(self, client: redis.Redis, index_key: str, interval: float) -> None:
        self.client = client
        self.index_key = index_key
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="enricher-renew", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def renew(self) -> int:
        tags = held_tags()
        if not tags:
            return 0
        now = time.time()
        changed = self.client.zadd(self.index_key, dict.fromkeys(tags, now), xx=True, ch=True)
        return int(changed or 0)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.renew()
            except redis.RedisError as exc:  # Redis away: the next beat tries again
                log.debug("renewal of held messages failed: %r", exc)


def install(app: Celery) -> None:
    """Connect the worker-process hooks (idempotent)."""
    signals.celeryd_after_setup.connect(_after_setup, weak=False, dispatch_uid="enricher-worker-setup")
    signals.after_setup_logger.connect(_json_logs, weak=False, dispatch_uid="enricher-json-logs")
    signals.after_setup_task_logger.connect(_json_logs, weak=False, dispatch_uid="enricher-json-task-logs")
    running: list[Renewer] = []

    def start_renewal(**_: Any) -> None:
        if running:
            return
        settings = app.conf.enricher_settings
        options = app.conf.broker_transport_options or {}
        renewer = Renewer(
            sync_redis(settings),
            options.get("unacked_index_key", "unacked_index"),
            interval=max(1.0, settings.visibility_timeout / 4),
        )
        renewer.start()
        running.append(renewer)

    def stop_renewal(**_: Any) -> None:
        while running:
            with contextlib.suppress(Exception):
                running.pop().stop()

    signals.worker_ready.connect(start_renewal, weak=False, dispatch_uid="enricher-renew-start")
    signals.worker_shutdown.connect(stop_renewal, weak=False, dispatch_uid="enricher-renew-stop")
