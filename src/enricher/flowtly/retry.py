"""When and how long to wait before retrying a Flowtly call.

Exponential backoff with full jitter (``uniform(0, min(cap, base * 2**attempt))``), unless the server
said how long with ``Retry-After`` (seconds or an HTTP date), which is honoured up to
``retry_after_cap``. Base, cap, RNG and the sleep itself are injectable so tests wait microseconds.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

__all__ = ["Backoff", "parse_retry_after"]


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from ``Retry-After`` (delta-seconds or HTTP date); None if absent or unreadable."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if seconds == seconds else None  # NaN is no answer
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    reference = datetime.now(UTC).timestamp() if now is None else now
    return max(0.0, when.timestamp() - reference)


@dataclass
class Backoff:
    """The retry policy of the client: how many retries, and how long each wait is."""

    retries: int = 5
    """Retries after the first attempt (so ``retries + 1`` attempts at most)."""
    base: float = 0.5
    """First backoff ceiling in seconds; doubles each attempt."""
    cap: float = 30.0
    """Largest backoff ceiling in seconds."""
    retry_after_cap: float = 60.0
    """Longest ``Retry-After`` honoured; a longer one is cut to this."""
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry number ``attempt`` (0-based)."""
        if retry_after is not None:
            return min(retry_after, self.retry_after_cap)
        ceiling = min(self.cap, self.base * (2**attempt))
        return self.rng.uniform(0.0, ceiling)

    def wait(self, attempt: int, retry_after: float | None = None) -> float:
        """Sleep before retry ``attempt``; returns the seconds slept."""
        seconds = self.delay(attempt, retry_after)
        if seconds > 0:
            self.sleep(seconds)
        return seconds
