"""Fixtures for the worker tests: a private Redis per test and a process group janitor."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from worker_harness import ROOT, Processes, RedisServer, processes

if str(ROOT) not in sys.path:  # the ``tasks`` package lives beside src/ in a checkout
    sys.path.insert(0, str(ROOT))


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A private redis-server (AOF on) that this test may stop and restart."""
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    server = RedisServer(tmp_path / "redis")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def procs(tmp_path: Path) -> Iterator[Processes]:
    """Start processes with ``procs.start(name, argv, env)``; all are killed at teardown."""
    with processes(tmp_path) as p:
        yield p
