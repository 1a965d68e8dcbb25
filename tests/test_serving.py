"""The request deadlines and the connection cap, on both of uvicorn's HTTP implementations.

A real uvicorn server in a thread, on loopback, serving a tiny ASGI app that reads the whole body;
clients are raw sockets. (``tests/test_webhooks_serve.py`` runs the same against the real command.)
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn

from enricher.serving import H11WithDeadlines, ServeLimits, WebhookHTTPProtocol

pytestmark = pytest.mark.integration

PROTOCOLS = [pytest.param(WebhookHTTPProtocol, id="default"), pytest.param(H11WithDeadlines, id="h11")]


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        size += len(message.get("body", b""))
        if not message.get("more_body"):
            break
    body = f"got {size}".encode()
    await send(
        {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"%d" % len(body))]}
    )
    await send({"type": "http.response.body", "body": body})


@contextlib.contextmanager
def server(protocol: Any, limits: ServeLimits) -> Iterator[int]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, http=protocol, lifespan="off", log_level="warning", timeout_keep_alive=5)
    srv = uvicorn.Server(config)
    old = protocol.limits
    protocol.limits = limits
    thread = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not srv.started:
            assert time.monotonic() < deadline and thread.is_alive(), "server did not start"
            time.sleep(0.01)
        yield port
    finally:
        srv.should_exit = True
        thread.join(timeout=10)
        sock.close()
        protocol.limits = old


def read_until_closed(sock: socket.socket, seconds: float) -> bytes | None:
    sock.settimeout(seconds)
    got = b""
    try:
        while chunk := sock.recv(4096):
            got += chunk
    except TimeoutError:
        return None
    except ConnectionResetError:
        pass
    return got


FAST = ServeLimits(header_timeout=0.5, body_timeout=1.0, max_connections=100)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_silent_connection_and_a_half_header_get_408(protocol: Any) -> None:
    with server(protocol, FAST) as port:
        silent = socket.create_connection(("127.0.0.1", port))
        half = socket.create_connection(("127.0.0.1", port))
        half.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Le")
        started = time.monotonic()
        for sock in (silent, half):
            with sock:
                got = read_until_closed(sock, 3.0)
                assert got is not None and got.startswith(b"HTTP/1.1 408"), got
        assert time.monotonic() - started < 2.0


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_trickled_header_does_not_reset_the_deadline(protocol: Any) -> None:
    with server(protocol, FAST) as port, socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\n")
        started = time.monotonic()
        with contextlib.suppress(OSError):
            for _ in range(20):  # a header line every 0.1 s: each byte used to cancel the only timer
                sock.sendall(b"X-a: b\r\n")
                time.sleep(0.1)
        assert read_until_closed(sock, 3.0) is not None
        assert time.monotonic() - started < 1.5


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_stalled_body_is_closed_and_a_prompt_one_is_answered(protocol: Any) -> None:
    with server(protocol, FAST) as port:
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab")
            started = time.monotonic()
            assert read_until_closed(sock, 4.0) == b""
            assert 0.8 < time.monotonic() - started < 2.5
        with socket.create_connection(("127.0.0.1", port)) as sock:
            # Keep-alive: two requests on one connection, the second after a pause shorter than keep-alive.
            sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc")
            sock.settimeout(3)
            assert sock.recv(4096).endswith(b"got 3")
            time.sleep(1.5)  # longer than both deadlines: they do not run between requests
            sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nab")
            assert sock.recv(4096).endswith(b"got 2")


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_past_the_cap_the_oldest_waiting_connection_makes_room(protocol: Any) -> None:
    limits = ServeLimits(header_timeout=30, body_timeout=30, max_connections=5)
    with server(protocol, limits) as port:
        slow = [socket.create_connection(("127.0.0.1", port)) for _ in range(5)]
        try:
            for sock in slow:
                sock.sendall(b"POST / HTTP/1.1\r\n")
            time.sleep(0.2)
            with socket.create_connection(("127.0.0.1", port)) as fresh:
                fresh.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\na")
                fresh.settimeout(3)
                assert fresh.recv(4096).endswith(b"got 1")
            assert read_until_closed(slow[0], 2.0) is not None  # the oldest went
            assert read_until_closed(slow[1], 0.3) is None  # the others stay
        finally:
            for sock in slow:
                sock.close()
