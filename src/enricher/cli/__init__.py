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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="enricher", description=__doc__.splitlines()[0] if __doc__ else None
    )
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging (-vv for debug)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(f"enricher.cli.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=[logging.WARNING, logging.INFO, logging.DEBUG][min(args.verbose, 2)],
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
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
