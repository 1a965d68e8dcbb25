"""Fixtures for the worker tests: a private Redis per test, a process janitor, and the whole stack."""

from __future__ import annotations

import copy
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from site_server import Site
from worker_harness import (
    ROOT,
    VENV_BIN,
    VISIBILITY,
    Processes,
    RedisServer,
    Stack,
    free_port,
    processes,
    wait_for,
    worker_env,
)

from enricher.flowtly import FlowtlyClient, running_sandbox
from enricher.flowtly.testing import SMALL_REGISTER, fast_backoff

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


@pytest.fixture
def stack(
    redis_server: RedisServer, procs: Processes, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Stack]:
    site = Site(slow_seconds=5.0)
    register = copy.deepcopy(getattr(request, "param", None) or SMALL_REGISTER)
    with site.running(), running_sandbox(register, token="e2e-token") as sandbox:
        env = worker_env(
            redis_server.url,
            ENRICHER_FLOWTLY_URL=sandbox.api_url,
            ENRICHER_FLOWTLY_TOKEN="e2e-token",
            ENRICHER_FLOWTLY_RETRIES="2",
            ENRICHER_FETCH_ALLOW_HOSTS="127.0.0.1",
            ENRICHER_FETCH_HOST_RPS="50",
            ENRICHER_VISIBILITY_TIMEOUT=str(VISIBILITY),
            ENRICHER_RETRY_BACKOFF_MAX="3",
            ENRICHER_TASK_MAX_RETRIES="20",
            ENRICHER_STATE_DIR=str(tmp_path / "state"),
            ENRICHER_OUT_DIR=str(tmp_path / "out"),
            ENRICHER_MATCH_CHUNK_PAIRS="1",
        )
        port = free_port()
        receiver = f"http://127.0.0.1:{port}"
        procs.start("receiver", [str(VENV_BIN / "enricher"), "webhooks", "serve", "--port", str(port)], env)
        wait_for(
            lambda: httpx.get(f"{receiver}/healthz", timeout=2).json()["status"] == "ok",
            timeout=60,
            what="receiver healthy",
        )
        with FlowtlyClient(sandbox.api_url, token="e2e-token", backoff=fast_backoff()) as api:
            yield Stack(redis_server, sandbox, site, procs, env, receiver, api, [])
