"""enricher: keeps a Flowtly counterparty register clean (duplicates, merges, logos, brand names)."""

from enricher.config import Settings, load_settings
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

__version__ = "0.1.0"

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
