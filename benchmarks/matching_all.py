"""Matching benchmarks in one command: quality on real and generated data, speed, memory, incremental.

    .venv/bin/python benchmarks/matching_all.py                 # restaurants, 10k, 100k, incremental 100k
    .venv/bin/python benchmarks/matching_all.py --million       # ... plus 1M end to end and 1M index

Each scale runs in its own child process (``--one N``), which writes the generated records to JSONL and
times the real ``enricher dedupe`` CLI on them (a grandchild: its wall time, CPU time and peak RSS are
its own, input parsing and output writing included). Figures:
pairwise precision/recall/F1 of the merge band and of merge+review against the generator's truth,
records/s, pairs compared, blocking recall (share of true pairs that met in a block), peak RSS, and
p50/p99 latency of ``MatchIndex.upsert`` for one record against the built index. The restaurants
figures come from the shared scorer (``../shared/tools/score_dedupe.py`` beside the repository) running the
real CLI.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SCORER = ROOT.parent / "shared" / "tools" / "score_dedupe.py"


def prf(predicted: set[tuple[int, int]], truth: set[tuple[int, int]]) -> tuple[float, float, float]:
    tp = len(predicted & truth)
    p = tp / len(predicted) if predicted else 0.0
    r = tp / len(truth) if truth else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def generate(
    count: int, seed: int, near_names: float = 0.0
) -> tuple[list[dict[str, Any]], set[tuple[int, int]]]:
    from enricher.sample import generate as sample

    records: list[dict[str, Any]] = []
    groups: dict[str, list[int]] = defaultdict(list)
    for record, entity in sample(count, seed=seed, near_names=near_names):
        records.append(record)
        groups[entity].append(record["id"])
    truth = {(a, b) for ids in groups.values() for a, b in itertools.combinations(sorted(ids), 2)}
    return records, truth


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open("rb") as handle:
        for line in handle:
            yield json.loads(line)


def run_cli(source: Path, output: Path) -> tuple[float, float, float, str]:
    """``enricher dedupe`` in a child process: wall seconds, CPU seconds (with its workers), peak RSS MiB."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "enricher", "dedupe", "--input", str(source), "--output", str(output)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"dedupe failed ({proc.returncode}): {err.strip()[-400:]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, err


def one_scale(count: int, seed: int, upserts: int, near_names: float = 0.0) -> dict[str, Any]:
    """Generate ``count`` records, run the real CLI on them, score its output against the truth; then
    build a MatchIndex on the same records and time single-record upserts."""
    from enricher.matching import MatchIndex
    from enricher.matching.batches import prepare_all
    from enricher.matching.blocking import candidate_pairs

    def key(a: Any, b: Any) -> tuple[int, int]:
        return (a, b) if a < b else (b, a)

    with tempfile.TemporaryDirectory() as tmp:
        source, output = Path(tmp) / "in.jsonl", Path(tmp) / "out.json"
        records, truth = generate(count, seed, near_names)
        with source.open("w", encoding="utf-8") as out:
            for record in records:
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
        del records
        wall, cpu, rss, err = run_cli(source, output)
        data = json.loads(output.read_text())
        merge = {key(c["a"], c["b"]) for c in data["candidates"] if c["band"] == "merge"}
        review = sum(1 for c in data["candidates"] if c["band"] == "review")
        listed = {key(c["a"], c["b"]) for c in data["candidates"]}
        clustered = {key(a, b) for c in data["clusters"] for a, b in itertools.combinations(c["ids"], 2)}
        del data
        prepared, _ = prepare_all(read_jsonl(source))
        left, right, stats = candidate_pairs(prepared)
        ids = [p.id for p in prepared]
        blocked = {key(ids[i], ids[j]) for i, j in zip(left.tolist(), right.tolist(), strict=True)}
        del prepared, left, right, ids
        out: dict[str, Any] = {
            "records": count,
            "true_pairs": len(truth),
            "seconds": round(wall, 2),
            "cpu_seconds_all": round(cpu, 2),
            "records_per_second": round(count / wall),
            "pairs_compared": stats["pairs_compared"],
            "review_pairs": review,
            "review_per_10_records": round(10 * review / count, 3),
            "blocking_recall": round(len(blocked & truth) / len(truth), 4) if truth else None,
            "merge": [round(x, 4) for x in prf(merge, truth)],
            "merge+review": [round(x, 4) for x in prf(listed, truth)],
            "clusters": [round(x, 4) for x in prf(clustered, truth)],
            "cli": err.strip().splitlines()[-1] if err.strip() else "",
            "peak_rss_mib_match": round(rss),
        }
        del blocked, merge, listed, clustered
        if upserts:
            started = time.perf_counter()
            index = MatchIndex.build(read_jsonl(source))
            out["index_build_seconds"] = round(time.perf_counter() - started, 2)
            fresh, _ = generate(upserts, seed + 1)
            latencies = []
            for offset, record in enumerate(fresh):
                t = time.perf_counter()
                index.upsert(dict(record, id=count + 1 + offset))
                latencies.append(time.perf_counter() - t)
            # Changed records too: the webhook path sees updates of existing ids as often as creations.
            for offset, record in enumerate(fresh[: upserts // 2]):
                t = time.perf_counter()
                index.upsert(dict(record, id=1 + offset))
                latencies.append(time.perf_counter() - t)
            latencies.sort()
            out["upsert_ms_p50"] = round(1000 * latencies[len(latencies) // 2], 2)
            out["upsert_ms_p99"] = round(1000 * latencies[int(len(latencies) * 0.99) - 1], 2)
            out["upsert_ms_max"] = round(1000 * latencies[-1], 2)
            out["peak_rss_mib_with_index"] = round(peak_rss_mib())
    return out


def restaurants() -> str:
    if not SCORER.exists():
        return "restaurants: scorer not found at " + str(SCORER)
    enricher = ROOT / ".venv" / "bin" / "enricher"
    proc = subprocess.run(
        [sys.executable, str(SCORER), str(enricher)], capture_output=True, text=True, check=False
    )
    return (proc.stdout or proc.stderr).strip()


def child(count: int, seed: int, upserts: int, near_names: float = 0.0) -> dict[str, Any]:
    proc = subprocess.run(
        [
            sys.executable,
            __file__,
            "--one",
            str(count),
            "--seed",
            str(seed),
            "--upserts",
            str(upserts),
            "--near-names",
            str(near_names),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        return {"records": count, "error": proc.stderr.strip()[-600:]}
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def show(figures: dict[str, Any]) -> None:
    if "error" in figures:
        print(f"  {figures['records']:>9,} records: FAILED {figures['error']}")
        return
    f = figures
    p, r, f1 = f["merge"]
    pr, rr, fr = f["merge+review"]
    speed = f"{f['seconds']:7.2f} s  {f['records_per_second']:>8,} rec/s (CPU {f['cpu_seconds_all']} s)"
    print(f"  {f['records']:>9,} records  {speed}  pairs compared {f['pairs_compared']:,}")
    print(f"      blocking recall {f['blocking_recall']}  peak RSS {f['peak_rss_mib_match']:,} MiB  "
          f"review pairs {f['review_pairs']:,} ({f['review_per_10_records']} per 10 records)")  # fmt: skip
    print(f"      merge P={p:.4f} R={r:.4f} F1={f1:.4f}   merge+review P={pr:.4f} R={rr:.4f} F1={fr:.4f}")
    print(f"      ({f['true_pairs']:,} true pairs)  CLI: {f['cli']}")
    if "upsert_ms_p99" in f:
        latency = f"p50 {f['upsert_ms_p50']} ms, p99 {f['upsert_ms_p99']} ms, max {f['upsert_ms_max']} ms"
        print(f"      index of {f['records']:,} built in {f['index_build_seconds']} s; upsert {latency}")
        print(f"      peak RSS with the index {f['peak_rss_mib_with_index']:,} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--upserts", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--million", action="store_true", help="also run 1M records (minutes, ~4 GiB)")
    parser.add_argument("--sizes", type=int, nargs="*", help="generated sizes (default 10000 100000)")
    parser.add_argument(
        "--near-names", type=float, default=0.0, help="share of companies with a near namesake (generator's)"
    )
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one_scale(args.one, args.seed, args.upserts, args.near_names)))
        return
    print(
        f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} (shared: timings are noisy)"
    )
    print("restaurants (real; shared scorer, CLI end to end):")
    for line in restaurants().splitlines():
        print("  " + line)
    sizes = args.sizes or [10_000, 100_000]
    if args.million and 1_000_000 not in sizes:
        sizes.append(1_000_000)
    print(f"generated (enricher.sample.generate, seed {args.seed}, near names {args.near_names}):")
    for size in sizes:
        upserts = 1000 if size >= 100_000 else 0
        show(child(size, args.seed, upserts, args.near_names))


if __name__ == "__main__":
    main()
