"""The worker under faults: every job done once, whatever breaks mid-run.

    .venv/bin/python benchmarks/faults.py [--records 150] [--merges 200] [--only NAME ...]
                                          [--visibility 30] [--storm 20]

Each run starts from fresh data: a private redis-server (AOF, ``appendfsync everysec`` as in the
compose file), the Flowtly sandbox, loopback websites (one per record, a logo each, 0.1 s per page),
and two ``enricher worker -c 1`` nodes (the default prefork pool). It queues a job, injects one fault
when a third of the work is done, and waits for the queues to drain. Jobs:

* ``enrich-all``: ``--records`` counterparties with a website and no logo: each must be patched once.
* ``apply-merges``: a register of ``--merges`` duplicate pairs and a decisions file approving them
  all: each source must be merged into its survivor once.

Faults: none; SIGKILL of a busy pool child; SIGKILL of a node's main process and children (restarted
2 s later, as a supervisor would); Redis ``SHUTDOWN`` and ``kill -9`` (5 s down, same data dir); 429
and 500 storms at 30 % and 100 % for ``--storm`` seconds; ``reply_lost`` (30 % of writes applied,
then answered 502) for ``--storm`` seconds. Printed per run: should, done, lost, done twice
(a record patched twice, a source merged twice) and time to drain.

``--visibility`` is ENRICHER_VISIBILITY_TIMEOUT for the runs (default 30 s, so a killed node's jobs
come back quickly; the product's default is 240 s: pass ``--visibility 240`` to see that too).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import redis
from PIL import Image

from enricher.flowtly import FlowtlyClient, running_sandbox
from enricher.flowtly.sandbox import Sandbox
from enricher.review.fingerprint import fingerprint, identity

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
TOKEN = "bench-token"
PAGE = (
    '<!doctype html><html><head><meta charset="utf-8"><title>{name}</title>'
    '<meta property="og:site_name" content="{name}">'
    '<link rel="apple-touch-icon" sizes="180x180" href="/co/{n}/logo.png"></head>'
    '<body><img src="/co/{n}/logo.png" alt="{name} logo" width="180" height="180"></body></html>'
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait(check: Callable[[], Any], timeout: float, what: str) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            if check():
                return True
        time.sleep(0.2)
    print(f"  (timed out after {timeout:g} s waiting for {what})", file=sys.stderr)
    return False


def _logo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (180, 180), (200, 30, 40)).save(out, format="PNG")
    return out.getvalue()


@contextlib.contextmanager
def websites(delay: float) -> Iterator[str]:
    """One small site per record under /co/N/ (a page naming the brand and its logo)."""
    logo = _logo()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path == "/robots.txt":
                body, ctype = b"User-agent: *\nAllow: /\n", "text/plain"
            elif path.endswith("/logo.png"):
                body, ctype = logo, "image/png"
            elif path.startswith("/co/"):
                time.sleep(delay)
                n = path.split("/")[2]
                body, ctype = PAGE.format(n=n, name=f"Brand {n}").encode(), "text/html; charset=utf-8"
            else:
                body, ctype = b"not found", "text/plain"
            self.send_response(200 if ctype != "text/plain" or path == "/robots.txt" else 404)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class RedisProc:
    def __init__(self, directory: Path) -> None:
        self.dir, self.port = directory, free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, socket_timeout=5)

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--dir", str(self.dir),
             "--appendonly", "yes", "--appendfsync", "everysec", "--save", "",
             "--logfile", str(self.dir / "redis.log")],
            start_new_session=True,
        )  # fmt: skip
        wait(lambda: self.client().ping(), 10, "redis")

    def shutdown(self) -> None:
        with contextlib.suppress(redis.ConnectionError):
            self.client().shutdown()
        if self.proc is not None:
            self.proc.wait(timeout=15)

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(timeout=15)


class Node:
    """``enricher worker -c 1``: a main process and one prefork child, in its own process group."""

    def __init__(self, name: str, env: dict[str, str], log: Path) -> None:
        self.name, self.env, self.log = name, env, log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [str(BIN / "enricher"), "worker", "-c", "1", "--hostname", f"{self.name}@%h"],
                cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=20)
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)

    def children(self) -> list[int]:
        if self.proc is None:
            return []
        out = subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True).stdout
        return [int(p) for p in out.split()]


@dataclass
class Outcome:
    should: int
    done: int
    twice: int
    seconds: float


def enrich_register(n: int, site: str) -> list[dict[str, Any]]:
    return [
        {"id": i + 1, "type": "company", "name": f"Firma Numer {i + 1} S.A.", "tinCountry": "PL",
         "corporateWebsiteUrl": f"{site}/co/{i + 1}/"}
        for i in range(n)
    ]  # fmt: skip


def merge_register(pairs: int) -> list[dict[str, Any]]:
    out = []
    for k in range(pairs):
        for j in (0, 1):
            out.append({"id": 2 * k + j + 1, "type": "company", "name": f"Duplikat {k} Sp. z o.o.",
                        "tinCountry": "PL", "city": "Kraków"})  # fmt: skip
    return out


def decisions_file(sandbox: Sandbox, pairs: int, path: Path) -> None:
    with FlowtlyClient(sandbox.api_url, token=TOKEN) as api:
        records = [api.get_counterparty(i + 1) for i in range(2 * pairs)]
    doc = {
        "format": "enricher.merge-decisions",
        "version": 1,
        "reportId": "bench",
        "records": [{"id": r.id, "fingerprint": fingerprint(r), "identity": identity(r)} for r in records],
        "decisions": [
            {"kind": "pair", "ids": [2 * k + 1, 2 * k + 2], "decision": "approve", "survivor": 2 * k + 1}
            for k in range(pairs)
        ],
    }
    path.write_text(json.dumps(doc), encoding="utf-8")


def progress(job: str, sandbox: Sandbox) -> tuple[int, int]:
    """(done, done twice) so far, from the sandbox's own counters."""
    stats = sandbox.store.stats()
    if job == "enrich-all":
        per = stats["patches_by_record"]
        return len(per), sum(1 for c in per.values() if c > 1)
    sources = [pair[1] for pair in sandbox.store.merge_log]
    return len(set(sources)), len(sources) - len(set(sources))


