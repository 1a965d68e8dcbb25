"""Memory of the safe fetcher against a gzip bomb (issue 11, defect 11).

    .venv/bin/python benchmarks/fetch_compressed.py [--inflated-mib 200] [--cap-mib 1] [--concurrent 32]

Serves ``--inflated-mib`` MiB of zeros gzipped (about 1/1000 of that on the wire) from a loopback
server and fetches it with the HTML cap at ``--cap-mib``: once alone under tracemalloc (peak bytes
Python allocated during the fetch), then ``--concurrent`` times at once (growth of the process's max
RSS). Every fetch must be refused at the cap; memory should stay near cap x fetches.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.server
import resource
import threading
import tracemalloc
import zlib
from typing import Any

from enricher.branding.fetch import SafeFetcher


def bomb(inflated_mib: int) -> bytes:
    z = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = b"\0" * (1 << 20)
    return b"".join(z.compress(block) for _ in range(inflated_mib)) + z.flush()


def serve(body: bytes) -> http.server.ThreadingHTTPServer:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            with contextlib.suppress(OSError):
                self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


async def fetch_all(url: str, count: int, cap: int) -> list[str]:
    async with SafeFetcher(
        allow_hosts=["127.0.0.1/32"], obey_robots=False, max_html_bytes=cap, per_host=count
    ) as f:

        async def one() -> str:
            try:
                await f.fetch_page(url)
            except Exception as exc:
                return type(exc).__name__
            return "fetched whole"

        return await asyncio.gather(*(one() for _ in range(count)))


def max_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--inflated-mib", type=int, default=200, help="size once inflated (default 200)")
    parser.add_argument("--cap-mib", type=int, default=1, help="the HTML byte cap (default 1)")
    parser.add_argument("--concurrent", type=int, default=32, help="concurrent fetches (default 32)")
    args = parser.parse_args()
    body = bomb(args.inflated_mib)
    server = serve(body)
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    cap = args.cap_mib << 20
    print(f"gzip body: {len(body):,} bytes on the wire, {args.inflated_mib} MiB inflated", end="; ")
    print(f"cap {args.cap_mib} MiB")

    tracemalloc.start()
    one = asyncio.run(fetch_all(url, 1, cap))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(f"one fetch: {one[0]}; peak allocated during it {peak / 2**20:.1f} MiB")

    before = max_rss_mib()
    results = asyncio.run(fetch_all(url, args.concurrent, cap))
    after = max_rss_mib()
    print(f"{args.concurrent} concurrent fetches: {sorted(set(results))}", end="; ")
    print(f"process max RSS {before:.0f} -> {after:.0f} MiB")
    server.shutdown()
    ok = set(results) == {"FetchTooLargeError"} and one == ["FetchTooLargeError"]
    print("check every fetch refused at the cap:", "OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
