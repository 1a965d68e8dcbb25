"""The ``enricher`` command: one module per command group, each with ``register(subparsers)``.

Exit codes: 0 success, 1 a run-level failure (API, auth, state), 2 bad usage or configuration.
Run-level errors print one line to stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from enricher.errors import ConfigError, EnricherError

__all__ = ["build_parser", "main"]

# Each module defines ``register(subparsers)`` and sets ``func`` on its parsers.
COMMAND_MODULES = (
    "run",  # the main job: fetch, match, report, enrich
    "sandbox",  # enricher sandbox serve
    "sample",  # enricher sample generate
    "dedupe",  # enricher dedupe
    "brand",  # enricher brand
    "enrich",  # enricher enrich
    "report",  # enricher report, enricher merges apply
    "worker",  # enricher worker, beat, webhooks serve
)


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser of every command, or of the command module ``only`` alone (a quicker start)."""
    parser = argparse.ArgumentParser(
        prog="enricher", description=__doc__.splitlines()[0] if __doc__ else None
    )
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging (-vv for debug)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES if only is None else (only,):
        importlib.import_module(f"enricher.cli.{name}").register(sub)
    return parser


def _own_module(argv: Sequence[str]) -> str | None:
    """The command module named like the command given (``brand``, ``dedupe``...), if any: importing
    only it keeps a one-page ``enricher brand`` from loading matching, Celery wiring and the rest."""
    command = next((a for a in argv if not a.startswith("-")), None)
    return command if command in COMMAND_MODULES else None


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser(_own_module(sys.argv[1:] if argv is None else argv))
    args = parser.parse_args(argv)
    from enricher.logs import configure

    configure([logging.WARNING, logging.INFO, logging.DEBUG][min(args.verbose, 2)])
    try:
        code = args.func(args)
    except ConfigError as exc:
        print(f"enricher: configuration error: {exc}", file=sys.stderr)
        return 2
    except EnricherError as exc:
        print(f"enricher: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # a file or directory we were told to use: one line, not a traceback
        where = f" {exc.filename}" if exc.filename else ""
        print(f"enricher: cannot use{where}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("enricher: interrupted", file=sys.stderr)
        return 130
    return int(code or 0)
