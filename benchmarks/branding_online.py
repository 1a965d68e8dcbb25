"""Online branding benchmark: throughput, memory and accuracy against loopback fixture sites.

    .venv/bin/python benchmarks/branding_online.py [--sizes 200 1000] [--concurrency 32]

* Throughput and memory: ``enrich_all`` over a sandbox register of N records whose websites are
  generated fixture sites (``bench-<n>.sites.test``: robots.txt, homepage, logo, icon), with the
  real guarded fetcher and real re-reads and PATCHes to a sandbox (``enricher sandbox serve``).
  Each size runs in a fresh child process so its peak RSS is its own; the fixture-site server and
  the sandbox run in their own processes so they do not share the GIL with the enricher.
  Flat memory shows as the same peak RSS at both sizes.
* Accuracy by signal: ``brand_page`` on every hand-made fixture site (``tests/fixtures/sites``),
  compared with the expectation in its ``site.json`` (logo URL or error, and display name).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import resource
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "fixtures" / "sites"))

from sites_server import running_sites, site_config, site_names, sites_resolver  # noqa: E402

from enricher.branding.enrich import enrich_all  # noqa: E402
from enricher.branding.fetch import SafeFetcher  # noqa: E402
from enricher.branding.online import brand_page  # noqa: E402
from enricher.config import load_settings  # noqa: E402
from enricher.flowtly import FlowtlyClient  # noqa: E402

AUTH = {"Authorization": "Bearer bench"}


def _serve(queue: Any, stop: Any) -> None:
    with running_sites() as server:
        queue.put(server.port)
        stop.wait()


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(size: int, api: str, concurrency: int) -> dict[str, Any]:
    """One measured run of enrich_all over the sandbox at ``api`` (called in a fresh process)."""
    settings = load_settings(fetch_concurrency=concurrency, fetch_timeout=10.0)
    rss_before = _rss_mb()
    with FlowtlyClient(api, token="bench", page_size=200) as client:

        async def main() -> Any:
            async with SafeFetcher.from_settings(
                settings, resolver=sites_resolver, allow_hosts=[".sites.test"]
            ) as f:
                # As the CLI does: outcomes are counted, not kept (the CLI spools them to disk).
                return await enrich_all(client, settings, fetcher=f, keep_outcomes=False)

        started = time.perf_counter()
        summary = asyncio.run(main())
        elapsed = time.perf_counter() - started
    return {
        "size": size,
        "seconds": round(elapsed, 2),
        "sites_per_s": round(size / elapsed, 1),
        "filled": summary.counts()["filled"],
        "failed": summary.counts()["failed"],
        "rss_start_mb": round(rss_before, 1),
        "peak_rss_mb": round(_rss_mb(), 1),
    }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def measure(size: int, sites_port: int, concurrency: int, workdir: Path) -> dict[str, Any]:
    """Serve a register of ``size`` records from a sandbox process and enrich it from a child process."""
    data = workdir / f"register-{size}.jsonl"
    with data.open("w") as out:
        for i in range(1, size + 1):
            site = f"http://bench-{i}.sites.test:{sites_port}/"
            out.write(json.dumps({"id": i, "type": "company", "name": f"Bench Company {i} Sp. z o.o.",
                                  "corporateWebsiteUrl": site}) + "\n")  # fmt: skip
    port = _free_port()
    enricher = str(Path(sys.executable).with_name("enricher"))
    sandbox = subprocess.Popen(
        [enricher, "sandbox", "serve", "--data", str(data), "--port", str(port), "--token", "bench"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        api = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(api + "/_sandbox/stats", headers=AUTH, timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(size), "--api", api, "--concurrency", str(concurrency)],
            capture_output=True, text=True, check=True, timeout=600,
        )  # fmt: skip
        result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
        result["patches"] = (
            httpx.get(api + "/_sandbox/stats", headers=AUTH, timeout=5).json().get("patches_applied")
        )
        return result
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=10)


def accuracy(port_sites: Any) -> list[tuple[str, str, bool, bool | None]]:
    """(site, signal, logo/error right, name right or None when no name is expected) per fixture site."""
    rows: list[tuple[str, str, bool, bool | None]] = []

    async def main() -> None:
        async with SafeFetcher(allow_hosts=[".sites.test"], resolver=sites_resolver, timeout=1.5) as f:
            for name in site_names():
                config = site_config(name)
                expect = config["expect"]
                result = (await brand_page(port_sites.url(name), f)).to_contract()
                if "error" in expect:
                    ok = result["logoUrl"] is None and expect["error"] in (result.get("error") or "")
                    rows.append((name, config["signal"], ok, None))
                    continue
                want = expect["logo"]
                got = result["logoUrl"]
                if want is None:
                    logo_ok = got is None
                elif want == "data:":
                    logo_ok = bool(got and got.startswith("data:"))
                else:
                    logo_ok = got == port_sites.url(name, want)
                rows.append((name, config["signal"], logo_ok, result["displayName"] in expect["name"]))

    asyncio.run(main())
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", type=int, nargs="+", default=[200, 1000])
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--api", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.api, args.concurrency)))
        return 0

    ctx = multiprocessing.get_context("spawn")
    queue, stop = ctx.Queue(), ctx.Event()
    server = ctx.Process(target=_serve, args=(queue, stop), daemon=True)
    server.start()
    try:
        port = queue.get(timeout=30)
        print(f"fixture sites on 127.0.0.1:{port} (separate process); concurrency {args.concurrency}")
        print(f"{'records':>8} {'seconds':>8} {'sites/s':>8} {'filled':>7} {'failed':>7} {'peak RSS MB':>12}")
        with tempfile.TemporaryDirectory() as tmp:
            for size in args.sizes:
                r = measure(size, port, args.concurrency, Path(tmp))
                cols = (r["size"], r["seconds"], r["sites_per_s"], r["filled"], r["failed"])
                print("{:>8} {:>8} {:>8} {:>7} {:>7}".format(*cols), f"{r['peak_rss_mb']:>12}")
    finally:
        stop.set()
        server.join(timeout=10)

    with running_sites() as sites:
        rows = accuracy(sites)
    print("\naccuracy on the hand-made fixture sites (logo = right logo URL, or the right refusal/error):")
    for name, signal, logo_ok, name_ok in rows:
        mark = "ok " if logo_ok else "BAD"
        name_mark = "" if name_ok is None else ("name ok" if name_ok else "name WRONG")
        print(f"  {mark} {name:<22} {name_mark:<11} {signal}")
    logos = sum(r[2] for r in rows)
    named = [r[3] for r in rows if r[3] is not None]
    names_right = sum(bool(n) for n in named)
    print(f"logo/error right: {logos}/{len(rows)}; display name right: {names_right}/{len(named)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