def inject(fault: str, redis_proc: RedisProc, nodes: list[Node], sandbox: Sandbox, storm: float) -> None:
    if fault == "child-kill":
        for node in nodes:
            for pid in node.children():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                return
    elif fault == "main-kill":
        nodes[0].kill(signal.SIGKILL)
        time.sleep(2)
        nodes[0].start()
    elif fault in ("redis-shutdown", "redis-kill9"):
        redis_proc.shutdown() if fault == "redis-shutdown" else redis_proc.kill()
        time.sleep(5)
        redis_proc.start()
    elif fault.startswith(("429-", "500-", "reply-lost")):
        kind, share = fault.split("-")[0], (0.3 if fault.endswith("30") else 1.0)
        switch = {"429": "rate_429", "500": "rate_500"}.get(kind, "reply_lost")
        sandbox.faults.update({switch: share if kind != "reply" else 0.3})

        def calm() -> None:
            time.sleep(storm)
            sandbox.faults.update({switch: 0.0})

        threading.Thread(target=calm, daemon=True).start()


def run(job: str, fault: str, args: argparse.Namespace) -> Outcome:
    with tempfile.TemporaryDirectory(prefix="enricher-faults-") as tmp, websites(0.1) as site:
        tmpdir = Path(tmp)
        (tmpdir / "redis").mkdir()
        redis_proc = RedisProc(tmpdir / "redis")
        redis_proc.start()
        register = enrich_register(args.records, site) if job == "enrich-all" else merge_register(args.merges)
        should = args.records if job == "enrich-all" else args.merges
        with running_sandbox(register, token=TOKEN) as sandbox:
            env = {k: v for k, v in os.environ.items() if not k.startswith("ENRICHER_")}
            env.update(
                ENRICHER_REDIS_URL=redis_proc.url, ENRICHER_FLOWTLY_URL=sandbox.api_url,
                ENRICHER_FLOWTLY_TOKEN=TOKEN, ENRICHER_FLOWTLY_RETRIES="2",
                ENRICHER_FETCH_ALLOW_HOSTS="127.0.0.1", ENRICHER_FETCH_HOST_RPS="1000",
                ENRICHER_VISIBILITY_TIMEOUT=str(args.visibility), ENRICHER_RETRY_BACKOFF_MAX="5",
                ENRICHER_TASK_MAX_RETRIES="30", ENRICHER_STATE_DIR=str(tmpdir / "state"),
                ENRICHER_OUT_DIR=str(tmpdir / "out"), ENRICHER_WEBHOOK_JOBS="", PYTHONPATH=str(ROOT),
            )  # fmt: skip
            nodes = [Node(f"n{i}", env, tmpdir / f"n{i}.log") for i in (1, 2)]
            try:
                for node in nodes:
                    node.start()
                wait(lambda: all("ready." in n.log.read_text(errors="replace") for n in nodes), 60, "nodes")
                argv = [str(BIN / "enricher"), "jobs", "run", job]
                if job == "apply-merges":
                    decisions_file(sandbox, args.merges, tmpdir / "decisions.json")
                    argv += ["--decisions", str(tmpdir / "decisions.json"), "--execute"]
                started = time.monotonic()
                subprocess.run(argv, env=env, cwd=ROOT, check=True, capture_output=True)
                if fault != "none":
                    wait(lambda: progress(job, sandbox)[0] >= should // 3, 300, "a third done")
                    inject(fault, redis_proc, nodes, sandbox, args.storm)

                def drained() -> bool:
                    r = redis_proc.client()
                    held = sum(r.llen(q) for q in ("enricher.api", "enricher.scrape")) + r.hlen("unacked")
                    return held == 0 and progress(job, sandbox)[0] >= should

                wait(drained, args.visibility + 300, "the queues to drain")
                seconds = time.monotonic() - started
                time.sleep(2)  # a late duplicate would show now
                done, twice = progress(job, sandbox)
                return Outcome(should, done, twice, seconds)
            finally:
                for node in nodes:
                    node.kill(signal.SIGTERM)
                redis_proc.kill()
                if args.keep_logs:
                    for node in nodes:
                        shutil.copy(node.log, Path(args.keep_logs) / f"{job}-{fault}-{node.name}.log")


FAULTS = ("none", "child-kill", "main-kill", "redis-shutdown", "redis-kill9",
          "429-30", "429-100", "500-30", "500-100", "reply-lost")  # fmt: skip


def _stop(signum: int, _frame: object) -> None:
    """SIGTERM or SIGHUP: leave through the ``finally`` blocks, which stop the workers and redis-server
    (in process groups of their own, the signal does not reach them; by default the benchmark died
    without them and left them running)."""
    raise SystemExit(128 + signum)


def main() -> int:
    for stop in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(stop, _stop)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--records", type=int, default=150, help="enrich-all: records (default 150)")
    parser.add_argument("--merges", type=int, default=200, help="apply-merges: approved merges (default 200)")
    parser.add_argument("--visibility", type=int, default=30, help="ENRICHER_VISIBILITY_TIMEOUT (default 30)")
    parser.add_argument("--storm", type=float, default=20.0, help="seconds a 429/500/reply storm lasts")
    parser.add_argument("--only", nargs="*", default=[], help="run only these faults (default: all)")
    parser.add_argument("--jobs", nargs="*", default=["enrich-all", "apply-merges"], help="jobs to run")
    parser.add_argument("--keep-logs", default="", help="copy the worker logs to this folder")
    args = parser.parse_args()
    if not shutil.which("redis-server"):
        raise SystemExit("redis-server is needed")
    if args.keep_logs:
        Path(args.keep_logs).mkdir(parents=True, exist_ok=True)
    print(f"{'job':<13} {'fault':<15} {'should':>6} {'done':>6} {'lost':>5} {'twice':>6} {'drain s':>8}")
    bad = 0
    for job in args.jobs:
        for fault in args.only or FAULTS:
            out = run(job, fault, args)
            lost = out.should - out.done
            bad += lost > 0 or out.twice > 0
            print(
                f"{job:<13} {fault:<15} {out.should:>6} {out.done:>6} {lost:>5} {out.twice:>6} "
                f"{out.seconds:>8.1f}",
                flush=True,
            )
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
