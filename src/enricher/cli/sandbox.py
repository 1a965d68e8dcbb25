"""``enricher sandbox serve``: the Flowtly-compatible sandbox server in the foreground.

Prints ``sandbox listening on http://127.0.0.1:PORT`` once it takes connections; stops cleanly on
SIGTERM or Ctrl-C, writing the records back to ``--data`` first when ``--write-back`` is given.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from pathlib import Path
from types import FrameType
from typing import Any

from enricher.config import load_settings
from enricher.errors import ConfigError

__all__ = ["SWITCHES", "register"]


SWITCHES: dict[str, str] = {
    "rate_429": "share 0..1 of API requests answered 429 with Retry-After",
    "rate_500": "share 0..1 of API requests answered 500",
    "write_rate_429": "share 0..1 of writes (POST, PATCH, DELETE, merge) answered 429, unapplied",
    "write_rate_500": "share 0..1 of writes answered 500, unapplied",
    "reply_lost": "share 0..1 of writes applied, then answered 502 (the reply lost on the way)",
    "burst_429": "the next N API requests get 429",
    "burst_500": "the next N API requests get 500",
    "retry_after": "seconds sent in Retry-After (default 1)",
    "retry_after_date": "true: send Retry-After as an HTTP date",
    "delay": "seconds added to every API response",
    "seed": "seed of the shares' random draws (default 7)",
}
"""Every switch of ``enricher.flowtly.sandbox.Faults`` for the help (kept here: importing the sandbox
costs 0.6 s that other commands would pay; tests/cli checks that none is missing)."""


def register(subparsers: Any) -> None:
    """Add ``sandbox serve`` to the ``enricher`` command."""
    group = subparsers.add_parser("sandbox", help="a local Flowtly-compatible API for tests and demos")
    sub = group.add_subparsers(dest="sandbox_command", metavar="SUBCOMMAND", required=True)
    serve = sub.add_parser("serve", help="serve counterparties and clients over HTTP on 127.0.0.1")
    serve.add_argument(
        "--data",
        type=Path,
        help="counterparties: JSON list, Hydra collection or JSONL (default: the bundled sample)",
    )
    serve.add_argument(
        "--clients",
        type=Path,
        help="clients (contacts embedded under clientContacts), in the same formats (default: the bundled "
        "sample's clients when --data is not given, else none)",
    )
    serve.add_argument(
        "--port", type=int, default=8000, help="port on 127.0.0.1 (0: any free port; default 8000)"
    )
    serve.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1; 0.0.0.0 in a container, so other containers reach it)",
    )
    serve.add_argument(
        "--token", help="bearer token to accept (default: ENRICHER_FLOWTLY_TOKEN, else 'sandbox-token')"
    )
    serve.add_argument(
        "--hydra-prefix",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="API Platform 3 keys (hydra:member...); --no-hydra-prefix: API Platform 4 keys (member...)",
    )
    serve.add_argument("--prefix", default="", help="path prefix of the API, e.g. /api (default: none)")
    serve.add_argument(
        "--write-back", action="store_true", help="write the records back to their files on shutdown"
    )
    serve.add_argument(
        "--login",
        metavar="USER:PASSWORD",
        action="append",
        default=[],
        help="credentials POST /api/login accepts (repeatable; default: ENRICHER_FLOWTLY_USERNAME and"
        " ENRICHER_FLOWTLY_PASSWORD when both are set, else login disabled)",
    )
    serve.add_argument(
        "--faults",
        metavar="JSON",
        help='fault switches at start, e.g. \'{"rate_429": 0.1, "retry_after": 1, "delay": 0.05}\'; '
        "also GET/PUT /_sandbox/faults while running. Switches: "
        + "; ".join(f"{name}: {what}" for name, what in SWITCHES.items()),
    )
    serve.add_argument(
        "--access-log",
        type=Path,
        metavar="FILE",
        help="append one JSON line per request to FILE: method, path, status, body (login bodies hidden)",
    )
    serve.set_defaults(func=_serve)


def _serve(args: argparse.Namespace) -> int:
    # Imported here so other commands do not pay for Starlette and uvicorn.
    from enricher.flowtly.sandbox import (
        DEFAULT_TOKEN,
        build_sandbox,
        bundled_clients_path,
        bundled_records_path,
        serve_forever,
    )

    settings = load_settings()
    token = args.token
    if not token:
        token = settings.flowtly_token.get_secret_value() if settings.flowtly_token else None
    if not token:
        print(
            "enricher: no --token or ENRICHER_FLOWTLY_TOKEN: the sandbox takes 'sandbox-token'",
            file=sys.stderr,
        )
        token = DEFAULT_TOKEN
    data: Path = args.data if args.data is not None else bundled_records_path()
    if args.clients is None and args.data is None:
        args.clients = bundled_clients_path()
    for path, flag in ((data, "--data"), (args.clients, "--clients")):
        if path is not None and not path.is_file():
            raise ConfigError(flag, f"no such file: {path}")
    credentials: dict[str, str] = {}
    for pair in args.login:
        user, sep, password = pair.partition(":")
        if not sep or not user:
            raise ConfigError("--login", "expected USER:PASSWORD")
        credentials[user] = password
    if not credentials and settings.flowtly_username and settings.flowtly_password:
        # The same environment that makes the client log in makes the sandbox accept that login.
        credentials[settings.flowtly_username] = settings.flowtly_password.get_secret_value()
    faults: dict[str, Any] = {}
    if args.faults:
        try:
            faults = json.loads(args.faults)
        except json.JSONDecodeError as exc:
            raise ConfigError("--faults", f"not JSON: {exc.msg}") from None
        if not isinstance(faults, dict):
            raise ConfigError("--faults", "expected a JSON object of switches")
    try:
        app = build_sandbox(
            data,
            token=token,
            hydra_prefix=args.hydra_prefix,
            clients=args.clients,
            prefix=args.prefix,
            faults=faults,
            credentials=credentials or None,
            write_back=args.write_back,
            access_log=args.access_log,
        )
    except ValueError as exc:  # a bad fault switch
        raise ConfigError("--faults", str(exc)) from None

    # uvicorn re-raises the signal after its graceful shutdown; with this handler in place that
    # ends the process normally (exit 0) instead of by the default SIGTERM action.
    def _quiet(signum: int, frame: FrameType | None) -> None:
        return None

    previous = signal.signal(signal.SIGTERM, _quiet)
    try:
        serve_forever(
            app, args.port, host=args.host, ready=lambda url: print(f"sandbox listening on {url}", flush=True)
        )
    finally:
        signal.signal(signal.SIGTERM, previous)
    print("sandbox stopped", file=sys.stderr)
    return 0
