"""``enricher webhooks serve`` as it runs in production (uvicorn, the real CLI) against slow and weak input.

Each test starts the command in a subprocess beside a private ``redis-server`` (the relay publishes to
the Celery broker on it, so nothing reaches the shared Redis). Slow clients are raw sockets: one that
sends half a header, one that promises ``Content-Length: 1000`` and sends one byte, one that leaves
mid-body. Signed deliveries come from the ``standardwebhooks`` reference package.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from standardwebhooks import Webhook

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SECRET = "whsec_" + base64.b64encode(b"a-thirty-two-byte-webhook-secret").decode()
ENRICHER = Path(sys.executable).parent / "enricher"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    port = free_port()
    proc = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def env_for(redis_url: str, tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ENRICHER_")}
    env.update(
        ENRICHER_REDIS_URL=redis_url,
        ENRICHER_WEBHOOK_SECRET=SECRET,
        ENRICHER_STATE_DIR=str(tmp_path / "state"),
        ENRICHER_WEBHOOK_HEADER_TIMEOUT="1",
        ENRICHER_WEBHOOK_BODY_TIMEOUT="2",
    )
    env.update(extra)
    return env


@dataclass
class Receiver:
    url: str
    port: int
    log: Path

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


@contextlib.contextmanager
def serving(env: dict[str, str], tmp_path: Path, *args: str) -> Iterator[Receiver]:
    port = free_port()
    log = tmp_path / f"receiver-{port}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(ENRICHER), "webhooks", "serve", "--port", str(port), "--loglevel", "info", *args],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    receiver = Receiver(f"http://127.0.0.1:{port}", port, log)
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{receiver.url}/healthz", timeout=2).status_code == 200:
                    break
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"receiver did not start:\n{receiver.text()}")
            time.sleep(0.1)
        yield receiver
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def signed(record_id: int) -> tuple[bytes, dict[str, str]]:
    body = json.dumps({"type": "counterparty.updated", "data": {"id": record_id}})
    msg_id = f"msg_{uuid.uuid4().hex}"
    now = datetime.now(tz=UTC)
    headers = {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(SECRET).sign(msg_id, now, body),
        "content-type": "application/json",
    }
    return body.encode(), headers


def half_header(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(b"POST /webhooks/flowtly HTTP/1.1\r\nHost: receiver\r\nContent-Type: appl")
    return sock


def stalled_body(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(
        b"POST /webhooks/flowtly HTTP/1.1\r\nHost: receiver\r\nContent-Type: application/json\r\n"
        b"Content-Length: 1000\r\n\r\n{"
    )
    return sock


def closed_within(sock: socket.socket, seconds: float) -> bytes | None:
    """What the server sent before closing, or None if it kept the connection open that long."""
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


def test_slow_clients_do_not_starve_a_signed_delivery(redis_url: str, tmp_path: Path) -> None:
    """More half-sent requests than request slots: a signed delivery is still answered, at once."""
    env = env_for(
        redis_url, tmp_path, ENRICHER_WEBHOOK_HEADER_TIMEOUT="30", ENRICHER_WEBHOOK_BODY_TIMEOUT="30"
    )
    with serving(env, tmp_path, "--limit-concurrency", "20") as receiver:
        slow = [half_header(receiver.port) for _ in range(15)] + [
            stalled_body(receiver.port) for _ in range(15)
        ]
        try:
            time.sleep(0.3)
            body, headers = signed(41)
            started = time.monotonic()
            response = httpx.post(
                f"{receiver.url}/webhooks/flowtly", content=body, headers=headers, timeout=10
            )
            took = time.monotonic() - started
        finally:
            for sock in slow:
                sock.close()
    assert response.status_code == 202, response.text
    assert took < 1.0


def test_a_half_sent_header_is_closed_after_the_header_timeout(redis_url: str, tmp_path: Path) -> None:
    with serving(env_for(redis_url, tmp_path), tmp_path) as receiver:
        sock = half_header(receiver.port)
        with sock:
            got = closed_within(sock, 5.0)
        assert got is not None, "the server kept a half-sent header open"
        assert got == b"" or got.startswith(b"HTTP/1.1 408")
        time.sleep(0.2)
        assert "request header not complete within 1s" in receiver.text()


def test_a_stalled_body_is_closed_after_the_body_timeout(redis_url: str, tmp_path: Path) -> None:
    with serving(env_for(redis_url, tmp_path), tmp_path) as receiver:
        sock = stalled_body(receiver.port)
        with sock:
            started = time.monotonic()
            got = closed_within(sock, 6.0)
        assert got is not None, "the server kept a stalled body open"
        assert 1.5 < time.monotonic() - started < 6.0
        time.sleep(0.3)
        log = receiver.text()
        assert "request body not complete within 2s" in log
        assert "Traceback" not in log and "ClientDisconnect" not in log, log


def test_a_client_leaving_mid_body_is_one_log_line(redis_url: str, tmp_path: Path) -> None:
    with serving(env_for(redis_url, tmp_path), tmp_path) as receiver:
        stalled_body(receiver.port).close()
        deadline = time.monotonic() + 5
        while "went away" not in receiver.text() and time.monotonic() < deadline:
            time.sleep(0.1)
        log = receiver.text()
        assert "Traceback" not in log and "ClientDisconnect" not in log, log
        assert len([line for line in log.splitlines() if "went away" in line]) == 1, log
        body, headers = signed(42)
        assert (
            httpx.post(f"{receiver.url}/webhooks/flowtly", content=body, headers=headers).status_code == 202
        )


def test_connections_past_the_cap_evict_the_oldest_waiting_one(redis_url: str, tmp_path: Path) -> None:
    """With every connection slot held by slow clients, a new delivery still gets through."""
    env = env_for(
        redis_url,
        tmp_path,
        ENRICHER_WEBHOOK_HEADER_TIMEOUT="30",
        ENRICHER_WEBHOOK_BODY_TIMEOUT="30",
        ENRICHER_WEBHOOK_MAX_CONNECTIONS="10",
    )
    with serving(env, tmp_path) as receiver:
        slow = [half_header(receiver.port) for _ in range(10)]
        try:
            time.sleep(0.3)
            body, headers = signed(43)
            response = httpx.post(
                f"{receiver.url}/webhooks/flowtly", content=body, headers=headers, timeout=10
            )
            assert response.status_code == 202, response.text
            assert closed_within(slow[0], 2.0) is not None, "the oldest slow connection was not evicted"
        finally:
            for sock in slow:
                sock.close()
    assert "connection limit (10) reached" in receiver.text()


@pytest.mark.parametrize(
    "secret",
    [
        "whsec_AA",  # a 1-byte key
        "password",  # no prefix: was base64-decoded silently
        "whsec_" + base64.b64encode(b"x" * 23).decode(),  # 23 bytes
        "whsec_not*base64*at*all*not*base64*at*all",
        f"{SECRET} whsec_AA",  # one weak secret among good ones
    ],
)
def test_a_weak_secret_does_not_start_the_receiver(redis_url: str, tmp_path: Path, secret: str) -> None:
    env = env_for(redis_url, tmp_path, ENRICHER_WEBHOOK_SECRET=secret)
    proc = subprocess.run(
        [str(ENRICHER), "webhooks", "serve", "--port", str(free_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "ENRICHER_WEBHOOK_SECRET" in lines[0], proc.stderr
    assert "at least 24 bytes" in lines[0]
    assert "password" not in proc.stderr and "eHh4" not in proc.stderr  # the secret is never echoed
