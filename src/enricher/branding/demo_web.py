"""DEMO ONLY: a simulated web of counterparty homepages, for the embedded (offline) demo.

The bundled sample's websites (``https://www.kowalski-trans.pl``...) do not exist on a machine
without internet, yet the main job must show enrichment working end to end. :class:`DemoWeb` is an
ASGI app that plays every one of those websites: for any ``Host`` it serves a plausible homepage
whose shape is chosen from a hash of the host (stable between runs): a header logo (PNG drawn with
Pillow, or SVG), JSON-LD Organization, ``og:site_name``, apple-touch icons and favicons, a web app
manifest; some sites have no logo at all, some answer 404 or 500, some disallow robots.

:func:`demo_fetcher` builds a normal :class:`~enricher.branding.fetch.SafeFetcher` whose transport is
this app (``httpx.ASGITransport``, in-process) and whose resolver answers every name with one public
address, so the guard, robots.txt, caps and image checks all run as they would online. It must never
be used for real enrichment: nothing here touches the network, and every answer is invented.
"""

from __future__ import annotations

import io
import json
import re
import zlib
from collections.abc import Iterable, Mapping, MutableMapping
from functools import lru_cache
from html import escape
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx
from PIL import Image, ImageDraw, ImageFont

from enricher.branding.fetch import SafeFetcher

if TYPE_CHECKING:
    from enricher.config import Settings

__all__ = ["DEMO_ADDRESS", "DemoWeb", "demo_fetcher", "demo_resolver"]

DEMO_ADDRESS = "93.184.215.14"
"""What every demo host 'resolves' to: a public unicast address, so the guard passes it (it is never
connected to: the demo transport is in-process)."""

_LEGAL = re.compile(
    r"[\s,]+(sp\.?\s*z\s*o\.?\s*o\.?|sp\.?\s*j\.?|sp\.?\s*k\.?|s\.?\s*a\.?|spółka.*|gmbh|ag|b\.?v\.?|n\.?v\.?"
    r"|ltd\.?|limited|inc\.?|llc|s\.?r\.?o\.?|a\.?s\.?|oy|ab|kft\.?|s\.?r\.?l\.?|sas|sarl)\s*$",
    re.IGNORECASE,
)
_TAGLINES = (
    "transport i logistyka od 1998",
    "solidny partner w biznesie",
    "usługi dla firm w całej Polsce",
    "quality you can trust",
    "hurtownia i dystrybucja",
    "budownictwo i remonty",
    "doradztwo podatkowe i księgowość",
)
_PALETTE = ((200, 30, 40), (20, 90, 200), (0, 128, 90), (240, 140, 0), (110, 40, 160), (30, 30, 30))


def _brand(name: str) -> str:
    """``Kowalski Trans Sp. z o.o.`` -> ``Kowalski Trans`` (the demo's idea of a brand)."""
    text = name.strip().strip('"')
    for _ in range(2):
        text = _LEGAL.sub("", text).strip(" ,.-")
    return text or name.strip()


def _name_from_host(host: str) -> str:
    label = host.removeprefix("www.").split(".")[0]
    return " ".join(part.capitalize() for part in re.split(r"[-_]+", label) if part) or host


def _host(url: str | None) -> str | None:
    if not url:
        return None
    text = url.strip()
    if "://" not in text:
        text = "https://" + text
    try:
        return (urlsplit(text).hostname or "").lower() or None
    except ValueError:
        return None


