"""Signed deliveries while 1,000 slow clients hold connections to the webhook receiver (issue 11, defect 1).

    .venv/bin/python benchmarks/webhooks_slowloris.py [--slow 1000] [--seconds 30] [--every 0.5]

Starts a private redis-server and ``enricher webhooks serve`` with its default settings, then keeps
``--slow`` slow connections open for ``--seconds``, as a slowloris attacker does: half of them send half
a request header and then one more header line every few seconds, the other half send a complete
header with ``Content-Length: 1000`` and then one body byte every few seconds. A connection the
receiver closes is opened again at once, so the count stays at ``--slow``. Meanwhile a correctly signed
delivery is sent every ``--every`` seconds on a fresh connection. Prints the deliveries' statuses and
latency (p50, max), how many slow connections were open and how many the receiver closed, and the
receiver's peak RSS. Target: every delivery answered 202 in < 1 s.
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
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def rss_kib(pid: int) -> int:
    """Peak resident set (VmHWM) of the process and its children, KiB (Linux)."""
    total = 0
    pids = [pid]
    with contextlib.suppress(OSError):
        pids += [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    for p in pids:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1])
    return total


class Slow:
    """Counters shared by the slow connections."""

    def __init__(self) -> None:
        self.open = 0
        self.peak = 0
        self.opened = 0
        self.closed_by_server = 0
        self.refused = 0


HALF_HEADER = b"POST /webhooks/flowtly HTTP/1.1\r\nHost: receiver\r\nContent-Type: appl"
STALLED = (
    b"POST /webhooks/flowtly HTTP/1.1\r\nHost: receiver\r\nContent-Type: application/json\r\n"
    b"Content-Length: 1000\r\n\r\n{"
)


async def slow_client(port: int, kind: str, stop: float, slow: Slow, rng: random.Random) -> None:
    """One slowloris slot: keep a connection dribbling until ``stop``; reconnect when it is closed."""
    while time.monotonic() < stop:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            slow.refused += 1
            await asyncio.sleep(0.2)
            continue
        slow.opened += 1
        slow.open += 1
        slow.peak = max(slow.peak, slow.open)
        try:
            writer.write(HALF_HEADER if kind == "header" else STALLED)
            await writer.drain()
            while time.monotonic() < stop:
                with contextlib.suppress(TimeoutError):
                    data = await asyncio.wait_for(reader.read(4096), timeout=rng.uniform(2.0, 4.0))
                    if not data:
                        slow.closed_by_server += 1
                        break
                    continue  # e.g. a 408: wait for the close
                writer.write(b"ication/json\r\nX-a: b\r\n" if kind == "header" else b" ")
                await writer.drain()
        except (ConnectionError, OSError):
            slow.closed_by_server += 1
        finally:
            slow.open -= 1
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()


def delivery(n: int) -> bytes:
    hook = Webhook(SECRET)
    now = datetime.now(tz=UTC)
    msg_id = f"msg_slowloris_{n}_{time.time_ns()}"
    body = json.dumps({"type": "counterparty.updated", "data": {"id": n + 1}})
    head = (
        "POST /webhooks/flowtly HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\nwebhook-id: {msg_id}\r\n"
        f"webhook-timestamp: {int(now.timestamp())}\r\n"
        f"webhook-signature: {hook.sign(msg_id, now, body)}\r\n\r\n"
    )
    return head.encode() + body.encode()


async def deliveries(port: int, stop: float, every: float, out: list[tuple[int, float]]) -> None:
    n = 0
    while time.monotonic() < stop:
        request = delivery(n)
        n += 1
        started_at = time.perf_counter()
        status = 0
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 10)
            writer.write(request)
            await writer.drain()
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            status = int(head[9:12])
            writer.close()
        except (OSError, TimeoutError, asyncio.IncompleteReadError):
            status = 0  # refused, reset or no answer within 10 s
        out.append((status, time.perf_counter() - started_at))
        await asyncio.sleep(every)


async def attack(port: int, count: int, seconds: float, every: float) -> tuple[Slow, list[tuple[int, float]]]:
    slow = Slow()
    rng = random.Random(7)
    ramp_stop = time.monotonic() + seconds + 5
    tasks = [
        asyncio.create_task(slow_client(port, "header" if i % 2 == 0 else "body", ramp_stop, slow, rng))
        for i in range(count)
    ]
    deadline = time.monotonic() + 30
    while slow.open < count and time.monotonic() < deadline:  # all slow connections open first
        await asyncio.sleep(0.05)
    results: list[tuple[int, float]] = []
    await deliveries(port, time.monotonic() + seconds, every, results)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return slow, results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--slow", type=int, default=1000, help="slow connections kept open (default 1000)")
    parser.add_argument(
        "--seconds", type=float, default=30.0, help="how long deliveries are sent (default 30)"
    )
    parser.add_argument("--every", type=float, default=0.5, help="seconds between deliveries (default 0.5)")
    args = parser.parse_args()
    if not shutil.which("redis-server"):
        raise SystemExit("redis-server is needed")

    with tempfile.TemporaryDirectory(prefix="enricher-slowloris-") as tmp:
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
        with started(redis_argv, env, tmpdir / "redis.log"):
            wait(lambda: socket.create_connection(("127.0.0.1", rport), timeout=1), 10, "redis")
            serve = [str(BIN / "enricher"), "webhooks", "serve", "--port", str(hport)]
            with started(serve, env, tmpdir / "receiver.log") as receiver:
                wait(lambda: socket.create_connection(("127.0.0.1", hport), timeout=1), 60, "the receiver")
                slow, results = asyncio.run(attack(hport, args.slow, args.seconds, args.every))
                peak_rss = rss_kib(receiver.pid)
            log = (tmpdir / "receiver.log").read_text(errors="replace")

    latencies = sorted(t for _, t in results)
    statuses: dict[int, int] = {}
    for status, _ in results:
        statuses[status] = statuses.get(status, 0) + 1
    n = len(latencies)
    ok = statuses.get(202, 0) == n and n > 0 and latencies[-1] < 1.0
    print(f"slow connections: {args.slow} kept open ({slow.peak} at once); {slow.opened} opened in all, "
          f"{slow.closed_by_server} closed by the receiver, {slow.refused} connects refused")  # fmt: skip
    shown = dict(sorted(statuses.items()))
    print(f"signed deliveries: {n} over {args.seconds:g} s, statuses {shown} (0 = no answer)")
    if n:
        print(f"latency: p50 {latencies[n // 2] * 1000:.1f} ms, max {latencies[-1] * 1000:.1f} ms")
    print(f"receiver peak RSS: {peak_rss / 1024:.0f} MiB; tracebacks in its log: {log.count('Traceback')}")
    print("check every delivery 202 in < 1 s:", "OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
