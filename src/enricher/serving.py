"""What uvicorn lacks for the webhook receiver: deadlines for receiving a request, and slots that idle
sockets cannot hold.

uvicorn (checked with 0.54) has no timeout on *receiving* a request: ``timeout_keep_alive`` runs only
between requests and every received byte cancels it, so a client that sends half a header, or
``Content-Length: 1000`` and one byte, keeps its connection for as long as it likes (uvicorn issue #157
has asked for ``--timeout-request-start`` since 2018). And ``limit_concurrency`` counts open
*connections*, idle and half-sent ones included: 1,000 slow sockets made every signed delivery a 503.
ASGI middleware cannot help, because uvicorn calls the app only once a header is complete.

So the receiver runs with :class:`WebhookHTTPProtocol`, uvicorn's own HTTP protocol (httptools, h11
when httptools is missing) with three additions, all read from the settings:

* ``ENRICHER_WEBHOOK_HEADER_TIMEOUT``: from the first byte of a request (or the connection's opening)
  to the end of its header. Past it: ``408 Request Timeout``, connection closed, one warning line.
* ``ENRICHER_WEBHOOK_BODY_TIMEOUT``: from the end of the header to the end of the body. Past it the
  connection is closed (one warning line); the app sees a client disconnect.
* ``ENRICHER_WEBHOOK_MAX_CONNECTIONS``: a connection past the cap closes the *oldest* connection that is
  not being answered (still sending, or idle between requests), so slow clients cannot lock out new
  ones; only when every connection is being answered is the newcomer refused (503).

uvicorn's ``limit_concurrency`` is not used; the app limits deliveries being *processed*
(``ENRICHER_WEBHOOK_CONCURRENCY``, see :func:`enricher.webhooks.create_app`), which sockets that are
still sending never occupy. The additions hook only ``connection_made``/``data_received``/
``connection_lost`` and the response-complete callback, and read uvicorn's per-request ``cycle``
(``more_body``, ``response_complete``), which both implementations share.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from uvicorn.protocols.http.h11_impl import H11Protocol

from enricher.config import Settings, load_settings

if TYPE_CHECKING:
    from asyncio import TimerHandle

__all__ = ["H11WithDeadlines", "ServeLimits", "WebhookHTTPProtocol"]

log = logging.getLogger("enricher.webhooks")

Phase = Literal["head", "body", "app", "idle"]
"""head: a request's header is arriving (or nothing yet); body: its body is; app: the app answers;
idle: between requests (uvicorn's keep-alive timer runs)."""


@dataclass(frozen=True)
class ServeLimits:
    """The receiver's connection limits (from ``ENRICHER_WEBHOOK_*``)."""

    header_timeout: float = 10.0
    body_timeout: float = 30.0
    max_connections: int = 4096

    @classmethod
    def from_settings(cls, settings: Settings) -> ServeLimits:
        return cls(
            header_timeout=settings.webhook_header_timeout,
            body_timeout=settings.webhook_body_timeout,
            max_connections=settings.webhook_max_connections,
        )


_REQUEST_TIMEOUT = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"content-length: 15\r\nconnection: close\r\n\r\nRequest Timeout"
)
_BUSY = (
    b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"content-length: 19\r\nconnection: close\r\n\r\nService Unavailable"
)


class _Deadlines:
    """The additions, as a mixin over one of uvicorn's HTTP protocol classes."""

    limits: ClassVar[ServeLimits | None] = None
    """Set by tests or embedders; None reads the settings once per process (uvicorn imports the class
    by name, also in ``--workers`` child processes)."""
    _open: ClassVar[OrderedDict[_Deadlines, None]]

    # Set by uvicorn's protocol classes.
    transport: asyncio.Transport
    cycle: Any
    client: tuple[str, int] | None
    loop: asyncio.AbstractEventLoop

    _phase: Phase
    _timer: TimerHandle | None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._open = OrderedDict()  # oldest first: the eviction order

    @classmethod
    def _limits(cls) -> ServeLimits:
        if cls.limits is None:
            cls.limits = ServeLimits.from_settings(load_settings())
        return cls.limits

    # --- uvicorn's protocol interface ---------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[misc]
        self._timer = None
        self._phase = "head"
        self._arm(self._limits().header_timeout)
        self._open[self] = None
        if len(self._open) > self._limits().max_connections:
            self._make_room()

    def data_received(self, data: bytes) -> None:
        if self._phase == "idle":  # the first bytes of the next request on a kept-alive connection
            self._phase = "head"
            self._arm(self._limits().header_timeout)
        super().data_received(data)  # type: ignore[misc]
        self._track()

    def on_response_complete(self) -> None:
        super().on_response_complete()  # type: ignore[misc]
        # uvicorn now runs its keep-alive timer (or a pipelined request, which _track sees).
        self._cancel()
        self._phase = "idle"
        self._track()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel()
        self._open.pop(self, None)
        super().connection_lost(exc)  # type: ignore[misc]

    # --- the state of the current request -----------------------------------------------------

    def _track(self) -> None:
        """Move to "body" or "app" once uvicorn has a request whose header is complete."""
        cycle = self.cycle
        if cycle is None or cycle.response_complete:
            return  # no request in progress: a header is still arriving ("head"), or "idle"
        if cycle.more_body:
            if self._phase != "body":
                self._phase = "body"
                self._arm(self._limits().body_timeout)
        elif self._phase != "app":
            self._phase = "app"
            self._cancel()

    def _arm(self, seconds: float) -> None:
        self._cancel()
        self._timer = self.loop.call_later(seconds, self._expired)

    def _cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _who(self) -> str:
        return f"{self.client[0]}:{self.client[1]}" if self.client else "a client"

    def _expired(self) -> None:
        self._timer = None
        if self.transport.is_closing():
            return
        limits = self._limits()
        if self._phase == "head":
            log.warning(
                "closing the connection from %s: request header not complete within %gs",
                self._who(),
                limits.header_timeout,
            )
            self.transport.write(_REQUEST_TIMEOUT)
        elif self._phase == "body":
            log.warning(
                "closing the connection from %s: request body not complete within %gs",
                self._who(),
                limits.body_timeout,
            )
        else:
            return
        self.transport.close()

    def _make_room(self) -> None:
        """Past the cap: close the oldest connection that is not being answered, else refuse this one."""
        for other in self._open:
            if other is not self and other._phase != "app" and not other.transport.is_closing():
                log.warning(
                    "connection limit (%d) reached: closing the oldest waiting connection, from %s",
                    self._limits().max_connections,
                    other._who(),
                )
                other._cancel()
                other.transport.close()
                self._open.pop(other, None)
                return
        log.warning(
            "connection limit (%d) reached and every connection is being answered: 503 to %s",
            self._limits().max_connections,
            self._who(),
        )
        self.transport.write(_BUSY)
        self.transport.close()


class H11WithDeadlines(_Deadlines, H11Protocol):
    """uvicorn's h11 protocol with the deadlines and the connection cap."""


try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # pragma: no cover - uvicorn[standard] brings httptools
    WebhookHTTPProtocol: type[asyncio.Protocol] = H11WithDeadlines
else:

    class HttpToolsWithDeadlines(_Deadlines, HttpToolsProtocol):
        """uvicorn's httptools protocol (its default) with the deadlines and the connection cap."""

    WebhookHTTPProtocol = HttpToolsWithDeadlines
"""The protocol ``enricher webhooks serve`` names to uvicorn: ``enricher.serving:WebhookHTTPProtocol``."""