class DemoWeb:
    """DEMO ONLY. The ASGI app playing every counterparty website of the embedded demo."""

    def __init__(self, records: Iterable[Mapping[str, Any] | Any] = ()) -> None:
        self._names: dict[str, str] = {}
        for record in records:
            self.add(record)

    def add(self, record: Mapping[str, Any] | Any) -> None:
        """Teach the demo web a record's name, so its site shows that brand (records or dicts)."""
        get = record.get if isinstance(record, Mapping) else lambda k: getattr(record, k, None)
        host, name = _host(get("corporateWebsiteUrl")), get("name")
        if host and isinstance(name, str) and name.strip():
            self._names.setdefault(host.removeprefix("www."), name)

    def site_name(self, host: str) -> str:
        bare = host.removeprefix("www.")
        return _brand(self._names.get(bare) or _name_from_host(bare))

    @staticmethod
    def shape(host: str) -> str:
        """Which kind of site ``host`` is: stable for a host, spread over the realistic cases."""
        bucket = zlib.crc32(b"demo:" + host.removeprefix("www.").encode()) % 100
        for limit, shape in (
            (5, "404"),
            (8, "500"),
            (11, "robots-disallow"),
            (24, "no-logo"),
            (42, "json-ld"),
            (62, "header-png"),
            (76, "header-svg"),
            (88, "icons-only"),
            (100, "manifest"),
        ):
            if bucket < limit:
                return shape
        return "no-logo"  # pragma: no cover - the table covers 0..99

    async def __call__(self, scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        host = headers.get("host", "").split(":", 1)[0].lower()
        status, ctype, body = self.respond(host, scope.get("path", "/"))
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", ctype.encode()), (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})

    def respond(self, host: str, path: str) -> tuple[int, str, bytes]:
        """(status, content type, body) for one request."""
        shape = self.shape(host)
        name = self.site_name(host)
        if path == "/robots.txt":
            if shape == "robots-disallow":
                return 200, "text/plain", b"User-agent: *\nDisallow: /\n"
            return 200, "text/plain", b"User-agent: *\nDisallow: /admin/\n"
        if path == "/":
            if shape == "404":
                return 404, "text/html; charset=utf-8", b"<html><title>Not Found</title></html>"
            if shape == "500":
                return 500, "text/html; charset=utf-8", b"<html><title>Internal Server Error</title></html>"
            return 200, "text/html; charset=utf-8", self.page(host, shape, name).encode()
        seed = zlib.crc32(host.encode())
        if path == "/assets/logo.png" and shape in ("header-png", "json-ld"):
            return 200, "image/png", _png(name, seed, 360, 120)
        if path == "/assets/logo.svg" and shape == "header-svg":
            return 200, "image/svg+xml", _svg(name, seed).encode()
        if path in ("/apple-touch-icon.png", "/icons/icon-512.png") and shape in ("icons-only", "manifest"):
            size = 512 if "512" in path else 180
            return 200, "image/png", _png(name, seed, size, size)
        if path == "/site.webmanifest" and shape == "manifest":
            manifest = {
                "name": name,
                "icons": [{"src": "/icons/icon-512.png", "sizes": "512x512", "type": "image/png"}],
            }
            return 200, "application/manifest+json", json.dumps(manifest).encode()
        if path == "/favicon.ico" and shape not in ("no-logo",):
            return 200, "image/x-icon", _ico(name, seed)
        return 404, "text/html; charset=utf-8", b"<html><title>Not Found</title></html>"

    def page(self, host: str, shape: str, name: str) -> str:
        """The homepage HTML of a demo site."""
        seed = zlib.crc32(host.encode())
        tagline = _TAGLINES[seed % len(_TAGLINES)]
        title = escape(f"{name} – {tagline}")
        head = [f"<title>{title}</title>", f'<meta property="og:site_name" content="{escape(name)}">']
        header = f"<h1>{escape(name)}</h1>"
        if shape == "json-ld":
            org = {"@context": "https://schema.org", "@type": "Organization", "name": name, "url": f"https://{host}/",
                   "logo": f"https://{host}/assets/logo.png"}  # fmt: skip
            head.append(f'<script type="application/ld+json">{json.dumps(org, ensure_ascii=False)}</script>')
        if shape == "header-png":
            header = f'<a href="/"><img class="site-logo" src="/assets/logo.png" alt="{escape(name)}"></a>'
        if shape == "header-svg":
            img = f'<img class="logo" src="/assets/logo.svg" alt="{escape(name)}">'
            header = f'<a href="/" class="brand">{img}</a>'
        if shape == "icons-only":
            head.append('<link rel="apple-touch-icon" sizes="180x180" href="/apple-touch-icon.png">')
        if shape == "manifest":
            head.append('<link rel="manifest" href="/site.webmanifest">')
        return (
            '<!doctype html><html lang="pl"><head><meta charset="utf-8">' + "".join(head) + "</head><body>"
            f'<header class="site-header">{header}<nav><a href="/o-nas">O nas</a></nav></header>'
            f"<main><p>{escape(name)}: {escape(tagline)}.</p></main>"
            f"<footer>© {escape(name)}</footer></body></html>"
        )


def _initials(name: str) -> str:
    words = [w for w in re.split(r"\W+", name) if w]
    return "".join(w[0] for w in words[:2]).upper() or "?"


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.load_default(size=size)
    except (OSError, TypeError):  # pragma: no cover - Pillow without FreeType
        return ImageFont.load_default()


@lru_cache(maxsize=256)
def _png(name: str, seed: int, width: int, height: int) -> bytes:
    colour = _PALETTE[seed % len(_PALETTE)]
    im = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(im)
    side = min(width, height)
    draw.rounded_rectangle((0, 0, side - 1, side - 1), radius=side // 6, fill=(*colour, 255))
    draw.text(
        (side / 2, side / 2), _initials(name), fill=(255, 255, 255, 255), font=_font(side // 2), anchor="mm"
    )
    if width > side:
        draw.text(
            (side + 12, height / 2), name[:18], fill=(40, 40, 40, 255), font=_font(height // 4), anchor="lm"
        )
    buf = io.BytesIO()
    im.save(buf, "PNG", optimize=True)
    return buf.getvalue()


@lru_cache(maxsize=256)
def _ico(name: str, seed: int) -> bytes:
    im = Image.open(io.BytesIO(_png(name, seed, 48, 48)))
    buf = io.BytesIO()
    im.save(buf, "ICO", sizes=[(16, 16), (32, 32), (48, 48)])
    return buf.getvalue()


def _svg(name: str, seed: int) -> str:
    r, g, b = _PALETTE[seed % len(_PALETTE)]
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 360 120" width="360" height="120">'
        f'<rect width="120" height="120" rx="20" fill="#{r:02x}{g:02x}{b:02x}"/>'
        '<text x="60" y="78" font-size="56" text-anchor="middle" fill="#ffffff">'
        f"{escape(_initials(name))}</text>"
        f'<text x="136" y="72" font-size="30" fill="#282828">{escape(name[:18])}</text></svg>'
    )


async def demo_resolver(host: str) -> list[str]:
    """DEMO ONLY: every name 'resolves' to :data:`DEMO_ADDRESS` (raw IPs are still judged by the guard)."""
    return [DEMO_ADDRESS]


def demo_fetcher(
    settings: Settings, records: Iterable[Mapping[str, Any] | Any] = ()
) -> tuple[SafeFetcher, DemoWeb]:
    """DEMO ONLY: a SafeFetcher wired to the in-process :class:`DemoWeb` (and the web, to teach it
    more records). Guard, robots.txt, byte caps and image checks all apply as they would online."""
    web = DemoWeb(records)
    transport = httpx.ASGITransport(app=web)
    fetcher = SafeFetcher.from_settings(settings, resolver=demo_resolver, transport=transport)
    return fetcher, web
