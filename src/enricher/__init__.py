"""enricher: keeps a Flowtly counterparty register clean (duplicates, merges, logos, brand names).

``Settings`` and ``load_settings`` load on first use: importing pydantic-settings costs ~0.25 s, which
``enricher brand`` (no settings offline) would pay at every start for nothing.
"""

from typing import TYPE_CHECKING, Any

from enricher.errors import (
    AuthError,
    BadRequestError,
    BlockedTargetError,
    ConfigError,
    ConflictError,
    EnricherError,
    FetchError,
    FlowtlyError,
    NotFoundError,
    RecordError,
    StateError,
    TransientError,
    ValidationError,
    Violation,
)

if TYPE_CHECKING:
    from enricher.config import Settings, load_settings

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    """``Settings`` and ``load_settings``, imported from :mod:`enricher.config` when first asked for."""
    if name in ("Settings", "load_settings"):
        from enricher import config

        return getattr(config, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "AuthError",
    "BadRequestError",
    "BlockedTargetError",
    "ConfigError",
    "ConflictError",
    "EnricherError",
    "FetchError",
    "FlowtlyError",
    "NotFoundError",
    "RecordError",
    "Settings",
    "StateError",
    "TransientError",
    "ValidationError",
    "Violation",
    "__version__",
    "load_settings",
]
