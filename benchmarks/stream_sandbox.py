"""Benchmark: stream counterparties from the sandbox over HTTP; records/s and the client's peak RSS.

    .venv/bin/python benchmarks/stream_sandbox.py [--count 100000] [--compare 20000] [--page-size 100]

The sandbox runs as its own process (``enricher sandbox serve``), and each measurement runs in a fresh
child process, so the RSS figures are the client's alone: ``rss_base`` after imports and the first page,
``rss_peak`` at the end. Flat memory means the growth is the same for 20k and 100k records.
"""

from __future__ import annotations

import argparse
import importlib
import json
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from typing import Any

TOKEN = "bench-token"


def records(count: int) -> Iterator[dict[str, Any]]:
    """Sample-shaped records: engineer B's generator when present, else a simple local one."""
    try:
        generate = importlib.import_module("enricher.sample").generate
    except (ImportError, AttributeError):
        cities = ["Warszawa", "Kraków", "Berlin", "Praha", "Wien", "Amsterdam", "Lyon", "Milano"]
        for i in range(1, count + 1):
            yield {
                "id": i,
                "type": "company",
                "name": f"Company {i} Sp. z o.o.",
                "displayName": None,
                "tin": f"{(i * 7919) % 10**10:010d}",
                "tinCountry": "PL",
                "vatNumber": f"PL{(i * 7919) % 10**10:010d}",
                "corporateWebsiteUrl": f"https://company-{i}.example",
                "logoUrl": None,
                "addressStreetLine": f"ul. Długa {i % 200}",
                "addressPostCode": f"{i % 100:02d}-{i % 1000:03d}",
                "addressCity": cities[i % len(cities)],
                "addressCountry": "PL",
                "addressPhoneNumber": f"+48 22 {i % 1000:03d} {i % 100:02d} {i % 97:02d}",
                "requireAttachment": False,
                "cyclic": i % 5 == 0,
                "budgetNeutral": False,
            }
    else:
        for record, _entity in generate(count):
            yield record


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def child(url: str, count: int, page_size: int) -> None:
    """Stream ``count`` records and print one JSON line of figures."""
    from enricher.flowtly import FlowtlyClient

    with FlowtlyClient(url, token=TOKEN, page_size=page_size) as client:
        stream = client.iter_counterparties()
        first = next(stream)  # imports done, connection open, one page parsed
        base = rss_mib()
        started = time.perf_counter()
        seen = 1 + sum(1 for _ in islice(stream, count - 1))
        elapsed = time.perf_counter() - started
        assert first.id is not None
    figures = {
        "count": seen,
        "seconds": elapsed,
        "rps": seen / elapsed,
        "rss_base": base,
        "rss_peak": rss_mib(),
    }
    print(json.dumps(figures))


def start_sandbox(data: Path) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "enricher",
            "sandbox",
            "serve",
            "--data",
            str(data),
            "--port",
            "0",
            "--token",
            TOKEN,
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    line: list[str] = []
    reader = threading.Thread(target=lambda: line.append(proc.stdout.readline() if proc.stdout else ""))
    reader.start()
    reader.join(120)
    if not line or "listening on" not in line[0]:
        proc.kill()
        raise SystemExit(f"the sandbox did not start: {line!r}")
    return proc, line[0].split()[-1]


def server_peak_mib(pid: int) -> float | None:
    try:
        for row in Path(f"/proc/{pid}/status").read_text().splitlines():
            if row.startswith("VmHWM:"):
                return int(row.split()[1]) / 1024
    except OSError:
        return None
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument(
        "--compare", type=int, default=20_000, help="a smaller run to compare RSS growth with"
    )
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument("--child", nargs=3, metavar=("URL", "COUNT", "PAGE_SIZE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]), int(args.child[2]))
        return

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "register.jsonl"
        started = time.perf_counter()
        with data.open("w", encoding="utf-8") as fh:
            for record in records(args.count):
                fh.write(json.dumps(record, ensure_ascii=False) + "\n")
        size = data.stat().st_size >> 20
        print(f"generated {args.count} records in {time.perf_counter() - started:.1f}s ({size} MiB)")
        started = time.perf_counter()
        proc, url = start_sandbox(data)
        print(f"sandbox loaded and listening in {time.perf_counter() - started:.1f}s at {url}")
        try:
            heads = ("records", "seconds", "records/s", "rss base MiB", "rss peak MiB", "growth")
            print(" ".join(f"{h:>{w}}" for h, w in zip(heads, (9, 8, 10, 13, 13, 7), strict=True)))
            for count in sorted({args.compare, args.count}):
                out = subprocess.run(
                    [sys.executable, __file__, "--child", url, str(count), str(args.page_size)],
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout
                f = json.loads(out.strip().splitlines()[-1])
                growth = f["rss_peak"] - f["rss_base"]
                print(
                    f"{f['count']:>9} {f['seconds']:>8.2f} {f['rps']:>10.0f} {f['rss_base']:>13.1f}"
                    f" {f['rss_peak']:>13.1f} {growth:>7.1f}"
                )
            peak = server_peak_mib(proc.pid)
            if peak is not None:
                print(f"(sandbox server peak RSS: {peak:.0f} MiB, page size {args.page_size})")
        finally:
            proc.terminate()
            proc.wait(30)


if __name__ == "__main__":
    main()
