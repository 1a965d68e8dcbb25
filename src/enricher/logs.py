"""Log lines as text (the default) or as JSON objects, one a line (``ENRICHER_LOG_FORMAT=json``).

JSON lines come from ``python-json-logger``; every record keeps its ``extra`` fields. The same
choice reaches the CLI (:func:`configure`), the Celery worker (``tasks.metrics`` applies
:func:`formatter` to Celery's handlers) and the webhook receiver (:func:`uvicorn_formatters`).
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

__all__ = ["TEXT_FORMAT", "configure", "formatter", "log_format", "uvicorn_formatters"]

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s"
_RENAMED = {"asctime": "time", "levelname": "level", "name": "logger"}


def log_format() -> str:
    """``json`` or ``text``, from ``ENRICHER_LOG_FORMAT`` (read directly: logging starts before settings)."""
    value = os.environ.get("ENRICHER_LOG_FORMAT", "text").strip().lower()
    return "json" if value == "json" else "text"


def formatter(fmt: str | None = None) -> logging.Formatter:
    """The formatter for ``fmt`` (default: :func:`log_format`)."""
    if (fmt or log_format()) == "json":
        from pythonjsonlogger.json import JsonFormatter

        return JsonFormatter(_JSON_FIELDS, rename_fields=_RENAMED)
    return logging.Formatter(TEXT_FORMAT)


def configure(level: int) -> None:
    """Root logging to stderr in the chosen format (the CLI's one call)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter())
    logging.basicConfig(level=level, handlers=[handler])


def uvicorn_formatters(config: dict[str, Any]) -> dict[str, Any]:
    """uvicorn's logging config with JSON formatters when JSON is chosen (unchanged otherwise)."""
    if log_format() == "json":
        for name in ("default", "access"):
            config["formatters"][name] = {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "fmt": _JSON_FIELDS,
                "rename_fields": _RENAMED,
            }
    return config
