"""``enricher sample generate``: write a seeded sample of counterparties and its truth file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from enricher.sample import write_clients, write_sample

__all__ = ["register"]

_PROGRESS_FROM = 50_000  # smaller samples are written before a bar would even draw


def _count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, not {value}")
    return value


def _rate(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be within [0, 1], not {value}")
    return value


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``sample generate`` to the ``enricher`` command."""
    sample = subparsers.add_parser("sample", help="generate seeded sample data with planted duplicates")
    commands = sample.add_subparsers(dest="sample_command", metavar="COMMAND", required=True)
    gen = commands.add_parser(
        "generate",
        help="write N counterparty records (JSON lines) and optionally their truth (CSV id,entity)",
        description="Write N realistic counterparties from 10 European countries, with planted duplicates "
        "and hard negatives. Same seed, same bytes.",
    )
    gen.add_argument("--count", type=_count, required=True, help="number of records to write")
    gen.add_argument("--seed", type=int, default=7, help="random seed (default 7, the bundled sample's)")
    gen.add_argument("--output", type=Path, required=True, help="records file to write (JSON lines)")
    gen.add_argument("--truth", type=Path, default=None, help="truth file to write (CSV: id,entity)")
    gen.add_argument(
        "--duplicate-rate",
        type=_rate,
        default=0.25,
        help="share of companies that get 1-3 duplicate records (default 0.25)",
    )
    gen.add_argument(
        "--near-names",
        type=_rate,
        nargs="?",
        const=0.3,
        default=0.0,
        metavar="RATE",
        help="share of companies that get a near namesake: another company whose name is one letter away "
        "(default 0; the flag alone: 0.3)",
    )
    gen.add_argument(
        "--clients",
        type=_count,
        default=0,
        metavar="N",
        help="also write N clients with their contacts to FILE.clients.jsonl (truth: TRUTH.clients.csv); "
        "a tenth of them are copies of the generated counterparties",
    )
    gen.set_defaults(func=_generate)


def _clients_path(path: Path) -> Path:
    return path.with_name(f"{path.stem}.clients{path.suffix}")


def _generate(args: argparse.Namespace) -> int:
    for path in (args.output, args.truth):
        if path is not None and not path.parent.is_dir():
            print(f"enricher: directory does not exist: {path.parent}", file=sys.stderr)
            return 2
    code = _generate_records(args)
    if args.clients:
        target = _clients_path(args.output)
        write_clients(
            target,
            args.clients,
            seed=args.seed,
            truth_path=_clients_path(args.truth) if args.truth else None,
            counterparties=args.output,
        )
        print(f"enricher: {args.clients} clients written to {target}", file=sys.stderr)
    return code


def _generate_records(args: argparse.Namespace) -> int:
    if args.count < _PROGRESS_FROM:
        write_sample(
            args.output,
            args.count,
            seed=args.seed,
            truth_path=args.truth,
            duplicate_rate=args.duplicate_rate,
            near_names=args.near_names,
        )
        return 0
    console = Console(stderr=True)
    columns = (TextColumn("generating"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task("generate", total=args.count)
        write_sample(
            args.output,
            args.count,
            seed=args.seed,
            truth_path=args.truth,
            duplicate_rate=args.duplicate_rate,
            near_names=args.near_names,
            progress=lambda done: progress.update(task, completed=done),
        )
    return 0
