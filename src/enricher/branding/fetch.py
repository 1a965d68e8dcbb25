"""The safe fetcher: what the branding step may download from a counterparty's website, and how.

Website URLs come from records anyone can edit, so fetching them is an SSRF risk. The rules:

* only ``http`` and ``https``; redirects are followed by hand (at most ``max_redirects`` hops) and
  every hop goes through the same checks as the first request;
* every host is resolved and its addresses checked by :class:`~enricher.branding.guard.AddressGuard`
  *inside the connection step* (:class:`GuardedTransport`, an httpcore network backend), which then
  connects to the address it checked: DNS cannot answer differently between check and use. The URL
  keeps the host name, so the ``Host`` header, TLS SNI and certificate checks are on the name;
* bodies are streamed with byte caps (HTML 5 MB, images 2 MB by default), applied while a gzip or
  deflate body is inflated (a compression bomb costs about the cap, not its inflated size), and each
  fetch has one overall deadline covering robots.txt, every hop and the body, not only each read;
* robots.txt is obeyed and cached per origin (:mod:`enricher.branding.robots`), an honest
  User-Agent is sent, and at most ``per_host`` requests run at once against one host.

Tests and the embedded demo inject ``resolver`` (fake DNS) and, for the demo only, ``transport``;
with an injected transport the guard runs before each request instead (nothing connects anyway).
``wrap_transport`` layers something (the workers' shared per-host rate limit) over the guarded
transport without giving up the connect-time check.
"""

from __future__ import annotations

import asyncio
import codecs
import ssl
import time
import zlib
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any

import httpcore
import httpx

from enricher.branding.extract import declared_charset
from enricher.branding.guard import AddressGuard, Resolver, system_resolver
from enricher.branding.robots import MAX_ROBOTS_BYTES, RobotsCache
from enricher.errors import BlockedTargetError, FetchError

if TYPE_CHECKING:
    from enricher.config import Settings

__all__ = [
    "FetchResult",
    "FetchStatusError",
    "FetchTimeoutError",
    "FetchTooLargeError",
    "GuardedTransport",
    "RobotsDisallowedError",
    "SafeFetcher",
    "TooManyRedirectsError",
    "sniff_charset",
]

DEFAULT_USER_AGENT = "enricher/0.1 (+https://flowtly.eu; counterparty branding bot)"
HTML_ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1"
IMAGE_ACCEPT = "image/svg+xml,image/png,image/webp,image/jpeg,image/gif,image/x-icon;q=0.9,*/*;q=0.1"
MANIFEST_ACCEPT = "application/manifest+json,application/json;q=0.9,*/*;q=0.1"
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


class FetchStatusError(FetchError):
    """The site answered with an error status (403 bot wall, 404, 500...)."""

    def __init__(self, status: int, *, url: str = "") -> None:
        super().__init__(f"HTTP {status}", url=url)
        self.status = status


class FetchTooLargeError(FetchError):
    """The body is larger than the cap for its kind."""


class FetchTimeoutError(FetchError):
    """The overall deadline of the fetch (or one network read) passed."""


class RobotsDisallowedError(FetchError):
    """robots.txt does not let this agent fetch the URL."""


class TooManyRedirectsError(FetchError):
    """More redirect hops than allowed."""


@dataclass(frozen=True)
class FetchResult:
    """A fetched body and where it came from."""

    url: str
    final_url: str
    status: int
    content_type: str | None
    header_charset: str | None
    body: bytes
    redirects: tuple[str, ...] = ()
    elapsed: float = 0.0

    @property
    def encoding(self) -> str | None:
        """The charset from the Content-Type header, else the one the page declares (BOM, meta)."""
        return self.header_charset or sniff_charset(self.body)

    def text(self) -> str:
        """The body decoded with :attr:`encoding` (UTF-8 when none is known), never raising."""
        return self.body.decode(self.encoding or "utf-8", errors="replace")


_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))


