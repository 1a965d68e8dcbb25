"""What a worker process sets up besides the app's settings: its warning filters.

Connected by ``tasks.factory.make_app``; nothing here runs in producers (the CLI, the receiver).
"""

from __future__ import annotations

import warnings
from typing import Any

from celery import Celery, signals

__all__ = ["install"]

_CANCEL_WARNING = r"(?s).*worker_cancel_long_running_tasks_on_connection_loss"


def _quiet_known_warnings(**_: Any) -> None:
    # Celery warns at every reconnect that 6.0 will cancel late-ack tasks on connection loss; we keep
    # that off on purpose (tasks.factory), so the warning would only bury the real lines. Added after
    # Celery's own logging setup, which resets its deprecation warnings to "always".
    warnings.filterwarnings("ignore", message=_CANCEL_WARNING)


def install(app: Celery) -> None:
    """Connect the worker-process hooks (idempotent)."""
    signals.celeryd_after_setup.connect(_quiet_known_warnings, weak=False, dispatch_uid="enricher-warnings")
