"""How fast ``enricher.sample`` makes records, and whether memory stays flat.

    .venv/bin/python benchmarks/sample_generate.py [--count 1000000] [--seed 7]

Prints the generation rate without I/O, the rate of ``write_sample`` (JSON lines + truth CSV, what
``enricher sample generate`` does), and the peak resident memory after each phase. CPU seconds are
printed too: on a shared machine they are steadier than wall-clock time.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from enricher.sample import generate, write_sample


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    start, cpu = time.perf_counter(), time.process_time()
    for _ in generate(args.count, seed=args.seed):
        pass
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    rate = args.count / elapsed
    print(
        f"generate():     {args.count:>9,} records in {elapsed:6.1f} s = {rate:>8,.0f} records/s"
        f" (CPU {cpu:.1f} s: {args.count / cpu:,.0f} records per CPU second)"
    )
    print(f"peak RSS after generate(): {_peak_mib():.0f} MiB")

    with tempfile.TemporaryDirectory() as tmp:
        records, truth = Path(tmp) / "sample.jsonl", Path(tmp) / "truth.csv"
        start, cpu = time.perf_counter(), time.process_time()
        write_sample(records, args.count, seed=args.seed, truth_path=truth)
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        size = records.stat().st_size / 2**20
    rate = args.count / elapsed
    print(
        f"write_sample(): {args.count:>9,} records in {elapsed:6.1f} s = {rate:>8,.0f} records/s"
        f" (CPU {cpu:.1f} s: {args.count / cpu:,.0f} records per CPU second; {size:,.0f} MiB of JSON lines)"
    )
    print(f"peak RSS after write_sample(): {_peak_mib():.0f} MiB")


if __name__ == "__main__":
    main()
