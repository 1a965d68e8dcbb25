"""Running the sandbox: in a thread for tests and the embedded default, or in the foreground for the CLI."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn

from enricher.errors import EnricherError
from enricher.flowtly.client import FlowtlyClient
from enricher.flowtly.contract import CLIENTS, COUNTERPARTIES
from enricher.flowtly.sandbox.app import SandboxApp
from enricher.flowtly.sandbox.faults import Faults
from enricher.flowtly.sandbox.loader import read_records
from enricher.flowtly.sandbox.store import SandboxStore

__all__ = ["DEFAULT_TOKEN", "RecordSource", "Sandbox", "build_sandbox", "running_sandbox", "serve_forever"]

log = logging.getLogger(__name__)

RecordSource = Path | str | Iterable[Mapping[str, Any]] | None
"""Records for a collection: a file (JSON list, Hydra collection or JSONL), an iterable of dicts, or none."""

_HOST = "127.0.0.1"

DEFAULT_TOKEN = "sandbox-token"  # noqa: S105 - a well-known token for a local test server
"""The token a sandbox takes when none is given."""


@dataclass
class Sandbox:
    """A running sandbox: where it listens, the token it takes, and its live state for asserts."""

    url: str
    token: str
    app: SandboxApp

    @property
    def store(self) -> SandboxStore:
        return self.app.store

    @property
    def faults(self) -> Faults:
        return self.app.faults

    @property
    def api_url(self) -> str:
        """The base URL of the API, including the path prefix if one is set."""
        return self.url + self.app.prefix

    def client(self, **options: Any) -> FlowtlyClient:
        """A client to this sandbox with its token (``options`` go to :class:`FlowtlyClient`)."""
        options.setdefault("token", self.token)
        options.setdefault("timeout", 10.0)
        return FlowtlyClient(self.api_url, **options)

    def __repr__(self) -> str:  # the token stays out of reprs
        return f"Sandbox(url={self.api_url!r}, records={len(self.store.counterparties)})"


def _records(source: RecordSource) -> Iterable[Mapping[str, Any]]:
    if source is None:
        return ()
    if isinstance(source, str | Path):
        return read_records(Path(source))
    return source


def _split_clients(
    records: Iterable[Mapping[str, Any]], contacts: list[dict[str, Any]]
) -> Iterator[Mapping[str, Any]]:
    """Clients as stored: contacts embedded as objects under ``clientContacts`` move to ``contacts``."""
    for record in records:
        embedded = record.get("clientContacts")
        if isinstance(embedded, list) and any(isinstance(c, Mapping) for c in embedded):
            rid = record.get("id", record.get("@id"))
            contacts.extend({**c, "client": f"/{CLIENTS}/{rid}"} for c in embedded if isinstance(c, Mapping))
            record = {k: v for k, v in record.items() if k != "clientContacts"}
        yield record


def build_sandbox(
    data: RecordSource = None,
    *,
    token: str = DEFAULT_TOKEN,
    hydra_prefix: bool = True,
    clients: RecordSource = None,
    contacts: RecordSource = None,
    prefix: str = "",
    faults: Faults | Mapping[str, Any] | None = None,
    credentials: Mapping[str, str] | None = None,
    write_back: bool = False,
    access_log: Path | None = None,
) -> SandboxApp:
    """A sandbox (not yet serving) loaded with ``data`` (counterparties), ``clients`` and ``contacts``.

    Clients may carry their contacts embedded (``clientContacts``: objects); they are served from
    ``/client-contacts`` like the ``contacts`` given apart.

    ``write_back`` writes each collection that came from a file back to that file on shutdown;
    ``access_log`` appends one JSON line per request to that file.
    """
    if not token:
        raise EnricherError("the sandbox needs a non-empty token")
    store = SandboxStore()
    store.counterparties.load(_records(data))
    embedded: list[dict[str, Any]] = []
    store.clients.load(_split_clients(_records(clients), embedded))
    store.contacts.load(embedded)
    store.contacts.load(_records(contacts))
    targets: dict[str, Path] = {}
    if write_back:
        for name, source in ((COUNTERPARTIES, data), (CLIENTS, clients)):
            if isinstance(source, str | Path):
                targets[name] = Path(source)
    if isinstance(faults, Faults):
        chosen = faults
    else:
        chosen = Faults()
        chosen.update(faults or {})
    return SandboxApp(
        store=store,
        token=token,
        faults=chosen,
        hydra_prefix=hydra_prefix,
        prefix=prefix,
        credentials=credentials,
        write_back=targets,
        access_log=access_log,
    )


def _bind(port: int, host: str = _HOST) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted sockets inherit this: without it, a response written in two parts (head, body) waits
    # out the peer's delayed ACK, about 40 ms per request.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise EnricherError(f"sandbox cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.listen(2048)
    return sock


def _server(app: SandboxApp) -> uvicorn.Server:
    config = uvicorn.Config(
        app.asgi(), log_level="warning", access_log=False, lifespan="on", timeout_graceful_shutdown=5
    )
    return uvicorn.Server(config)


@contextlib.contextmanager
def running_sandbox(
    data: RecordSource = None,
    *,
    token: str = DEFAULT_TOKEN,
    hydra_prefix: bool = True,
    clients: RecordSource = None,
    contacts: RecordSource = None,
    prefix: str = "",
    faults: Faults | Mapping[str, Any] | None = None,
    credentials: Mapping[str, str] | None = None,
    write_back: bool = False,
    port: int = 0,
    access_log: Path | None = None,
) -> Iterator[Sandbox]:
    """A real sandbox server on a free loopback port, in a background thread, for the ``with`` block."""
    app = build_sandbox(
        data,
        token=token,
        hydra_prefix=hydra_prefix,
        clients=clients,
        contacts=contacts,
        prefix=prefix,
        faults=faults,
        credentials=credentials,
        write_back=write_back,
        access_log=access_log,
    )
    sock = _bind(port)
    server = _server(app)
    failure: list[BaseException] = []

    def run() -> None:
        try:
            server.run(sockets=[sock])
        except BaseException as exc:  # reported to the starting thread
            failure.append(exc)

    thread = threading.Thread(target=run, name="flowtly-sandbox", daemon=True)
    thread.start()
    while not server.started:
        if failure or not thread.is_alive():
            sock.close()
            raise EnricherError(f"the sandbox failed to start: {failure[0] if failure else 'thread ended'}")
        thread.join(0.005)
    url = f"http://{_HOST}:{sock.getsockname()[1]}"
    try:
        yield Sandbox(url=url, token=token, app=app)
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def serve_forever(app: SandboxApp, port: int, *, ready: Callable[[str], None], host: str = _HOST) -> None:
    """Serve in the foreground until SIGTERM/SIGINT; ``ready(url)`` is called once connections are taken.

    The write-back (if configured) runs in the app's shutdown, before this returns.
    """
    sock = _bind(port, host)
    server = _server(app)
    url = f"http://{host}:{sock.getsockname()[1]}"

    async def main() -> None:
        task = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started and not task.done():
            await asyncio.sleep(0.01)
        if server.started:
            ready(url + app.prefix)
        await task

    config = server.config
    try:
        # The same event loop uvicorn's own run() picks (uvloop when installed).
        with asyncio.Runner(loop_factory=config.get_loop_factory()) as runner:
            runner.run(main())
    finally:
        sock.close()