def _known_codec(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return codecs.lookup(name.strip().strip("\"'")).name
    except LookupError:
        return None


def sniff_charset(body: bytes) -> str | None:
    """The charset a page declares in its first bytes: a BOM, or ``<meta charset>``/http-equiv."""
    for bom, name in _BOMS:
        if body.startswith(bom):
            return name
    return declared_charset(body)


def _header_charset(content_type: str | None) -> str | None:
    if not content_type:
        return None
    for part in content_type.split(";")[1:]:
        key, _, value = part.partition("=")
        if key.strip().lower() == "charset":
            return _known_codec(value)
    return None


class _GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolves and checks the host at connect time, then connects to the checked address only."""

    def __init__(self, guard: AddressGuard) -> None:
        self._guard = guard
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await self._guard.resolve(host)
        last: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    address.split("%", 1)[0], port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout, OSError) as exc:
                last = exc
        assert last is not None
        raise last

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise BlockedTargetError("unix sockets are not fetched")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """An httpx transport whose connections go only to addresses the guard checked.

    The host name stays in the URL, so pooling, the ``Host`` header and TLS (SNI and certificate
    verification) all work on the name; only the TCP connect is pinned to the checked address.
    Proxies from the environment are ignored on purpose: a proxy would resolve the name itself.
    """

    def __init__(
        self, guard: AddressGuard, *, verify: bool | ssl.SSLContext = True, limits: httpx.Limits | None = None
    ) -> None:
        # Sites are many and each is visited briefly: a small keep-alive pool is enough, and
        # httpcore scans every pooled connection per request, so a big one costs CPU.
        limits = limits or httpx.Limits(
            max_connections=128, max_keepalive_connections=16, keepalive_expiry=2.0
        )
        super().__init__(verify=verify, trust_env=False, limits=limits)
        ssl_context = (
            verify
            if isinstance(verify, ssl.SSLContext)
            else httpx.create_ssl_context(verify, trust_env=False)
        )
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_GuardedBackend(guard),
        )


ACCEPT_ENCODING = "gzip, deflate"
"""What we ask for: only encodings :class:`_Inflater` inflates under a byte cap."""


class _Inflater:
    """Inflates a gzip or deflate body at most ``room`` bytes at a time, so a bomb stops at the cap.

    httpx inflates each network chunk whole before anyone can count it: 64 KB of gzip that inflates
    to 64 MB was 64 MB in memory before the cap saw it (200 MB bombs peaked at ~140 MB per fetch).
    zlib's ``max_length`` bounds each step instead. Written here because httpx's decoders take no limit.
    """

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        # gzip: header and trailer checked; deflate: zlib-wrapped as the RFC says, raw as some servers send.
        self._wbits = zlib.MAX_WBITS | 16 if encoding in ("gzip", "x-gzip") else zlib.MAX_WBITS
        self._zlib = zlib.decompressobj(self._wbits)
        self._started = False

    @classmethod
    def for_response(cls, content_encoding: str | None, url: str) -> _Inflater | None:
        """The inflater a ``Content-Encoding`` asks for; None for identity; FetchError otherwise."""
        codings = [c.strip().lower() for c in (content_encoding or "").split(",")]
        codings = [c for c in codings if c and c != "identity"]
        if not codings:
            return None
        if len(codings) == 1 and codings[0] in ("gzip", "x-gzip", "deflate"):
            return cls(codings[0])
        raise FetchError(f"unsupported Content-Encoding {', '.join(codings)!r}", url=url)

    def inflate(self, data: bytes, room: int) -> bytes:
        """Up to ``room + 1`` inflated bytes of ``data`` (more than ``room`` means over the cap)."""
        try:
            out = self._zlib.decompress(data, room + 1)
        except zlib.error:
            if self._started or self._wbits != zlib.MAX_WBITS:
                raise
            self._wbits = -zlib.MAX_WBITS  # "deflate" sent without the zlib wrapper
            self._zlib = zlib.decompressobj(self._wbits)
            out = self._zlib.decompress(data, room + 1)
        self._started = True
        return out


@dataclass
class _HostSlots:
    """Per-host semaphores that disappear when unused, so memory stays flat over many hosts."""

    limit: int
    _slots: dict[str, tuple[asyncio.Semaphore, int]] = field(default_factory=dict)
    peak: dict[str, int] = field(default_factory=dict)

    @asynccontextmanager
    async def slot(self, host: str) -> AsyncIterator[None]:
        sem, users = self._slots.get(host) or (asyncio.Semaphore(self.limit), 0)
        self._slots[host] = (sem, users + 1)
        try:
            async with sem:
                yield
        finally:
            sem, users = self._slots[host]
            if users <= 1:
                del self._slots[host]
            else:
                self._slots[host] = (sem, users - 1)


class SafeFetcher:
    """Fetches pages, images and manifests from untrusted URLs under the rules in the module doc.

    Use as an async context manager (or call :meth:`aclose`). One fetcher is meant to be shared by a
    whole run: it holds the connection pool, the robots cache and the per-host limits.
    """

    def __init__(
        self,
        *,
        allow_hosts: Sequence[str] = (),
        user_agent: str = DEFAULT_USER_AGENT,
        timeout: float = 15.0,
        max_html_bytes: int = 5 * 1024 * 1024,
        max_image_bytes: int = 2 * 1024 * 1024,
        per_host: int = 2,
        max_redirects: int = 5,
        obey_robots: bool = True,
        robots_ttl: float = 86400.0,
        resolver: Resolver | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        wrap_transport: Callable[[httpx.AsyncBaseTransport], httpx.AsyncBaseTransport] | None = None,
        verify: bool | ssl.SSLContext = True,
    ) -> None:
        self.guard = AddressGuard(allow=tuple(allow_hosts), resolver=resolver or system_resolver)
        self.user_agent = user_agent
        self.timeout = timeout
        self.max_html_bytes = max_html_bytes
        self.max_image_bytes = max_image_bytes
        self.max_redirects = max_redirects
        self.obey_robots = obey_robots
        # With our own transport the guard runs at connect time; an injected one (the embedded
        # demo, an ASGI app) never connects anywhere, so the guard runs before each request instead.
        self._pre_check = transport is not None
        chosen = transport or GuardedTransport(self.guard, verify=verify)
        self._client = httpx.AsyncClient(
            # wrap_transport layers e.g. a shared per-host rate limit over the guarded transport.
            transport=wrap_transport(chosen) if wrap_transport else chosen,
            follow_redirects=False,
            trust_env=False,
            timeout=httpx.Timeout(min(timeout, 10.0)),
            headers={"User-Agent": user_agent, "Accept-Encoding": ACCEPT_ENCODING},
        )
        self._slots = _HostSlots(per_host)
        self.robots = RobotsCache(self._fetch_robots, user_agent=user_agent, ttl=robots_ttl)

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        resolver: Resolver | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        wrap_transport: Callable[[httpx.AsyncBaseTransport], httpx.AsyncBaseTransport] | None = None,
        **overrides: Any,
    ) -> SafeFetcher:
        """A fetcher configured from ``ENRICHER_FETCH_*`` settings."""
        options: dict[str, Any] = {
            "allow_hosts": settings.allow_hosts,
            "user_agent": settings.fetch_user_agent,
            "timeout": settings.fetch_timeout,
            "max_html_bytes": settings.fetch_max_html_bytes,
            "max_image_bytes": settings.fetch_max_image_bytes,
            "per_host": settings.fetch_per_host,
        }
        options.update(overrides)
        return cls(resolver=resolver, transport=transport, wrap_transport=wrap_transport, **options)

    async def __aenter__(self) -> SafeFetcher:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def fetch_page(self, url: str) -> FetchResult:
        """An HTML page (``Accept: text/html``, HTML byte cap); refuses bodies that are not HTML."""
        result = await self.fetch(url, accept=HTML_ACCEPT, max_bytes=self.max_html_bytes)
        ctype = result.content_type
        if ctype and not (
            ctype in ("text/html", "application/xhtml+xml", "text/plain") or ctype.endswith("+xml")
        ):
            raise FetchError(f"not an HTML page ({ctype})", url=result.final_url)
        return result

    async def fetch_image(self, url: str) -> FetchResult:
        """An image body under the image byte cap (its format is checked by ``images``, not here)."""
        return await self.fetch(url, accept=IMAGE_ACCEPT, max_bytes=self.max_image_bytes)

    async def fetch_manifest(self, url: str) -> FetchResult:
        """A web app manifest (small JSON)."""
        return await self.fetch(url, accept=MANIFEST_ACCEPT, max_bytes=min(self.max_html_bytes, 512 * 1024))

    async def fetch(
        self,
        url: str,
        *,
        accept: str = HTML_ACCEPT,
        max_bytes: int | None = None,
        robots: bool = True,
        raise_for_status: bool = True,
        truncate: bool = False,
    ) -> FetchResult:
        """GET ``url`` under the guard, robots.txt, the byte cap and the overall deadline."""
        started = time.monotonic()
        try:
            async with asyncio.timeout(self.timeout):
                return await self._fetch(
                    url, accept, max_bytes or self.max_html_bytes, robots, raise_for_status, truncate, started
                )
        except TimeoutError:
            raise FetchTimeoutError(f"deadline of {self.timeout:g}s exceeded", url=url) from None

    async def _fetch(
        self,
        url: str,
        accept: str,
        max_bytes: int,
        robots: bool,
        raise_for_status: bool,
        truncate: bool,
        started: float,
    ) -> FetchResult:
        current = url
        redirects: list[str] = []
        for _hop in range(self.max_redirects + 1):
            target = self._checked_url(current)
            host = target.host
            if self._pre_check:
                await self.guard.resolve(host)
            if robots and self.obey_robots:
                rules = await self.robots.rules(str(target))
                if not rules.allowed(str(target), self.robots.agent):
                    if rules.parser is not None:
                        why = "disallowed by robots.txt"
                    else:  # none could be read (5xx, network failure): say which
                        why = f"disallowed: {rules.reason}"
                    raise RobotsDisallowedError(why, url=str(target))
            async with self._slots.slot(host):
                request = self._client.build_request("GET", target, headers={"Accept": accept})
                try:
                    response = await self._client.send(request, stream=True)
                except httpx.TimeoutException:
                    raise FetchTimeoutError("network timeout", url=str(target)) from None
                except httpx.HTTPError as exc:
                    raise FetchError(f"network error ({type(exc).__name__})", url=str(target)) from None
                try:
                    location = response.headers.get("location")
                    if response.status_code in _REDIRECTS and location:
                        # Drain a small body so the kept-alive connection serves the next hop.
                        await self._read_capped(response, 64 * 1024, str(target), truncate=True)
                        redirects.append(str(target))
                        try:
                            current = str(target.join(location.strip()))
                        except (httpx.InvalidURL, ValueError):
                            raise BlockedTargetError("malformed redirect", url=str(target)) from None
                        continue
                    if raise_for_status and response.status_code >= 400:
                        raise FetchStatusError(response.status_code, url=str(target))
                    body = await self._read_capped(response, max_bytes, str(target), truncate=truncate)
                finally:
                    await response.aclose()
            ctype = response.headers.get("content-type")
            return FetchResult(
                url=url,
                final_url=str(target),
                status=response.status_code,
                content_type=ctype.split(";", 1)[0].strip().lower() if ctype else None,
                header_charset=_header_charset(ctype),
                body=body,
                redirects=tuple(redirects),
                elapsed=time.monotonic() - started,
            )
        raise TooManyRedirectsError(f"more than {self.max_redirects} redirects", url=url)

    @staticmethod
    def _checked_url(url: str) -> httpx.URL:
        try:
            target = httpx.URL(url)
        except (httpx.InvalidURL, TypeError, ValueError):
            raise BlockedTargetError("malformed URL", url=url[:200]) from None
        if target.scheme not in ("http", "https"):
            raise BlockedTargetError(
                f"scheme {target.scheme!r} is not fetched (only http/https)", url=url[:200]
            )
        if not target.host:
            raise BlockedTargetError("URL has no host", url=url[:200])
        if target.userinfo:
            # Credentials in a website URL are a phishing/SSRF trick, never a real company site.
            raise BlockedTargetError("URL carries credentials", url=f"{target.scheme}://{target.host}")
        return target

    @staticmethod
    async def _read_capped(response: httpx.Response, max_bytes: int, url: str, *, truncate: bool) -> bytes:
        """The body up to ``max_bytes``: over it, an error (or, with ``truncate``, the first bytes).

        A compressed body is inflated here, step by step under the cap (:class:`_Inflater`), never by
        httpx: memory per fetch stays near ``max_bytes`` whatever the compression ratio.
        """
        declared = response.headers.get("content-length")
        if not truncate and declared and declared.isdigit() and int(declared) > max_bytes:
            raise FetchTooLargeError(f"body of {int(declared)} bytes exceeds the cap of {max_bytes}", url=url)
        inflater = _Inflater.for_response(response.headers.get("content-encoding"), url)
        body = bytearray()
        try:
            async for raw in response.aiter_raw():
                chunk = raw if inflater is None else inflater.inflate(raw, max_bytes - len(body))
                if len(body) + len(chunk) > max_bytes:
                    if truncate:
                        body += chunk[: max_bytes - len(body)]
                        break
                    raise FetchTooLargeError(f"body exceeds the cap of {max_bytes} bytes", url=url)
                body += chunk
        except zlib.error:
            raise FetchError(f"corrupt {inflater.encoding if inflater else ''} body", url=url) from None
        except httpx.TimeoutException:
            raise FetchTimeoutError("network timeout while reading", url=url) from None
        except httpx.HTTPError as exc:
            raise FetchError(f"network error while reading ({type(exc).__name__})", url=url) from None
        return bytes(body)

    async def _fetch_robots(self, robots_url: str) -> tuple[int, bytes]:
        result = await self.fetch(
            robots_url,
            accept="text/plain",
            max_bytes=MAX_ROBOTS_BYTES,
            robots=False,
            raise_for_status=False,
            truncate=True,
        )
        return result.status, result.body
