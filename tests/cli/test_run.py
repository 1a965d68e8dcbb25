"""The main job, as README runs it: embedded sandbox, bundled sample, outputs under ./out/."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from enricher.sample import bundled_truth_path


def _clean_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ENRICHER_")}
    env["ENRICHER_STATE_DIR"] = str(tmp_path / "state")
    return env


@pytest.mark.slow
def test_main_job_writes_report_and_enrichment(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "enricher", "run"],
        cwd=tmp_path,
        env=_clean_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    printed = [Path(line) for line in proc.stdout.split()]
    assert [p.name for p in printed] == [
        "review.html",
        "candidates.csv",
        "candidates.json",
        "enrichment.json",
        "clients.csv",
    ]
    for path in printed:
        assert (tmp_path / path).is_file()
        assert (tmp_path / path).parent == tmp_path / "out"

    enrichment = json.loads((tmp_path / "out" / "enrichment.json").read_text(encoding="utf-8"))
    assert enrichment["counts"]["total"] == 400
    assert enrichment["counts"]["filled"] > 100

    # The planted duplicates of the bundled sample are found: most merge-band pairs are true pairs.
    truth: dict[str, str] = {}
    for line in bundled_truth_path().read_text(encoding="utf-8").splitlines()[1:]:
        record_id, entity = line.split(",")
        truth[record_id] = entity
    candidates = json.loads((tmp_path / "out" / "candidates.json").read_text(encoding="utf-8"))["candidates"]
    merge = [c for c in candidates if c["band"] == "merge"]
    assert merge, "the sample has planted duplicates"
    correct = sum(truth[str(c["a"])] == truth[str(c["b"])] for c in merge)
    assert correct / len(merge) >= 0.98

    # The bundled clients are matched too: their duplicates and the clients that are also counterparties.
    assert "clients: 150 with 184 contacts; 46 duplicate pairs, 24 also counterparties" in proc.stderr

    html = (tmp_path / "out" / "review.html").read_text(encoding="utf-8")
    assert "<script" in html and "</html>" in html
    # The report says why enrichment chose the logos it shows.
    report = json.loads((tmp_path / "out" / "candidates.json").read_text(encoding="utf-8"))
    why = report["branding"]["logoReasons"]
    assert why and all(w["reasons"] and w["reasons"][0]["why"] for w in why.values())
    assert "duplicates:" in proc.stderr and "filled" in proc.stderr


def test_main_job_without_enrichment_prints_the_report_paths(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "enricher", "run", "--no-enrich", "--out-dir", "reports"],
        cwd=tmp_path,
        env=_clean_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    names = [Path(p).name for p in proc.stdout.split()]
    assert names == ["review.html", "candidates.csv", "candidates.json", "clients.csv"]
    assert not (tmp_path / "reports" / "enrichment.json").exists()


def test_console_script_and_module_agree() -> None:
    script = Path(sys.executable).with_name("enricher")
    by_script = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=60)
    by_module = subprocess.run(
        [sys.executable, "-m", "enricher", "--help"], capture_output=True, text=True, timeout=60
    )
    assert by_script.returncode == by_module.returncode == 0
    commands = (
        "run",
        "dedupe",
        "brand",
        "enrich",
        "report",
        "merges",
        "clients",
        "sandbox",
        "worker",
        "webhooks",
    )
    for command in commands:
        assert command in by_module.stdout
