"""Full match fanned out over chunks and gathered by a Redis latch (no chord), and the schedule's guards."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from worker_harness import Stack, wait_for

from enricher.state import FanOut, Keys, RedisCandidateStore

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_match_all_fans_out_gathers_and_writes_the_report(stack: Stack) -> None:
    stack.start_worker()
    stack.send_task("enricher.match_all", report=True)
    out = Path(stack.env["ENRICHER_OUT_DIR"])
    wait_for(lambda: (out / "review.html").is_file(), timeout=90, what="the report")
    log = stack.procs.log("w1")
    # 5 records in chunks of 2: three chunk tasks, one gather, one report.
    assert log.count("Task enricher.match_chunk[") >= 3 * 2  # received + succeeded lines
    assert log.count("enricher.match_gather[") >= 2
    pair = stack.candidates(1)["2"]
    assert pair["band"] == "merge" and {pair["a"], pair["b"]} == {1, 2}
    report = json.loads((out / "candidates.json").read_text())
    assert report["candidates"] and report["clusters"][0]["ids"] in ([1, 2], [2, 1])
    wait_for(stack.idle, timeout=30, what="queues drained")
    assert not list(stack.r.scan_iter("enricher:run:*"))  # the latch cleaned up after itself
    assert stack.r.get("enricher:once:match-all:running") is None


def test_one_full_match_at_a_time_and_nightly_once_per_window(stack: Stack) -> None:
    stack.start_worker()
    # Two beats by mistake: the nightly entry arrives twice; a manual full match races it.
    stack.send_task("enricher.nightly")
    stack.send_task("enricher.nightly")
    stack.send_task("enricher.match_all", report=False)
    out = Path(stack.env["ENRICHER_OUT_DIR"])
    wait_for(lambda: (out / "review.html").is_file(), timeout=90, what="the report")
    wait_for(stack.idle, timeout=60, what="queues drained")
    log = stack.procs.log("w1")
    assert log.count("full match 20") == 1, log  # one run planned ("full match <run id>: N parts")
    assert "a full match is already running" in log
    assert stack.r.get("enricher:once:schedule:nightly") is not None


@pytest.mark.parametrize(
    "stack", [[{"id": 1, "name": "Initech B.V."}, {"id": 2, "name": "Hooli Inc."}]], indirect=True
)
def test_weekly_reenrichment_fills_empty_branding_once(stack: Stack) -> None:
    stack.start_worker("cli", cli=True)  # the ``enricher worker`` command
    rid = stack.create(stack.site.url, name="Acme Widgets Ltd", tin="")
    stack.send_task("enricher.weekly_reenrich")
    stack.send_task("enricher.weekly_reenrich")  # a second beat by mistake
    wait_for(lambda: stack.record(rid)["logoUrl"], timeout=90, what="the weekly enrichment")
    wait_for(stack.idle, timeout=60, what="queues drained")
    assert stack.procs.log("cli").count("Task enricher.enrich_all[") == 2  # received + succeeded: once
    assert stack.stats()["patches_applied"] == 1
    assert stack.record(1)["logoUrl"] is None  # no website: nothing to do
    ledger = stack.r.hget("enricher:branding:filled", str(rid))
    assert ledger is not None and json.loads(ledger)["fields"]["logoUrl"] == f"{stack.site.url}logo.png"


def test_a_failed_chunk_still_gathers_and_keeps_old_pairs(stack: Stack) -> None:
    stack.start_worker()
    stack.send_task("enricher.sync")
    wait_for(lambda: stack.r.hlen("enricher:snapshot") == 5, timeout=60, what="the snapshot")
    old = {"a": 4, "b": 5, "score": 0.6, "band": "review", "evidence": []}
    RedisCandidateStore(stack.r, Keys("enricher")).record(4, [old])
    FanOut(stack.r, Keys("enricher"), "run-x").start(2)
    stack.send_task("enricher.match_chunk", "run-x", 0, [1, 2], False)
    stack.send_task("enricher.match_chunk", "run-x", 1, 5, False)  # ids not a list: fails for good
    wait_for(lambda: "part(s) failed" in stack.procs.log("w1"), timeout=60, what="the gather")
    wait_for(stack.idle, timeout=30, what="queues drained")
    assert stack.candidates(1)["2"]["band"] == "merge"  # the good part's pairs are recorded
    assert stack.candidates(4)["5"]["score"] == 0.6  # the failed part's old pairs are kept
    assert not list(stack.r.scan_iter("enricher:run:run-x:*"))
