"""Backoff and Retry-After parsing."""

from __future__ import annotations

import random
from email.utils import formatdate

import pytest

from enricher.flowtly.retry import Backoff, parse_retry_after


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("3", 3.0),
        (" 0 ", 0.0),
        ("1.5", 1.5),
        ("-4", 0.0),
        ("", None),
        (None, None),
        ("soon", None),
        ("nan", None),
    ],
)
def test_retry_after_seconds(header: str | None, expected: float | None) -> None:
    assert parse_retry_after(header) == expected


def test_retry_after_http_date() -> None:
    now = 1_800_000_000.0
    assert parse_retry_after(formatdate(now + 42, usegmt=True), now=now) == pytest.approx(42, abs=1)
    assert parse_retry_after(formatdate(now - 42, usegmt=True), now=now) == 0.0  # in the past: no wait


def test_backoff_grows_exponentially_with_full_jitter_under_the_cap() -> None:
    backoff = Backoff(base=0.5, cap=4.0, rng=random.Random(1))
    for attempt, ceiling in [(0, 0.5), (1, 1.0), (2, 2.0), (3, 4.0), (8, 4.0)]:
        delays = [backoff.delay(attempt) for _ in range(300)]
        assert all(0.0 <= d <= ceiling for d in delays)
        assert max(delays) > ceiling * 0.8  # the whole range is used: jitter, not a fixed step


def test_retry_after_wins_over_backoff_and_is_capped() -> None:
    backoff = Backoff(base=0.5, cap=4.0, retry_after_cap=10.0)
    assert backoff.delay(0, retry_after=7.0) == 7.0
    assert backoff.delay(5, retry_after=3600.0) == 10.0


def test_wait_uses_the_injected_sleep() -> None:
    slept: list[float] = []
    backoff = Backoff(base=1.0, cap=1.0, sleep=slept.append, rng=random.Random(2))
    seconds = backoff.wait(0)
    assert slept == [seconds] and 0 < seconds <= 1.0
    assert backoff.wait(0, retry_after=0.0) == 0.0
    assert slept == [seconds]  # a zero wait does not sleep
