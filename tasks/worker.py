"""What a worker process sets up besides the app's settings: warning filters and log levels.

Connected by ``tasks.factory.make_app``; nothing here changes producers (the CLI, the receiver).

* httpx logs every request at INFO ("HTTP Request: GET ... 200"), five lines a record that bury the
  warnings: the worker shows them only at ``--loglevel DEBUG``.
* A job given up is one ERROR line from ``tasks.base`` naming the task and the record; Celery's own
  "raised unexpected" line for it (with the traceback) is kept, at WARNING.
* ``ENRICHER_LOG_FORMAT=json``: Celery's handlers (worker and task loggers) write JSON lines.
"""

from __future__ import annotations

import logging
import warnings
from typing import Any

from celery import Celery, signals

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


def install(app: Celery) -> None:
    """Connect the worker-process hooks (idempotent)."""
    signals.celeryd_after_setup.connect(_after_setup, weak=False, dispatch_uid="enricher-worker-setup")
    signals.after_setup_logger.connect(_json_logs, weak=False, dispatch_uid="enricher-json-logs")
    signals.after_setup_task_logger.connect(_json_logs, weak=False, dispatch_uid="enricher-json-task-logs")
