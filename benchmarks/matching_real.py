"""Matching on the real development sets: what a change did, per set, in one table.

    .venv/bin/python benchmarks/matching_real.py [restaurants chicago patstat] [--misses N]

For each set it runs the real ``enricher dedupe`` CLI (a child process: wall time includes reading and
writing) and scores its output with the shared scorer's own functions (``../shared/tools/score_dedupe.py``,
the scoring outside checks use): pairwise precision/recall/F1 of the merge band, of merge+review and of
the clusters, and B-cubed F1. In-process it also measures **blocking recall** (share of true pairs that
blocking lets meet at all; target >= .99) and the pairs compared. ``--misses N`` prints N true pairs of
each kind of miss (never compared, compared but unlisted, listed as review) to see what to fix next.
The shared folder is found beside the repository root (``../shared``), as on every machine.
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SETS = ("restaurants", "chicago", "patstat")


def scorer() -> ModuleType:
    path = SHARED / "tools" / "score_dedupe.py"
    if not path.exists():
        sys.exit(f"matching_real: {path} not found (the shared folder sits beside the repository root)")
    spec = importlib.util.spec_from_file_location("score_dedupe", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def blocking(records: list[dict[str, Any]], truth: set[tuple[str, str]]) -> tuple[float, int, set[Any]]:
    """Blocking recall, pairs compared, and the true pairs blocking never lets meet.

    Matching compares profiles (records with identical normalised values): two records meet when
    their profiles do, or when they share one.
    """
    from enricher.matching.batches import prepare_all
    from enricher.matching.blocking import candidate_pairs
    from enricher.matching.profiles import build_profiles

    prepared, _ = prepare_all(records, workers=1)
    profiles = build_profiles(prepared)
    left, right, _ = candidate_pairs(profiles.representatives, weights=profiles.sizes)
    met = set(zip(left.tolist(), right.tolist(), strict=True))
    of = profiles.of_record.tolist()
    ids = [str(p.id) for p in prepared]
    position = {rid: k for k, rid in enumerate(ids)}
    missed = set()
    for a, b in truth:
        pa, pb = of[position[a]], of[position[b]]
        if pa != pb and (min(pa, pb), max(pa, pb)) not in met:
            missed.add((a, b))
    return (1 - len(missed) / len(truth) if truth else 1.0), len(left), missed


def run_set(sd: ModuleType, name: str, misses: int) -> dict[str, Any]:
    records, clusters = sd.restaurants() if name == "restaurants" else sd.dev_set(name)
    truth = {sd.key(a, b) for g in clusters for a, b in itertools.combinations(g, 2)}
    with tempfile.TemporaryDirectory() as tmp:
        source, output = Path(tmp) / "in.jsonl", Path(tmp) / "out.json"
        source.write_text("".join(json.dumps(r) + "\n" for r in records))
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "enricher", "dedupe", "--input", str(source), "--output", str(output)],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wall = time.perf_counter() - started
        out = json.loads(output.read_text())
    listed = {sd.key(c["a"], c["b"]): c for c in out["candidates"]}
    merge = {k for k, c in listed.items() if c["band"] == "merge"}
    in_clusters = {sd.key(a, b) for c in out["clusters"] for a, b in itertools.combinations(c["ids"], 2)}
    ids = [str(r["id"]) for r in records]
    recall, compared, never = blocking(records, truth)
    row = {
        "set": name,
        "records": len(records),
        "true_pairs": len(truth),
        "merge": sd.prf(merge, truth),
        "merge_review": sd.prf(set(listed), truth),
        "clusters": sd.prf(in_clusters, truth),
        "bcubed": sd.bcubed([c["ids"] for c in out["clusters"]], clusters, ids),
        "blocking_recall": recall,
        "pairs_compared": compared,
        "seconds": wall,
    }
    if misses:
        by_id = {str(r["id"]): r for r in records}

        def show(pair: tuple[str, str]) -> str:
            fields = ("name", "addressStreetLine", "addressPhoneNumber", "corporateWebsiteUrl")
            return "\n".join(
                "      " + " | ".join(str(by_id[x].get(f)) for f in fields if by_id[x].get(f)) for x in pair
            )

        unlisted = sorted(truth - set(listed) - never)
        review = sorted((truth & set(listed)) - merge)
        false_merge = sorted(merge - truth)
        for label, pairs in (
            ("never compared", sorted(never)),
            ("compared, not listed", unlisted),
            ("review", review),
            ("false merge", false_merge),
        ):
            print(f"  {name}: {label} ({len(pairs)})")
            for pair in pairs[:: max(1, len(pairs) // misses)][:misses]:
                found = listed.get(pair)
                if found:
                    print(
                        f"    {found['score']:.3f} "
                        + " ".join(
                            f"{e['feature']}:{e['result']}:{e['weight']:.1f}" for e in found["evidence"]
                        )
                    )
                print(show(pair))
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", nargs="*", metavar="SET", help=f"any of {', '.join(SETS)} (default: all)")
    parser.add_argument("--misses", type=int, default=0, help="print N examples of each kind of miss")
    args = parser.parse_args()
    unknown = set(args.sets) - set(SETS)
    if unknown:
        parser.error(f"unknown set(s): {', '.join(sorted(unknown))}")
    sd = scorer()
    rows = [run_set(sd, name, args.misses) for name in args.sets or SETS]

    def f(t: tuple[float, float, float]) -> str:
        return f"P {t[0]:.3f} R {t[1]:.3f} F1 {t[2]:.3f}"

    print(
        f"{'set':12} {'merge band':26} {'merge+review':26} {'clusters F1':>11} {'B-cubed':>8} "
        f"{'block R':>8} {'compared':>9} {'s':>6}"
    )
    for r in rows:
        print(
            f"{r['set']:12} {f(r['merge']):26} {f(r['merge_review'])[:15]:26} {r['clusters'][2]:11.3f} "
            f"{r['bcubed'][2]:8.3f} {r['blocking_recall']:8.4f} {r['pairs_compared']:9d} {r['seconds']:6.2f}"
        )


if __name__ == "__main__":
    main()
