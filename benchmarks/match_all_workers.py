"""match-all across real Celery workers: the same run with 1 and with 2 worker processes.

    .venv/bin/python benchmarks/match_all_workers.py                       # 200k generated records
    .venv/bin/python benchmarks/match_all_workers.py --records 1000000 --near-names 0.3

Starts its own redis-server on a free port (the shared one is never touched), loads a generated register
into the worker's snapshot (the benchmark is about matching, not about paging through Flowtly: the task
runs with ``sync=False``), and for each worker count starts ``enricher worker -c N`` (the prefork pool
the product runs), sends ``enricher.match_all`` and waits for its gather. Prints per run: wall time
from the request to the recorded candidates, the plan's own time (normalise or collect the normalised
parts, block, learn, written to the shared state dir), parts of each kind, the seconds each kind of
task ran in all (``task_seconds``: match_all stages, match_normalise parts, match_plan, match_chunk
parts, match_gather) and their sums (``serial_s``: the steps that run in one process each;
``parallel_s``: the parts), the gather's own account of the run's stages (``stages``: as a single
process times them, then its finishing and recording), pairs compared, each pool process's peak RSS
(and the largest private memory seen of each process they fork: the gather's clustering) and what it
holds a second after the gather (``idle_rss_mib``: what a worker keeps while it waits), and a
digest of every recorded pair (band, score) that must be the same for every worker count. Last, against
the run with the fewest processes whatever the order of ``--workers``, Amdahl's bound: the best ratio
N processes could reach with the one-process run's split, and how short its one-process
steps would have to be for x0.6; then the same bound with the parts as slow as they ran side by side
(``parallel_s`` of N processes against one: the processes contend for the cores), and the machine's
own figure for that: a plain Python loop's time alone and with N copies at once (2 vCPUs of a VM that
share a physical core make x0.5 impossible for any program).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_redis(directory: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    proc = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(directory)],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    import redis

    client = redis.Redis(port=port)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    return proc, port


def load_register(port: int, count: int, near_names: float) -> int:
    import redis

    from enricher.records import Counterparty
    from enricher.sample import generate
    from enricher.state import Keys, RedisSnapshot

    snapshot = RedisSnapshot(redis.Redis(port=port), Keys("enricher"))
    models = (Counterparty.model_validate(r) for r, _ in generate(count, seed=42, near_names=near_names))
    return snapshot.replace(models)


def status_mib(pid: int, field: str) -> float:
    """A memory line of /proc/PID/status in MiB (VmHWM: the peak; VmRSS: now); 0 for a process gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def peak_rss_mib(pid: int) -> float:
    return status_mib(pid, "VmHWM")


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def descendants(pid: int) -> list[int]:
    """What the pool processes fork (the gather clusters in a process of its own)."""
    found = children(pid)
    return found + [d for child in found for d in descendants(child)]


def private_mib(pid: int) -> float:
    """Memory a process holds of its own: a forked process shares its parent's pages until it writes
    them, and its RSS counts those too."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0.0
    return sum(int(line.split()[1]) for line in text.splitlines() if line.startswith("Private_")) / 1024


_LOOP = """import time
t = time.perf_counter()
s = 0
for i in range(10_000_000):
    s += i
