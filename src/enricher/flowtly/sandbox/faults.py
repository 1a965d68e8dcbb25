"""Fault switches of the sandbox: rate limits, server errors and slowness, on demand.

Shares (``rate_429``, ``rate_500``, their ``write_`` twins, ``reply_lost``) draw from a seeded RNG
so a test run is repeatable; bursts (``burst_429``, ``burst_500``) fail exactly the next N API
requests, for tests that need certainty. Attributes may be changed at run time from any thread or
with ``PUT /_sandbox/faults``; ``enricher sandbox serve --help`` lists them all (a test keeps it so).
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

__all__ = ["Faults"]

_RATES = ("rate_429", "rate_500", "write_rate_429", "write_rate_500", "reply_lost")
_SECONDS = ("retry_after", "delay")
_COUNTS = ("burst_429", "burst_500")


@dataclass
class Faults:
    """What the sandbox does wrong, and how often."""

    rate_429: float = 0.0
    """Share of API requests answered 429 with ``Retry-After``."""
    rate_500: float = 0.0
    """Share of API requests answered 500."""
    retry_after: float = 1.0
    """Seconds sent in ``Retry-After`` (whole seconds are sent as an integer)."""
    retry_after_date: bool = False
    """Send ``Retry-After`` as an HTTP date instead of seconds."""
    delay: float = 0.0
    """Seconds added to every API response."""
    burst_429: int = 0
    """The next N API requests get 429 (counts down)."""
    burst_500: int = 0
    """The next N API requests get 500 (counts down)."""
    write_rate_429: float = 0.0
    """Share of writes (POST, PATCH, DELETE, merge) answered 429, on top of ``rate_429``."""
    write_rate_500: float = 0.0
    """Share of writes answered 500 (nothing applied), on top of ``rate_500``."""
    reply_lost: float = 0.0
    """Share of writes applied and then answered 502, as a proxy that lost the reply would: the
    client cannot tell it from a failure and retries (the "applied twice" case)."""
    seed: int = 7
    _rng: random.Random = field(default_factory=random.Random, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._rng.seed(self.seed)
        self.update({})

    def as_dict(self) -> dict[str, Any]:
        """The switches as JSON (``GET /_sandbox/faults``)."""
        data = asdict(self)
        data.pop("_rng")
        return data

    def update(self, changes: Mapping[str, Any]) -> None:
        """Change some switches; raises ValueError naming the first bad key or value (nothing changed)."""
        names = {f.name for f in fields(self) if not f.name.startswith("_")}
        merged = {**self.as_dict(), **changes}
        for key, value in merged.items():
            if key not in names:
                raise ValueError(f"unknown fault switch {key!r} (known: {', '.join(sorted(names))})")
            if key == "retry_after_date":
                if not isinstance(value, bool):
                    raise ValueError("retry_after_date must be true or false")
                continue
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"{key} must be a number, not {value!r}")
            if key in _RATES and not 0.0 <= value <= 1.0:
                raise ValueError(f"{key} must be between 0 and 1, not {value!r}")
            if key in _SECONDS and not 0.0 <= value <= 3600.0:
                raise ValueError(f"{key} must be between 0 and 3600 seconds, not {value!r}")
            if key in (*_COUNTS, "seed") and (not isinstance(value, int) or value < 0):
                raise ValueError(f"{key} must be a whole number >= 0, not {value!r}")
        for key, value in changes.items():
            setattr(self, key, value)
        if "seed" in changes:
            self._rng.seed(self.seed)

    def draw_write(self) -> int | None:
        """For a write after :meth:`draw` passed: 429/500 to fail it unapplied, or None."""
        if self.write_rate_429 and self._rng.random() < self.write_rate_429:
            return 429
        if self.write_rate_500 and self._rng.random() < self.write_rate_500:
            return 500
        return None

    def draw_reply_lost(self) -> bool:
        """For an applied write: whether its reply is lost (answered 502)."""
        return bool(self.reply_lost) and self._rng.random() < self.reply_lost

    def draw(self) -> int | None:
        """The status to fail the current request with (429 or 500), or None to serve it."""
        if self.burst_429 > 0:
            self.burst_429 -= 1
            return 429
        if self.burst_500 > 0:
            self.burst_500 -= 1
            return 500
        if self.rate_429 and self._rng.random() < self.rate_429:
            return 429
        if self.rate_500 and self._rng.random() < self.rate_500:
            return 500
        return None
