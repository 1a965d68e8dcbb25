"""Webhook receiver throughput and latency on loopback, with real Redis and a real worker.

    .venv/bin/python benchmarks/webhooks.py [--requests 8000] [--concurrency 8] [--workers 1]

Starts a private redis-server, ``enricher webhooks serve`` (uvicorn) and a solo Celery worker, sends
``--requests`` distinct signed deliveries (plus 10 % redeliveries) over keep-alive connections from a
small asyncio client, and prints sustained requests/s and p50/p99/max latency. Then it waits for the
worker and checks that events accepted == dispatch tasks executed (redeliveries must add nothing).
The worker runs with ``ENRICHER_WEBHOOK_JOBS=`` (empty), so each dispatch only counts its events.
Targets: >= 1000 req/s and p99 <= 20 ms on 2 cores.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import redis
from standardwebhooks import Webhook

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SECRET = "whsec_" + base64.b64encode(b"benchmark-secret-benchmark-secret").decode()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait(check: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            if check():  # type: ignore[operator]
                return
        time.sleep(0.1)
    raise SystemExit(f"timed out waiting for {what}")


@contextlib.contextmanager
def started(argv: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        proc = subprocess.Popen(
            argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        yield proc
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def requests_for(count: int, redeliver: float, prefix: str = "msg_bench") -> list[bytes]:
    """Raw HTTP/1.1 requests, signed by the reference package (signing is not part of the timing)."""
    hook = Webhook(SECRET)
    now = datetime.now(tz=UTC)
    out = []
    for n in range(count):
        msg_id = f"{prefix}_{n}"
        body = json.dumps({"type": "counterparty.updated", "data": {"@id": f"/counterparties/{n + 1}"}})
        head = (
            "POST /webhooks/flowtly HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nwebhook-id: {msg_id}\r\n"
            f"webhook-timestamp: {int(now.timestamp())}\r\n"
            f"webhook-signature: {hook.sign(msg_id, now, body)}\r\n\r\n"
        )
        out.append(head.encode() + body.encode())
    extra = random.Random(7).sample(out, int(count * redeliver))
    return out + extra


async def client(port: int, queue: list[bytes], latencies: list[float], statuses: dict[int, int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while queue:
            request = queue.pop()
            start = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            if length:
                await reader.readexactly(length)
            latencies.append(time.perf_counter() - start)
            status = int(head[9:12])
            statuses[status] = statuses.get(status, 0) + 1
    finally:
        writer.close()


async def load(
    port: int, requests: list[bytes], concurrency: int
) -> tuple[float, list[float], dict[int, int]]:
    queue = list(reversed(requests))
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    start = time.perf_counter()
    await asyncio.gather(*(client(port, queue, latencies, statuses) for _ in range(concurrency)))
    return time.perf_counter() - start, latencies, statuses


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=8000, help="distinct deliveries (default 8000)")
    parser.add_argument("--redeliver", type=float, default=0.1, help="share sent a second time (default 0.1)")
    parser.add_argument("--concurrency", type=int, default=8, help="keep-alive connections (default 8)")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes (default 1)")
    parser.add_argument("--warmup", type=int, default=300, help="deliveries sent before timing (default 300)")
    args = parser.parse_args()
    if not shutil.which("redis-server"):
        raise SystemExit("redis-server is needed")

    with tempfile.TemporaryDirectory(prefix="enricher-bench-") as tmp:
        tmpdir = Path(tmp)
        rport, hport = free_port(), free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("ENRICHER_")}
        env.update(
            ENRICHER_REDIS_URL=f"redis://127.0.0.1:{rport}/0",
            ENRICHER_WEBHOOK_SECRET=SECRET,
            ENRICHER_WEBHOOK_JOBS="",
            ENRICHER_STATE_DIR=str(tmpdir / "state"),
            PYTHONPATH=str(ROOT),
        )
        redis_argv = ["redis-server", "--port", str(rport), "--bind", "127.0.0.1", "--save", "", "--dir", tmp]
        accepted = args.warmup + args.requests
        with started(redis_argv, env, tmpdir / "redis.log"):
            r = redis.Redis(port=rport)
            wait(r.ping, 10, "redis")
            serve = [
                str(BIN / "enricher"),
                "webhooks",
                "serve",
                "--port",
                str(hport),
                "--workers",
                str(args.workers),
            ]
            with started(serve, env, tmpdir / "receiver.log"):
                wait(lambda: socket.create_connection(("127.0.0.1", hport), timeout=1), 30, "the receiver")
                asyncio.run(load(hport, requests_for(args.warmup, 0.0, "msg_warm"), min(args.concurrency, 8)))
                batch = requests_for(args.requests, args.redeliver)
                elapsed, latencies, statuses = asyncio.run(load(hport, batch, args.concurrency))
                # The receiver's relay empties the inbox onto the Celery queue (batches of events).
                inbox, held = "enricher:webhook:inbox", "enricher:webhook:processing:*"
                wait(lambda: r.llen(inbox) == 0 and not r.keys(held), 60, "the relay")
                queued = r.llen("enricher.api")
            queued = 0
            with contextlib.suppress(SystemExit):  # the relay empties the inbox into the Celery queue
                wait(
                    lambda: r.llen("enricher:webhook:inbox") == 0 and r.llen("enricher.api") >= accepted,
                    60,
                    "relay",
                )
            queued = r.llen("enricher.api")
            worker = [str(BIN / "celery"), "-A", "tasks", "worker", "--pool=solo", "-Q", "enricher.api",
                      "--loglevel=WARNING", "--without-gossip", "--without-mingle"]  # fmt: skip
            drain_start = time.perf_counter()
            with started(worker, env, tmpdir / "worker.log"):
                wait(
                    lambda: r.llen("enricher.api") == 0 and r.hlen("unacked") == 0, 600, "the worker to drain"
                )
                drain = time.perf_counter() - drain_start
            executed = int(r.get("enricher:stats:events_dispatched") or 0)

    latencies.sort()
    n = len(latencies)
    print(f"receiver: {args.workers} uvicorn worker(s), {args.concurrency} keep-alive connections, loopback")
    print(f"requests: {n} ({args.requests} distinct + {n - args.requests} redeliveries) in {elapsed:.2f} s")
    print(f"throughput: {n / elapsed:.0f} req/s")
    print(
        f"latency: p50 {latencies[n // 2] * 1000:.2f} ms, p99 {latencies[int(n * 0.99)] * 1000:.2f} ms, "
        f"max {latencies[-1] * 1000:.2f} ms"
    )
    print(f"statuses: {dict(sorted(statuses.items()))}")
    print(f"dispatch messages queued: {queued} (event batches); worker drained them in {drain:.1f} s")
    print(f"events accepted (incl. {args.warmup} warm-up): {accepted}; dispatch tasks executed: {executed}")
    ok = executed == accepted and statuses.get(202, 0) == n
    print("check accepted == executed:", "OK" if ok else "MISMATCH")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
