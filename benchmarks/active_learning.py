"""A reviewer answering the engine's own questions: how much do 25, 50 ... 200 answers teach it?

    .venv/bin/python benchmarks/active_learning.py [chicago patstat restaurants] [--rounds 8] [--per-round 25]

Per set, round 0 runs ``enricher dedupe`` as is; every round after answers the first ``--per-round``
questions of the last output that have no answer yet (from the set's truth: same cluster or not), adds
them to a labels file and runs ``enricher dedupe --labels`` again, as the outside check does through the
contract. Printed per round: answers so far, merge-band P/R/F1 and B-cubed F1 (the shared scorer's
functions, ``../shared/tools/score_dedupe.py``), and the merge F1 change since the previous round.
Target (issue "Learning from reviewers"): chicago merge F1 >= .95 at P >= .98 after 100 answers, no
round losing more than .01.
"""

from __future__ import annotations

import argparse
import itertools
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from matching_real import scorer  # the shared scorer, loaded from ../shared


def run(source: Path, output: Path, labels: Path | None) -> dict[str, Any]:
    command = [sys.executable, "-m", "enricher", "dedupe", "--input", str(source), "--output", str(output)]
    if labels is not None:
        command += ["--labels", str(labels)]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return dict(json.loads(output.read_text()))


def simulate(name: str, rounds: int, per_round: int) -> None:
    sd = scorer()
    records, clusters = sd.restaurants() if name == "restaurants" else sd.dev_set(name)
    truth = {sd.key(a, b) for g in clusters for a, b in itertools.combinations(g, 2)}
    ids = [str(r["id"]) for r in records]
    print(f"{name}: {len(records)} records, {len(truth)} true pairs")
    print(f"  {'answers':>7}  {'merge P':>7} {'R':>6} {'F1':>6}  {'B-cubed':>7}  {'change':>7}  questions")
    with tempfile.TemporaryDirectory() as tmp:
        source, output, labels = Path(tmp) / "in.jsonl", Path(tmp) / "out.json", Path(tmp) / "labels.jsonl"
        source.write_text("".join(json.dumps(r) + "\n" for r in records))
        answered: dict[tuple[str, str], bool] = {}
        previous = None
        for round_ in range(rounds + 1):
            out = run(source, output, labels if answered else None)
            merge = {sd.key(c["a"], c["b"]) for c in out["candidates"] if c["band"] == "merge"}
            p, r, f1 = sd.prf(merge, truth)
            bcubed = sd.bcubed([c["ids"] for c in out["clusters"]], clusters, ids)[2]
            change = "" if previous is None else f"{f1 - previous:+.3f}"
            previous = f1
            questions = [sd.key(q["a"], q["b"]) for q in out.get("questions", [])]
            figures = f"{p:7.3f} {r:6.3f} {f1:6.3f}  {bcubed:7.3f}  {change:>7}"
            print(f"  {len(answered):7d}  {figures}  {len(questions)}")
            if round_ == rounds:
                break
            fresh = [q for q in questions if q not in answered][:per_round]
            if not fresh:
                print("  (no more questions)")
                break
            for pair in fresh:
                answered[pair] = pair in truth
            labels.write_text(
                "".join(json.dumps({"a": a, "b": b, "match": m}) + "\n" for (a, b), m in answered.items())
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", nargs="*", metavar="SET", help="chicago, patstat, restaurants (default: two)")
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--per-round", type=int, default=25)
    args = parser.parse_args()
    for name in args.sets or ["chicago", "patstat"]:
        simulate(name, args.rounds, args.per_round)


if __name__ == "__main__":
    main()
