"""A tiny real website on loopback for the worker tests: a home page with a logo, optionally slow."""

from __future__ import annotations

import contextlib
import io
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from PIL import Image, ImageDraw

PAGE = b"""<!doctype html><html><head><meta charset="utf-8">
<title>Acme Widgets - Home</title>
<meta property="og:site_name" content="Acme Widgets">
<link rel="apple-touch-icon" sizes="180x180" href="/logo.png">
</head><body><h1>Acme Widgets</h1>
<img src="/logo.png" alt="Acme Widgets logo" width="180" height="180"></body></html>
"""


# Two brands declared equally: only the register's known name can pick one.
TWO_BRANDS = b"""<!doctype html><html><head><meta charset="utf-8"><title>Tools and design</title>
<meta property="og:site_name" content="Vectora"><meta property="og:site_name" content="Orbis Tools">
<link rel="apple-touch-icon" sizes="180x180" href="/logo.png"></head><body></body></html>
"""


def _logo() -> bytes:
    image = Image.new("RGB", (180, 180), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    draw.rectangle((20, 20, 160, 160), fill=(200, 30, 40))
    draw.ellipse((50, 50, 130, 130), fill=(20, 60, 200))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


class Site:
    """``url`` serves the page; ``slow_url`` serves it after ``slow_seconds``, ``drip_url`` spreads it
    over ``slow_seconds``; ``hits`` counts paths."""

    def __init__(self, slow_seconds: float = 4.0) -> None:
        self.slow_seconds = slow_seconds
        self.hits: Counter[str] = Counter()
        self.slow_started = threading.Event()
        logo = _logo()
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                site.hits[path] += 1
                if path == "/robots.txt":
                    self._send(200, "text/plain", b"User-agent: *\nAllow: /\n")
                elif path.endswith("/logo.png"):
                    self._send(200, "image/png", logo)
                elif path == "/two-brands/":
                    self._send(200, "text/html; charset=utf-8", TWO_BRANDS)
                elif path == "/drip/":  # slow as /slow/, but a byte every 1/10th: no read timeout
                    site.slow_started.set()
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html; charset=utf-8")
                    self.send_header("Content-Length", str(len(PAGE)))
                    self.end_headers()
                    step = max(1, len(PAGE) // 10)
                    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                        for start in range(0, len(PAGE), step):
                            self.wfile.write(PAGE[start : start + step])
                            self.wfile.flush()
                            time.sleep(site.slow_seconds / 10)
                elif path in ("/", "/slow/") or path.startswith("/co/"):
                    if path == "/slow/":
                        site.slow_started.set()
                        time.sleep(site.slow_seconds)
                    self._send(200, "text/html; charset=utf-8", PAGE)
                else:
                    self._send(404, "text/plain", b"not found")

            def _send(self, status: int, ctype: str, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/"
        self.slow_url = f"{self.url}slow/"
        self.drip_url = f"{self.url}drip/"

    @contextlib.contextmanager
    def running(self) -> Iterator[Site]:
        thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.server.shutdown()
            self.server.server_close()
