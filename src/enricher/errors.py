"""The one exception tree of the package.

    EnricherError                  base: catch this to catch everything we raise
    ├── ConfigError                a setting is missing or malformed (run-level: stop)
    ├── RecordError                one record is unusable (skip it, report it, go on)
    ├── InputError                 an input file cannot be read at all (missing, binary, no permission)
    ├── FlowtlyError               anything the Flowtly API said or failed to say
    │   ├── AuthError              401/403: stop the run, retrying will not help
    │   ├── NotFoundError          404: the record is gone
    │   ├── ConflictError          409: e.g. merging a record into itself
    │   ├── ValidationError        422: carries ``violations`` (propertyPath, message)
    │   ├── BadRequestError        400/415 and other 4xx we do not retry
    │   └── TransientError         429, 5xx, network: retried, then raised
    ├── FetchError                 the branding fetcher could not (or must not) fetch a URL
    │   └── BlockedTargetError     the SSRF guard refused the target
    └── StateError                 persistent state (decisions, locks) failed

Run-level errors (config, auth) stop a run; record-level errors are collected in its summary.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = [
    "AuthError",
    "BadRequestError",
    "BlockedTargetError",
    "ConfigError",
    "ConflictError",
    "EnricherError",
    "FetchError",
    "FlowtlyError",
    "InputError",
    "NotFoundError",
    "RecordError",
    "StateError",
    "SupersededError",
    "TransientError",
    "ValidationError",
    "Violation",
]


class EnricherError(Exception):
    """Base class of every error this package raises on purpose."""


class ConfigError(EnricherError):
    """A setting is missing or malformed; ``variable`` names the environment variable."""

    def __init__(self, variable: str, message: str) -> None:
        super().__init__(f"{variable}: {message}")
        self.variable = variable


class RecordError(EnricherError):
    """One input record cannot be used; the batch skips it and reports ``where`` and why."""

    def __init__(self, message: str, *, where: str | None = None, record_id: Any = None) -> None:
        prefix = f"{where}: " if where else ""
        super().__init__(prefix + message)
        self.where = where
        self.record_id = record_id


class InputError(EnricherError):
    """An input file cannot be read at all (missing, a directory, no permission, binary data)."""


class FlowtlyError(EnricherError):
    """The Flowtly API failed; ``status`` is the HTTP status when there was a response."""

    def __init__(self, message: str, *, method: str = "", url: str = "", status: int | None = None) -> None:
        where = f" ({method} {url})" if method else ""
        super().__init__(message + where)
        self.method = method
        self.url = url
        self.status = status


class AuthError(FlowtlyError):
    """401/403: the token is missing, wrong or lacks rights; the run stops."""


class NotFoundError(FlowtlyError):
    """404: the record does not exist (any more)."""


class ConflictError(FlowtlyError):
    """409: the request conflicts with the record's state."""


@dataclass(frozen=True)
class Violation:
    """One entry of an API Platform 422 body."""

    property_path: str
    message: str

    def __str__(self) -> str:
        return f"{self.property_path}: {self.message}" if self.property_path else self.message


class ValidationError(FlowtlyError):
    """422: the API refused the values; ``violations`` says which and why."""

    def __init__(self, violations: list[Violation], **kwargs: Any) -> None:
        text = "; ".join(str(v) for v in violations) or "unprocessable entity"
        super().__init__(f"validation failed: {text}", **kwargs)
        self.violations = violations


class BadRequestError(FlowtlyError):
    """A 4xx that retrying will not fix (400, 405, 415, ...)."""


class TransientError(FlowtlyError):
    """429, 5xx or a network failure that outlived the bounded retries."""


class FetchError(EnricherError):
    """The branding fetcher could not fetch ``url`` (size, time, status, content type...)."""

    def __init__(self, message: str, *, url: str = "") -> None:
        super().__init__(f"{message}: {url}" if url else message)
        self.url = url


class BlockedTargetError(FetchError):
    """The SSRF guard refused the target (private, loopback, link-local... address or bad scheme)."""


class StateError(EnricherError):
    """Persistent state (decisions, locks, seen webhook ids) could not be read or written."""


class SupersededError(StateError):
    """A full match's pairs were not recorded: a run that started later has recorded its pairs already
    (this one's gather was redelivered, or ran late), and an older register's result must not replace a
    newer one's."""

    def __init__(self, since: int, newer: int) -> None:
        super().__init__(
            f"a full match that started later (mark {newer}) has recorded its pairs already; "
            f"this one (mark {since}) is not recorded"
        )
        self.since = since
        self.newer = newer
