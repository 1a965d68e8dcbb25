"""``enricher dedupe``: find duplicate counterparties in a JSONL file or in the configured Flowtly API.

Output (DESIGN.md, fixed): ``{"candidates": [...], "clusters": [...]}``. A malformed input line is
reported with its line number and skipped; unreadable input stops the run with a one-line reason.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import orjson
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from enricher.config import Settings, load_settings
from enricher.errors import InputError
from enricher.matching import LabelError, MatchResult, counts_text, match, no_gc, stages_text
from enricher.records import BOM, IdError, JsonlFile, canonical_id, read_jsonl_lines

__all__ = ["register", "run", "write_output"]

_console = Console(stderr=True)


def write_output(result: MatchResult, path: Path) -> None:
    """Write the contract JSON atomically (a reader never sees half a file) into an existing folder."""
    fd, tmp = tempfile.mkstemp(prefix=".dedupe-", suffix=".json", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(orjson.dumps(result.to_contract(plain=False)))
            out.write(b"\n")
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; the result is an ordinary file
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _progress() -> Progress:
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=_console,
        transient=True,
        disable=not _console.is_terminal,
    )


def read_labels(path: Path, problems: list[str]) -> list[tuple[Any, Any, bool]]:
    """The answers of a labels file (``{"a": ID, "b": ID, "match": true|false}`` a line); a bad line is
    reported as "labels line N: why" and skipped."""
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise InputError(f"cannot read labels {path}: {exc.strerror or exc}") from None
    out: list[tuple[Any, Any, bool]] = []
    with handle:
        for number, raw in enumerate(handle, start=1):
            if number == 1 and raw.startswith(BOM):
                raw = raw[len(BOM) :]
            if not raw.strip():
                continue
            try:
                item = orjson.loads(raw)
            except orjson.JSONDecodeError:
                problems.append(f"labels line {number}: not valid JSON")
                continue
            if not isinstance(item, dict):
                problems.append(f"labels line {number}: not a JSON object")
                continue
            a, b, same = item.get("a"), item.get("b"), item.get("match")
            if not all(_usable_id(x) for x in (a, b)) or not isinstance(same, bool):
                problems.append(f'labels line {number}: needs "a" and "b" (ids) and "match" (true or false)')
                continue
            out.append((a, b, same))
    return out


def _usable_id(value: Any) -> bool:
    try:
        canonical_id(value)
    except IdError:
        return False
    return True


def _from_file(path: Path, problems: list[str], settings: Settings, labels: list[Any]) -> MatchResult:
    if not path.exists():
        raise InputError(f"cannot read {path}: no such file")
    if path.is_dir():
        raise InputError(f"cannot read {path}: a directory, not a file")
    size = path.stat().st_size if path.is_file() else None  # pipes and /dev/stdin have no size
    with _progress() as progress:
        task = progress.add_task("reading", total=size)

        def advance(done: int) -> None:
            progress.advance(task, done)

        limits = {
            "max_line_bytes": settings.dedupe_max_line_bytes,
            "max_field_chars": settings.dedupe_max_field_chars,
        }
        # A file is read by the normalising processes, a slice each; a pipe can only be read in turn.
        source = (
            JsonlFile(path, advance=advance, **limits)
            if size is not None
            else read_jsonl_lines(path, problems, advance, **limits)
        )
        result = match(
            source,
            labels=labels,
            merge_threshold=settings.match_merge_threshold,
            review_threshold=settings.match_review_threshold,
        )
    skipped = [*problems, *result.stats.get("skipped", [])]
    if result.stats["records"] == 0 and skipped:
        # Not one usable line: binary data, another encoding, or not JSON lines at all.
        raise InputError(
            f"cannot read {path}: no usable record in {len(skipped)} lines (first: {skipped[0]})"
        )
    return result


def _from_api(settings: Settings, labels: list[Any]) -> MatchResult:
    from enricher.flowtly import connect  # the API client is only needed in this mode

    with connect(settings) as client, _progress() as progress:
        task = progress.add_task("fetching", total=None)
        return match(
            client.iter_counterparties(),
            labels=labels,
            progress=lambda n: progress.advance(task, n),
            merge_threshold=settings.match_merge_threshold,
            review_threshold=settings.match_review_threshold,
        )


def run(args: argparse.Namespace) -> int:
    # Millions of small acyclic objects (records, evidence, the output tree): the cyclic collector
    # would only cost time, in matching and in writing the result alike.
    with no_gc():
        return _run(args)


def _output_path(args: argparse.Namespace, settings: Settings) -> Path:
    """Where to write: ``--output`` must be in an existing folder (a typo must not make a tree of
    folders); the default ``$ENRICHER_OUT_DIR/dedupe.json`` gets its folder, as other commands do."""
    if not args.output:
        output = settings.out_dir / "dedupe.json"
        try:
            output.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(f"cannot write {output}: {exc.strerror or exc}") from None
        return output
    output = Path(args.output)
    if not output.parent.is_dir():
        what = "is not a folder" if output.parent.exists() else "does not exist"
        raise InputError(f"cannot write {output}: folder {output.parent} {what} (create it first)")
    return output


def _run(args: argparse.Namespace) -> int:
    problems: list[str] = []
    settings = load_settings()
    output = _output_path(args, settings)  # before the work: a bad path fails at once
    labels = read_labels(Path(args.labels), problems) if args.labels else []
    try:
        if args.input is not None:
            result = _from_file(Path(args.input), problems, settings, labels)
        else:
            result = _from_api(settings, labels)
    except LabelError as exc:
        print(f"enricher dedupe: {exc}", file=sys.stderr)
        return 2
    problems.extend(result.stats.get("skipped", []))
    for problem in problems[:50]:
        print(f"enricher dedupe: skipped {problem}", file=sys.stderr)
    if len(problems) > 50:
        print(f"enricher dedupe: ... and {len(problems) - 50} more skipped lines", file=sys.stderr)
    try:
        write_output(result, output)
    except OSError as exc:
        raise InputError(f"cannot write {output}: {exc.strerror or exc}") from None
    for note in result.notes:
        print(f"enricher dedupe: note: {note}", file=sys.stderr)
    stats = result.stats
    print(
        f"enricher dedupe: {counts_text(stats)} in {stats['seconds']:.2f}s "
        f"({stats['records_per_second'] or 0:.0f} records/s; {stages_text(stats['timings'])}) -> {output}",
        file=sys.stderr,
    )
    return 0


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "dedupe",
        help="find duplicate counterparties (JSONL file or the configured Flowtly API)",
        description=__doc__.splitlines()[0] if __doc__ else None,
    )
    parser.add_argument(
        "--input", metavar="FILE.jsonl", help="one counterparty JSON object per line (offline)"
    )
    parser.add_argument(
        "--output",
        metavar="OUT.json",
        help="where to write the result, in an existing folder (default: $ENRICHER_OUT_DIR/dedupe.json, "
        "out/dedupe.json, its folder created)",
    )
    parser.add_argument(
        "--labels",
        metavar="LABELS.jsonl",
        help='answers about pairs, {"a": ID, "b": ID, "match": true|false} a line: honoured, learnt from',
    )
    parser.set_defaults(func=run)
