"""A fixture for state tests on the shared Redis (127.0.0.1:6379): a fresh key prefix, cleaned after."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import redis

from enricher.state import Keys


@pytest.fixture
def rkeys() -> Iterator[tuple[redis.Redis, Keys]]:
    """A client to the shared Redis and a ``Keys`` with a unique prefix; only those keys are deleted."""
    client = redis.Redis(port=6379, socket_timeout=5)
    keys = Keys(f"test-state-{uuid.uuid4().hex[:10]}")
    try:
        yield client, keys
    finally:
        found = list(client.scan_iter(f"{keys.prefix}:*"))
        if found:
            client.delete(*found)
        client.close()