print(time.perf_counter() - t)"""


def loop_seconds(copies: int) -> float:
    """The slowest of ``copies`` plain CPU-bound Python loops started at once (no memory, no I/O)."""
    procs = [subprocess.Popen([sys.executable, "-c", _LOOP], stdout=subprocess.PIPE) for _ in range(copies)]
    return max(float(p.communicate()[0]) for p in procs)


def machine_contention(copies: int, rounds: int = 5) -> float:
    """How much slower a CPU-bound process runs beside ``copies - 1`` others than alone (the median
    of ``rounds`` each, which vary by 20% on a shared VM): 1.0 on cores of their own."""
    alone = statistics.median(loop_seconds(1) for _ in range(rounds))
    together = statistics.median(loop_seconds(copies) for _ in range(rounds))
    return together / alone


def digest(port: int) -> tuple[str, int]:
    import redis

    from enricher.state import Keys, RedisCandidateStore

    pairs = RedisCandidateStore(redis.Redis(port=port), Keys("enricher")).all()
    lines = sorted(
        json.dumps([sorted((str(p["a"]), str(p["b"]))), p["band"], round(float(p["score"]), 9)])
        for p in pairs
    )
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16], len(lines)


def edit_register(port: int, share: float) -> int:
    """A night's edits: ``share`` of the records renamed (every n-th, the same ones on every machine),
    one in a thousand deleted and as many added; how many records changed."""
    import redis

    from enricher.records import Counterparty
    from enricher.state import Keys, RedisSnapshot

    snapshot = RedisSnapshot(redis.Redis(port=port), Keys("enricher"))
    ids = snapshot.ids()
    step = max(1, round(1 / share)) if share > 0 else len(ids) + 1
    changed = 0
    for k, line in zip(range(0, len(ids), step), snapshot.raw_of(ids[::step]), strict=True):
        if line is None:
            continue
        record = json.loads(line)
        if k % 1000 == 0:
            snapshot.remove(record["id"])
            snapshot.put(Counterparty.model_validate(dict(record, id=f"added-{k}", name=f"New Firm {k} Ltd")))
            changed += 2
        else:
            snapshot.put(Counterparty.model_validate(dict(record, name=f"{record.get('name') or ''} Group")))
            changed += 1
    return changed


def run(port: int, workers: int, work: Path, timeout: float, state: str | None = None) -> dict[str, Any]:
    import redis

    from enricher.state import Keys

    client = redis.Redis(port=port)
    keys = Keys("enricher")
    client.delete(keys.once("match-all:running"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("ENRICHER_")}
    env.update(
        ENRICHER_REDIS_URL=f"redis://127.0.0.1:{port}/0",
        ENRICHER_WEBHOOK_SECRET="whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=",
        # A state dir of the run's own unless told (a run reuses what the one before it in the same
        # state dir normalised: the runs compared cold must not).
        ENRICHER_STATE_DIR=str(work / (state or f"state-{workers}-{time.monotonic_ns()}")),
        ENRICHER_OUT_DIR=str(work / "out"),
        PYTHONUNBUFFERED="1",
    )
    log_path = work / f"worker-{workers}.log"
    with log_path.open("wb") as log:
        worker = subprocess.Popen(
            [str(VENV_BIN / "enricher"), "worker", "-c", str(workers), "-Q", "enricher.api",
             "-n", f"bench{workers}@%h"],
            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while b"ready." not in log_path.read_bytes():
            if time.monotonic() > deadline or worker.poll() is not None:
                raise SystemExit(f"worker did not start; see {log_path}")
            time.sleep(0.2)
        from celery import Celery

        app = Celery(broker=env["ENRICHER_REDIS_URL"])
        started = time.monotonic()
        app.send_task("enricher.match_all", kwargs={"report": False, "sync": False}, queue="enricher.api")
        peaks: dict[int, float] = {}
        forked: dict[int, float] = {}
        while True:
            pool = children(worker.pid)
            for pid in pool:
                peaks[pid] = max(peaks.get(pid, 0.0), peak_rss_mib(pid))
            for pid in (d for child in pool for d in descendants(child)):
                forked[pid] = max(forked.get(pid, 0.0), private_mib(pid))
            text = log_path.read_text(errors="replace")
            if "enricher.match_gather[" in text and re.search(
                r"match_gather\[[^\]]+\] (succeeded|raised)", text
            ):
                break
            if time.monotonic() - started > timeout or worker.poll() is not None:
                raise SystemExit(f"match-all did not finish in {timeout:g} s; see {log_path}")
            time.sleep(0.5)
        wall = time.monotonic() - started
        time.sleep(1.0)  # the gather task has returned: what each pool process holds, waiting for the next
        idle = [status_mib(pid, "VmRSS") for pid in children(worker.pid)]
        planned = re.search(r"planned in ([\d.]+) s: (\d+) records, (\d+) pairs", text)
        parts = re.search(r"full match \S+: (\d+) parts \(compare\)", text)
        normalising = re.search(r"full match \S+: (\d+) parts \(normalise\)", text)
        reused = re.search(r"(\d+) of \d+ records' normalised values reused", text)
        gathered = re.search(r"full match \S+: \d+ records, .*; stages: (.*)", text)
        # CPU-bound task time by job (the worker's "succeeded in Xs" lines): what ran in parallel, what not.
        busy: dict[str, float] = {}
        for job, seconds in re.findall(r"Task enricher\.(\w+)\[[^\]]+\] succeeded in ([\d.]+)s", text):
            busy[job] = round(busy.get(job, 0.0) + float(seconds), 1)
        pair_digest, recorded = digest(port)
        # Steps that run in one process each, and parts that share the processes out.
        serial = sum(busy.get(job, 0.0) for job in ("match_all", "match_plan", "match_gather"))
        parallel = sum(busy.get(job, 0.0) for job in ("match_normalise", "match_chunk"))
        return {
            "workers": workers,
            "wall_s": round(wall, 1),
            "plan_s": float(planned.group(1)) if planned else None,
            "records": int(planned.group(2)) if planned else None,
            "pairs_compared": int(planned.group(3)) if planned else None,
            "parts": int(parts.group(1)) if parts else None,
            "normalising_parts": int(normalising.group(1)) if normalising else 0,
            "reused_records": int(reused.group(1)) if reused else 0,
            "task_seconds": busy,
            "stages": gathered.group(1).strip() if gathered else None,
            "serial_s": round(serial, 1),
            "parallel_s": round(parallel, 1),
            "peak_rss_mib": sorted(round(v) for v in peaks.values()),
            "forked_private_mib": sorted(round(v) for v in forked.values()),
            "idle_rss_mib": sorted(round(v) for v in idle),
            "recorded_pairs": recorded,
            "digest": pair_digest,
        }
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--near-names", type=float, default=0.0)
    parser.add_argument("--workers", default="1,2", help="worker process counts to run, comma separated")
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument(
        "--again",
        type=float,
        default=0.0,
        metavar="SHARE",
        help="then edit this share of the records (0.01: a night's edits) and match again with the last "
        "worker count, reusing its run's normalised records, and once more from scratch to compare",
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="match-all-workers-"))
    redis_proc, port = start_redis(work)
    try:
        t = time.monotonic()
        loaded = load_register(port, args.records, args.near_names)
        took = time.monotonic() - t
        print(f"register: {loaded} generated records (near names {args.near_names}), loaded in {took:.1f} s")
        counts = [int(n) for n in args.workers.split(",")]
        results = [run(port, n, work, args.timeout, state=f"state-{k}") for k, n in enumerate(counts)]
        for r in results:
            print(json.dumps(r))
        if args.again > 0:
            changed = edit_register(port, args.again)
            again = run(port, counts[-1], work, args.timeout, state=f"state-{len(counts) - 1}")
            fresh = run(port, counts[-1], work, args.timeout)
            print(f"edited {changed} records; matched again, reusing the last run's normalised records:")
            print(json.dumps(again))
            print(json.dumps(fresh))
            same = again["digest"] == fresh["digest"] and again["pairs_compared"] == fresh["pairs_compared"]
            ratio = again["wall_s"] / fresh["wall_s"]
            print(
                f"again vs from scratch ({counts[-1]} workers): time x{ratio:.2f} "
                f"({again['wall_s']} s against {fresh['wall_s']} s), normalising parts "
                f"{again['task_seconds'].get('match_normalise', 0)} s against "
                f"{fresh['task_seconds'].get('match_normalise', 0)} s, {again['reused_records']} records "
                f"reused; results {'identical' if same else 'DIFFERENT'}"
            )
        if len(results) > 1:
            # Against the run with the fewest processes, whichever ran first (``--workers 2,1``).
            base = min(results, key=lambda r: r["workers"])
            others = [r for r in results if r is not base]
            for r in others:
                same = r["digest"] == base["digest"] and r["pairs_compared"] == base["pairs_compared"]
                print(
                    f"{r['workers']} workers vs {base['workers']}: time x{r['wall_s'] / base['wall_s']:.2f}, "
                    f"results {'identical' if same else 'DIFFERENT'}"
                )
            # Amdahl's bound from the one-process run: its serial steps stay, its parts divide by N.
            serial, parallel = base["serial_s"], base["parallel_s"]
            if serial + parallel > 0:
                for r in others:
                    n = r["workers"] / base["workers"]
                    if n <= 1:
                        continue
                    best = (serial + parallel / n) / (serial + parallel)
                    print(
                        f"{r['workers']} workers, best possible with this split ({serial:.0f} s in one "
                        f"process, {parallel:.0f} s in parts): x{best:.2f}; x0.60 needs the one-process "
                        f"steps at most {max(0.0, (0.6 - 1 / n) * parallel / 0.4):.0f} s"
                    )
                    # The parts side by side ran slower than one at a time: the same bound with that.
                    slower = r["parallel_s"] / parallel if parallel else 1.0
                    shared = (serial + slower * parallel / n) / (serial + parallel)
                    need = (0.6 - slower / n) * parallel / 0.4
                    print(
                        f"{r['workers']} workers: their parts took x{slower:.2f} the task time of one "
                        f"process's; with that, best possible x{shared:.2f}; "
                        + (
                            f"x0.60 needs the one-process steps at most {need:.0f} s"
                            if need > 0
                            else "x0.60 is out of reach even with no one-process step"
                        )
                    )
            for r in others:
                if r["workers"] > 1:
                    c = machine_contention(r["workers"])
                    print(
                        f"this machine: a plain Python loop takes x{c:.2f} its time alone with "
                        f"{r['workers'] - 1} more beside it, so {r['workers']} processes with no "
                        f"one-process step at all reach x{c / r['workers']:.2f} at best"
                    )
    finally:
        redis_proc.terminate()
        redis_proc.wait(10)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
