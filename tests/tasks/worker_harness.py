"""Real processes for the worker tests: a private redis-server, Celery workers, the webhook receiver.

Every process starts in its own session (process group) and is killed with its children at teardown.
The private Redis runs with AOF (``appendfsync always``) in its own directory, so a test may stop and
restart it without touching the shared server on 6379.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import redis
from celery import Celery  # noqa: TID251 - the tests act as an outside producer
from site_server import Site
from standardwebhooks import Webhook

from enricher.flowtly import FlowtlyClient, Sandbox
from enricher.state import Keys, RedisCandidateStore

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
SECRET = "whsec_" + base64.b64encode(b"test-secret-for-the-worker-suite!").decode()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(
    check: Callable[[], Any], *, timeout: float, interval: float = 0.1, what: str = "condition"
) -> Any:
    """Poll ``check`` until it returns something truthy; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            last = check()
            if last:
                return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what} (last: {last!r})")


class RedisServer:
    """A private redis-server with persistence, restartable on the same port and data directory."""

    def __init__(self, directory: Path) -> None:
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, socket_timeout=5)

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                "redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--dir", str(self.dir),
                "--appendonly", "yes", "--appendfsync", "always", "--save", "",
                "--logfile", str(self.dir / "redis.log"),
            ],
            start_new_session=True,
        )  # fmt: skip
        wait_for(lambda: self.client().ping(), timeout=10, what=f"redis on {self.port}")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.proc = None

    def restart(self, down_for: float = 0.0) -> None:
        self.stop()
        time.sleep(down_for)
        self.start()


class Processes:
    """Starts commands in their own process groups; ``close`` kills every group still alive."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self, name: str, argv: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        log = (self.log_dir / f"{name}.log").open("ab")
        proc = subprocess.Popen(
            argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        self.procs.append(proc)
        return proc

    @staticmethod
    def kill(proc: subprocess.Popen[bytes], sig: int = signal.SIGKILL) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=15)

    def close(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                self.kill(proc, signal.SIGTERM)
            if proc.poll() is None:
                self.kill(proc, signal.SIGKILL)
            # The group may hold children (prefork) after the leader exited.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)

    def log(self, name: str) -> str:
        path = self.log_dir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""


def worker_env(redis_url: str, **extra: str) -> dict[str, str]:
    """Environment for worker/receiver processes: only what the test sets, plus PATH/HOME."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ENRICHER_")}
    env.update(
        {
            "ENRICHER_REDIS_URL": redis_url,
            "ENRICHER_WEBHOOK_SECRET": SECRET,
            "PYTHONPATH": str(ROOT),
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra)
    return env


def celery_worker_argv(*, queues: str = "enricher.api,enricher.scrape", name: str = "w1") -> list[str]:
    return [
        str(VENV_BIN / "celery"), "-A", "tasks", "worker", "--pool=solo", f"--queues={queues}",
        "--loglevel=INFO", f"--hostname={name}@%h", "--without-gossip", "--without-mingle",
    ]  # fmt: skip


def signed(
    body: dict[str, Any] | bytes, *, msg_id: str, secret: str = SECRET, at: datetime | None = None
) -> tuple[bytes, dict[str, str]]:
    """A body and Standard Webhooks headers signed by the reference implementation."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    when = at or datetime.now(tz=UTC)
    signature = Webhook(secret).sign(msg_id, when, raw.decode())
    headers = {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(when.timestamp())),
        "webhook-signature": signature,
        "content-type": "application/json",
    }
    return raw, headers


@contextlib.contextmanager
def processes(log_dir: Path) -> Iterator[Processes]:
    procs = Processes(log_dir)
    try:
        yield procs
    finally:
        procs.close()


VISIBILITY = 12  # seconds: short, so a killed worker's message comes back within the test


@dataclass
class Stack:
    redis: RedisServer
    sandbox: Sandbox
    site: Site
    procs: Processes
    env: dict[str, str]
    receiver: str
    api: FlowtlyClient
    workers: list[subprocess.Popen[bytes]]

    @property
    def r(self) -> redis.Redis:
        return self.redis.client()

    def start_worker(
        self, name: str = "w1", *, cli: bool = False, pool: str = "solo", concurrency: int = 2
    ) -> subprocess.Popen[bytes]:
        """A worker: ``celery -A tasks worker`` (solo), or ``enricher worker`` with ``cli`` or any
        pool other than solo (prefork is what the product runs)."""
        argv = celery_worker_argv(name=name)
        if cli or pool != "solo":
            argv = [str(VENV_BIN / "enricher"), "worker", "--pool", pool, "--hostname", f"{name}@%h"]
            if pool != "solo":
                argv += ["--concurrency", str(concurrency)]
        proc = self.procs.start(name, argv, self.env)
        self.workers.append(proc)
        wait_for(lambda: "ready." in self.procs.log(name), timeout=60, what=f"worker {name} ready")
        return proc

    def post(self, body: Any, msg_id: str, **kw: Any) -> httpx.Response:
        raw, headers = signed(body, msg_id=msg_id, **kw)
        return httpx.post(f"{self.receiver}/webhooks/flowtly", content=raw, headers=headers, timeout=10)

    def create(self, website: str, name: str = "ACME Spółka z o.o.", tin: str = "5260250274") -> int:
        record = self.api.create_counterparty(
            {"type": "company", "name": name, "tin": tin, "tinCountry": "PL", "corporateWebsiteUrl": website}
        )
        assert isinstance(record.id, int)
        return record.id

    def record(self, rid: int) -> dict[str, Any]:
        return self.api.get_counterparty(rid).api_dict()

    def stats(self) -> dict[str, Any]:
        return self.sandbox.store.stats()

    def candidates(self, rid: int) -> dict[str, Any]:
        """The recorded pairs of record ``rid``, by the other record's id (read as the worker stores them)."""
        pairs = RedisCandidateStore(self.r, Keys("enricher")).of(rid)
        return {str(p["b"] if str(p["a"]) == str(rid) else p["a"]): p for p in pairs}

    def send_task(
        self, name: str, *args: Any, queue: str = "enricher.api", task_id: str | None = None, **kwargs: Any
    ) -> None:
        """Queue a task by name, as any producer would (no import of ``tasks`` in this process);
        ``task_id``: the message's id (Celery makes one by default)."""
        client = Celery(broker=self.redis.url)
        client.conf.task_serializer = "json"
        client.send_task(name, args=list(args), kwargs=kwargs, queue=queue, task_id=task_id)
        client.close()

    def idle(self) -> bool:
        """No message waiting or held by a worker."""
        r = self.r
        return r.llen("enricher.api") == 0 and r.llen("enricher.scrape") == 0 and r.hlen("unacked") == 0
