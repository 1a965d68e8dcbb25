"""``enricher brand``: a page's logo and display name, offline from saved HTML or online.

    enricher brand --html FILE --url URL [--name KNOWN] [--encoding ENC]
    enricher brand --batch FILE.jsonl [--output OUT.jsonl]
    enricher brand URL [--name KNOWN]

Offline modes never touch the network. In batch mode each input line ``{"html": PATH, "url": URL}``
gives one output line in input order; a bad line or unreadable file gives a line with ``"error"``
and the batch goes on.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from enricher.branding import extract
from enricher.errors import EnricherError, RecordError

__all__ = ["brand_batch", "brand_file", "register"]

log = logging.getLogger(__name__)


def register(subparsers: Any) -> None:
    """Add ``enricher brand`` to the dispatcher."""
    p = subparsers.add_parser(
        "brand",
        help="find a website's logo and display name",
        description="Logo candidates and display name of a page: offline from saved HTML (--html, "
        "--batch) or online with the safe fetcher (URL).",
    )
    p.add_argument("target", nargs="?", metavar="URL", help="fetch this site online (safe fetcher)")
    p.add_argument("--html", type=Path, metavar="FILE", help="saved page to read (offline)")
    p.add_argument("--url", metavar="URL", help="the address the saved page was served from")
    p.add_argument("--batch", type=Path, metavar="FILE.jsonl", help='lines of {"html": PATH, "url": URL}')
    p.add_argument("--output", type=Path, metavar="FILE", help="write JSON here instead of stdout")
    p.add_argument("--name", metavar="KNOWN", help="the counterparty's own name: breaks ties between names")
    p.add_argument("--encoding", metavar="CHARSET", help="charset of --html when the page does not say")
    p.set_defaults(func=run, _parser=p)


def run(args: argparse.Namespace) -> int:
    parser: argparse.ArgumentParser = args._parser
    if args.url and args.html is None:
        parser.error("--url goes with --html; for an online lookup give the URL as the argument")
    modes = sum(x is not None for x in (args.target, args.html, args.batch))
    if modes != 1:
        parser.error("give exactly one of URL, --html FILE --url URL, or --batch FILE.jsonl")
    if args.html is not None and not args.url:
        parser.error("--html needs --url (the address the page was served from)")
    with _open_output(args.output) as out:
        if args.batch is not None:
            return brand_batch(args.batch, out)
        if args.html is not None:
            try:
                result = brand_file(args.html, args.url, known_name=args.name, encoding=args.encoding)
            except EnricherError:
                raise
            except Exception as exc:  # a bug on an odd page: one line, the trace only in the debug log
                log.debug("brand: extraction failed on %s", args.html, exc_info=True)
                raise EnricherError(f"cannot extract {args.html}: {type(exc).__name__}") from None
        else:
            result = _online(args.target, args.name)
        out.write(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    return 0


class _open_output:
    """stdout, or a file that is only created once there is something to write."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.handle: IO[str] | None = None

    def __enter__(self) -> IO[str]:
        if self.path is None:
            return sys.stdout
        try:
            self.handle = self.path.open("w", encoding="utf-8")
        except OSError as exc:
            raise EnricherError(f"cannot write {self.path}: {exc.strerror}") from None
        return self.handle

    def __exit__(self, *exc: object) -> None:
        if self.handle is not None:
            self.handle.close()


def brand_file(
    path: Path, url: str, *, known_name: str | None = None, encoding: str | None = None
) -> dict[str, Any]:
    """DESIGN.md's brand JSON for one saved page; RecordError if it cannot be read."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RecordError(f"cannot read {path}: {exc.strerror or exc}") from None
    return extract(data, url, known_name=known_name, encoding=encoding).to_contract(url)


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    try:
        with path.open("r", encoding="utf-8", errors="replace") as fh:
            yield from enumerate(fh, start=1)
    except OSError as exc:
        raise EnricherError(f"cannot read {path}: {exc.strerror or exc}") from None


def brand_batch(path: Path, out: IO[str]) -> int:
    """One output line per input line, in order; a bad line gives the same keys, empty, plus ``line`` and
    ``error``, and the run goes on. Optional per line: ``name`` (known name), ``encoding``.

    Relative ``html`` paths are read from the current directory, else from the batch file's folder.
    Returns 0 (per-line failures are reported in the output, not as the exit code).
    """
    for lineno, line in _lines(path):
        if not line.strip():
            continue
        out.write(json.dumps(_batch_line(line, lineno, path.parent), ensure_ascii=False) + "\n")
    return 0


def _failed(html: Any, url: Any, lineno: int, why: str) -> dict[str, Any]:
    """An output line for an input line that could not be used: the contract's keys, empty, and why."""
    return {
        "html": html if isinstance(html, str) else None,
        "url": url if isinstance(url, str) else None,
        "displayName": None,
        "logoUrl": None,
        "candidates": [],
        "line": lineno,
        "error": f"line {lineno}: {why}",
    }


def _batch_line(line: str, lineno: int, folder: Path) -> dict[str, Any]:
    try:
        item = json.loads(line)
    except json.JSONDecodeError as exc:
        return _failed(None, None, lineno, f"not JSON ({exc.msg})")
    if not isinstance(item, dict):
        return _failed(None, None, lineno, "expected an object with html and url")
    html, url = item.get("html"), item.get("url")
    if not isinstance(html, str) or not isinstance(url, str) or not html or not url:
        return _failed(html, url, lineno, "html and url must be non-empty strings")
    name = item.get("name") if isinstance(item.get("name"), str) else None
    encoding = item.get("encoding") if isinstance(item.get("encoding"), str) else None
    file = Path(html)
    if not file.is_absolute() and not file.exists() and (folder / file).exists():
        file = folder / file
    try:
        result = brand_file(file, url, known_name=name, encoding=encoding)
    except RecordError as exc:
        return _failed(html, url, lineno, str(exc))
    except Exception as exc:  # a bug on one odd page must not cost the rest of the batch
        log.warning("brand: extraction failed on line %d (%s): %s", lineno, html, type(exc).__name__)
        log.debug("brand: extraction failed on line %d", lineno, exc_info=True)
        return _failed(html, url, lineno, f"extraction failed ({type(exc).__name__})")
    return {"html": html, **result}


def _online(url: str, known_name: str | None) -> dict[str, Any]:
    """Run the online pipeline (safe fetcher, extraction, image checks) of ``branding.online``."""
    import asyncio  # here, not at the top: ~40 ms of start-up that offline runs do not need

    from enricher.config import load_settings

    try:
        online = importlib.import_module("enricher.branding.online")
    except ModuleNotFoundError as exc:
        if exc.name != "enricher.branding.online":
            raise
        raise EnricherError("online branding is not available in this build") from None
    settings = load_settings()
    result: dict[str, Any] = asyncio.run(online.brand_url(url, settings, known_name=known_name))
    return result
